"""herd's reliability benchmarks (issue 12): bench/chaos.sh, bench/soak.sh and bench/many-workers.sh, built on
bench/herdbench's pieces (the process tree under a subreaper, the servers, the statistics, the clean-up)."""
