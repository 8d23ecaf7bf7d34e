#!/usr/bin/env bash
# The benchmark suite: our library against h5py and PyTables in one run; writes bench/RESULTS.md.
#   scripts/bench.sh          full run (builds a 1 GiB input file once, under target/bench-data)
#   scripts/bench.sh --quick  small inputs, fewer repetitions, no RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
bash fixtures/gen/setup_venv.sh .venv
export PYMODAQ_H5_PYTHON="$PWD/.venv/bin/python"
cargo bench --bench workloads -- "$@"
# P1-P3 (PyMoDAQ's savers and loader); in full mode this adds its section to bench/RESULTS.md.
cargo bench --bench pymodaq_workloads -- "$@"
