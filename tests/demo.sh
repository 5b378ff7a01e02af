#!/bin/sh
# make demo: records the bundled demo workload (tests/workloads/demo.c), shows
# it, and writes the HTML report next to the recording. Output: build/demo/.
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
echo
echo "== compendium report -o $dir/demo.html $dir/demo.cmp"
"$bin" report -o "$dir/demo.html" "$dir/demo.cmp"
echo
echo "recording: $dir/demo.cmp ($(wc -c < "$dir/demo.cmp") bytes)"
echo "report:    $dir/demo.html (open it in a browser; it needs no network)"
