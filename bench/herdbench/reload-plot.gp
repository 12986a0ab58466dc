# Requests per second (all of wrk's 64 connections) and the probe connection's p50/p99 latency, second by
# second, through the reloads of each server: one row per server, each reload marked by a dashed line at its
# signal and shaded until its last old worker had exited. Made by report.py from the time series that reload.py
# writes (timeseries-SERVER-PHASE.dat and .events in DATA_DIR).
# usage: gnuplot -c reload-plot.gp OUTPUT.png DATA_DIR "SERVER..." PHASE "TITLE"
out = ARG1
dir = ARG2
servers = ARG3
phase = ARG4
n = words(servers)

rps_colour = "#0072b2"
p99_colour = "#d55e00"
p50_colour = "#009e73"
reload_colour = "#e69f00"
signal_colour = "#a06000"

height = 270 * n + 130
set terminal pngcairo size 1500, height font "sans,10"
set output out
# One legend for every panel, under the title (drawn with the first panel only).
legend = 1 - 55.0 / height
set label 11 "━━ requests per second, all 64 connections" at screen 0.06, screen legend tc rgb rps_colour
set label 12 "━━ p99 latency of the probe connection" at screen 0.30, screen legend tc rgb p99_colour
set label 13 "━━ p50 latency of the probe connection" at screen 0.51, screen legend tc rgb p50_colour
set label 14 "■■ reload in progress" at screen 0.72, screen legend tc rgb reload_colour
set label 15 "- - reload signalled (SIGHUP)" at screen 0.84, screen legend tc rgb signal_colour
set multiplot layout n, 2 title ARG5 font "sans,13" margins 0.06, 0.98, 40.0 / height, 1 - 100.0 / height \
    spacing 0.07, 80.0 / height
set grid lc rgb "#dddddd"
set autoscale xfix
unset key
set xlabel "seconds since the load began" offset 0, 0.5
set style fill transparent solid 0.25 noborder

do for [i = 1:n] {
    s = word(servers, i)
    data = sprintf("%s/timeseries-%s-%s.dat", dir, s, phase)
    events = sprintf("%s/timeseries-%s-%s.events", dir, s, phase)
    unset logscale y
    set autoscale y
    stats data using 2 nooutput
    top = STATS_max * 1.15

    set title sprintf("%s: requests per second", s)
    set yrange [0:top]
    set format y "%.0s%c"
    set ylabel "req/s" offset 1, 0
    plot events using (($1 + $2) / 2):(top / 2):1:2:(0):(top) with boxxyerror lc rgb reload_colour, \
         events using 1:(0):(0):(top) with vectors nohead dt 2 lc rgb signal_colour, \
         data using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc rgb rps_colour
    unset label 11
    unset label 12
    unset label 13
    unset label 14
    unset label 15

    set title sprintf("%s: latency of a probe connection (log scale)", s)
    set logscale y
    set yrange [0.005:5000]
    set format y "%g"
    set ylabel "ms" offset 1, 0
    plot events using (($1 + $2) / 2):(1):1:2:(0.005):(5000) with boxxyerror lc rgb reload_colour, \
         events using 1:(0.005):(0):(5000 - 0.005) with vectors nohead dt 2 lc rgb signal_colour, \
         data using 1:5 with linespoints lw 1.5 pt 7 ps 0.4 lc rgb p99_colour, \
         data using 1:4 with linespoints lw 1 pt 7 ps 0.3 lc rgb p50_colour
}
unset multiplot
