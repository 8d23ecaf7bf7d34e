#!/usr/bin/env bash
# Soak of tests/acquisition_kill.rs: ROUNDS runs (default 10) of TRIALS kills each (default
# 200), each round with its own seed, so kill timings, channel layouts (2-4 channels, 0D/1D,
# error bars, backgrounds), flush rates, profiles and compression vary. Needs the venvs of
# fixtures/gen (h5py, PyTables, PyMoDAQ). Usage: scripts/soak_acquisition_kill.sh [ROUNDS] [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
trials=${2:-200}
export PYMODAQ_H5_PYTHON=${PYMODAQ_H5_PYTHON:-$PWD/.venv/bin/python}
cargo build --profile ci --test acquisition_kill --bin pymodaq-h5
for r in $(seq 1 "$rounds"); do
  seed=$(( (r * 2654435761 + 12345) % 4294967291 + 1 ))
  echo "round $r/$rounds seed $seed"
  PYMODAQ_H5_ACQ_SEED=$seed PYMODAQ_H5_ACQ_KILLS=$trials \
    cargo test --profile ci --test acquisition_kill -- --nocapture killed_acquisitions 2>&1 \
    | grep -E 'kills in|files:|panicked|trial|while checking|Error|kept in' || { echo "round $r failed"; exit 1; }
done
