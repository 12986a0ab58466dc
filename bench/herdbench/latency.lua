-- wrk script for one probe connection per thread (wrk -t1 -c1): timestamps every request as it is written and
-- its response as it completes, so each latency is exact (wrk's own per-request latencies are not visible to
-- scripts). With more than one connection per thread the pairs would mix: keep -c equal to -t.
-- usage: WRK_SERIES=FILE wrk -t1 -c1 ... -s latency.lua URL
-- At the end it writes one line per response to FILE: "completed_us latency_us status", completed_us on
-- CLOCK_MONOTONIC (the clock of Python's time.monotonic()).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } herd_timespec;
  int clock_gettime(int clock, herd_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("herd_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)  -- in each thread
  samples = {}
  sent = nil
end

function request()
  sent = now_us()
  return wrk.format()
end

function response(status, headers, body)
  local done = now_us()
  if sent then
    table.insert(samples, string.format("%d %d %d", done, done - sent, status))
  end
  sent = nil
end

function done(summary, latency, requests)  -- in the main state, after the run (also after SIGINT)
  local f = assert(io.open(os.getenv("WRK_SERIES"), "w"))
  for _, thread in ipairs(threads) do
    for _, line in ipairs(thread:get("samples")) do f:write(line, "\n") end
  end
  f:close()
end
