#!/usr/bin/env bash
# The benchmark suite: our library against h5py, PyTables and the pure-Rust peers (rust-hdf5,
# hdf5-pure) in one run, with the machine's limits measured alongside; writes bench/RESULTS.md.
#   scripts/bench.sh          full run, ~20 min on 2 cores (builds a 1 GiB input file once,
#                             under target/bench-data; needs a quiet machine to mean anything)
#   scripts/bench.sh --quick  small inputs, one repetition, no RESULTS.md: checks only that
#                             every workload runs (CI; uses the ci profile's build, < 2 min)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
for a in "$@"; do [ "$a" = --quick ] && quick=1; done
bash fixtures/gen/setup_venv.sh .venv
export PYMODAQ_H5_PYTHON="$PWD/.venv/bin/python"
# The peers: each its own package and lock file (bench-only, never in our build), built on
# its own so cargo feature unification cannot switch its deflate engine. A peer that does not
# build (e.g. offline) shows as "not built" in the tables. Quick mode uses them only when
# already built.
if [ "$quick" = 0 ]; then
  for p in rust-hdf5 hdf5-pure; do
    cargo build --release --locked --manifest-path "bench/peers/$p/Cargo.toml" --target-dir target/bench-peers \
      || echo "WARNING: peer $p did not build; its rows will say so"
  done
  profile=()
else
  profile=(--profile ci)
fi
# P1-P3 first: their summary feeds the targets table that `workloads` writes.
cargo bench "${profile[@]}" --bench pymodaq_workloads -- "$@"
cargo bench "${profile[@]}" --bench workloads -- "$@"
