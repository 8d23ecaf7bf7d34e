#!/usr/bin/env bash
# Run one fuzz target (or all, one after the other) for SECONDS each, in one process, seeding the
# corpus from the committed fixtures. Usage: fuzz/run.sh TARGET|all SECONDS
# Prints libFuzzer's final stats line; the full log goes to fuzz/logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: run.sh TARGET|all SECONDS}
secs=${2:?usage: run.sh TARGET|all SECONDS}
export RUSTC_BOOTSTRAP=1
all="file_walk superblock message_decode datatype_dataspace group_walk chunk_filters global_heap differential pymodaq_load attr_codec"
if [ "$target" = all ]; then
  for t in $all; do echo "== $t"; "$0" "$t" "$secs" || echo "$t: exit $?"; done
  exit 0
fi
mkdir -p "corpus/$target" logs
# Seeds: whole files for the file-level targets; small slices of them for the others
# (libFuzzer's default max_len is 4096, so whole fixtures would be truncated anyway).
seeds=()
case "$target" in
  file_walk|group_walk|differential|superblock)
    seeds=(../fixtures/hdf5 ../fixtures/hostile/cve) ;;
  pymodaq_load)
    seeds=(../fixtures/pymodaq) ;;
esac
cargo fuzz build -O "$target" >/dev/null 2>&1 || cargo fuzz build -O "$target"
max_len=4096
case "$target" in file_walk|group_walk|differential|pymodaq_load) max_len=262144 ;; esac
set +e
cargo fuzz run -O "$target" "corpus/$target" "${seeds[@]}" -- \
  -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=1024 \
  -timeout=20 -print_final_stats=1 >"logs/$target.log" 2>&1
rc=$?
set -e
grep -E "^#[0-9]+.*(DONE|pulse|NEW)" "logs/$target.log" | tail -1 || true
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "logs/$target.log" || true
grep -E "^artifact_prefix|Test unit written|SUMMARY" "logs/$target.log" || true
exit $rc
