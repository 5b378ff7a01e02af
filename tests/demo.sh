#!/bin/sh
# make demo: records the bundled demo workload, shows it, and writes the
# report next to the recording. Output goes to build/demo/ (DEMO_DIR).
set -eu
dir=${DEMO_DIR:-build/demo}
bin=${COMPENDIUM:-./compendium}
workloads=${WORKLOADS:-build/workloads}
mkdir -p "$dir"
echo "== compendium record -o $dir/demo.cmp -- $workloads/demo $dir"
"$bin" record --force -o "$dir/demo.cmp" -- "$workloads/demo" "$dir"
echo
echo "== compendium show $dir/demo.cmp"
"$bin" show "$dir/demo.cmp"
"$bin" show "$dir/demo.cmp" > "$dir/demo-report.txt" 2>&1 || true
echo
echo "recording: $dir/demo.cmp ($(wc -c < "$dir/demo.cmp") bytes)"
echo "report:    $dir/demo-report.txt"
