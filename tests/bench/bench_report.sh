#!/bin/sh
# bench_report.sh - the report benchmark (make bench-report): for a synthetic
# recording of 1M events (bench_report_gen), the time `compendium report`
# takes, the size of the HTML per event, and the first render in headless
# chromium (bench_report.js). Targets: < 5 s, <= 30 B/event, < 2 s.
# env: COMPENDIUM, GENERATOR (bench_report_gen), REPORT_BENCH_EVENTS.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=${REPORT_BENCH_EVENTS:-1000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$GENERATOR" "$dir/bench.cmp" "$n"
t0=$(date +%s%N)
"$COMPENDIUM" report --max-report-events $((n + 1)) -o "$dir/bench.html" "$dir/bench.cmp" 2>/dev/null
t1=$(date +%s%N)
cmp_bytes=$(stat -c %s "$dir/bench.cmp")
html_bytes=$(stat -c %s "$dir/bench.html")
render=$(node "$here/bench_report.js" "$dir/bench.html")
awk -v n="$n" -v ns=$((t1 - t0)) -v hb="$html_bytes" -v cb="$cmp_bytes" -v r="$render" 'BEGIN {
	s = ns / 1e9; bpe = (hb - 0) / (n + 1)
	printf "report benchmark: %d events (recording %.1f MB)\n", n + 1, cb / 1048576
	printf "  compendium report     %6.2f s     target < 5 s     %s\n", s, s < 5 ? "ok" : "MISSED"
	printf "  HTML size             %6.1f B/event (%.1f MB)  target <= 30   %s\n", bpe, hb / 1048576, bpe <= 30 ? "ok" : "MISSED"
	printf "  first render          %6.2f s     target < 2 s     %s\n", r, r < 2 ? "ok" : "MISSED"
}'
