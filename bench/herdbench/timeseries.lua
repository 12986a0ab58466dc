-- wrk script: counts the responses wrk receives in each second, by status class. Seconds are counted on
-- CLOCK_MONOTONIC (the clock of Python's time.monotonic(), so the driver can line the counts up with its
-- reloads) from WRK_ORIGIN_US, microseconds on that clock.
-- usage: WRK_SERIES=FILE WRK_ORIGIN_US=N wrk ... -s timeseries.lua URL
-- At the end it writes one line per second to FILE: "second responses non2xx" (second: whole seconds since
-- the origin). Defining response() costs wrk some throughput: use it for time series, not for peak req/s.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } herd_timespec;
  int clock_gettime(int clock, herd_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("herd_timespec")

local threads = {}
local origin = tonumber(os.getenv("WRK_ORIGIN_US") or "0")

function setup(thread)
  table.insert(threads, thread)
end

function init(args)  -- in each thread
  counts = {}
  bad = {}
end

function response(status, headers, body)
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  local second = math.floor((tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000 - origin) / 1000000)
  counts[second] = (counts[second] or 0) + 1
  if status < 200 or status > 299 then
    bad[second] = (bad[second] or 0) + 1
  end
end

function done(summary, latency, requests)  -- in the main state, after the run (also after SIGINT)
  local total, totalBad = {}, {}
  for _, thread in ipairs(threads) do
    for second, n in pairs(thread:get("counts")) do total[second] = (total[second] or 0) + n end
    for second, n in pairs(thread:get("bad")) do totalBad[second] = (totalBad[second] or 0) + n end
  end
  local seconds = {}
  for second in pairs(total) do table.insert(seconds, second) end
  table.sort(seconds)
  local f = assert(io.open(os.getenv("WRK_SERIES"), "w"))
  for _, second in ipairs(seconds) do
    f:write(string.format("%d %d %d\n", second, total[second], totalBad[second] or 0))
  end
  f:close()
end
