#!/usr/bin/env bash
# Run every test of pymodaq-h5, installing what the tests need first:
#   - the Python venv with h5py/PyTables (fixtures/gen/setup_venv.sh, pinned requirements),
#     used by the interop tests through $PYMODAQ_H5_PYTHON;
#   - the musl target, to prove the static build (skipped with a warning only when rustup
#     cannot install it on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Python venv (h5py, PyTables)"
bash fixtures/gen/setup_venv.sh .venv
export PYMODAQ_H5_PYTHON="$PWD/.venv/bin/python"

echo "== PyMoDAQ 4.4 venv (checks that PyMoDAQ 4.4 loads the files we write)"
bash fixtures/gen/setup_venv44.sh .venv44
export PYMODAQ_H5_PYTHON44="$PWD/.venv44/bin/python"
export QT_QPA_PLATFORM=offscreen

# PyMoDAQ makes its user folder (~/.pymodaq: config, log) on first import; tests start
# Python in parallel, and on a fresh machine racing first runs print "Could not set up
# logger" on stdout, which the tests parse. One import each, before, makes it.
"$PYMODAQ_H5_PYTHON" -c "import pymodaq_data" > /dev/null
"$PYMODAQ_H5_PYTHON44" -c "import pymodaq.utils.h5modules.saving" > /dev/null

echo "== h5dump (Debian hdf5-tools), used by the interop tests"
if ! command -v h5dump >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hdf5-tools) >/dev/null
  else
    sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hdf5-tools >/dev/null \
      || echo "WARNING: cannot install hdf5-tools; install it to run the h5dump checks"
  fi
fi
command -v h5dump >/dev/null && h5dump --version

echo "== chromium (Debian's package), for the headless viewer test tests/serve_browser.rs"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || echo "WARNING: cannot install chromium; install it to run the viewer test"
  fi
fi

echo "== HSDS (h5pyd's server) on loopback, for tests/hsds.rs"
hsds_up=0
if bash scripts/hsds.sh setup && bash scripts/hsds.sh start 1 > /dev/null; then
  hsds_up=1
  export PYMODAQ_H5_HSDS=http://127.0.0.1:5101
  trap 'bash scripts/hsds.sh stop' EXIT
else
  echo "!!!!!!!! WARNING: HSDS cannot start on this machine: tests/hsds.rs is SKIPPED !!!!!!!!"
  export PYMODAQ_H5_HSDS_SKIP="HSDS could not start here (see target/hsds/*.log)"
fi

echo "== cargo test (optimised, overflow checks on)"
cargo test --profile ci --no-fail-fast --all-targets --all-features 2>&1
echo "== doctests (README examples, rustdoc examples)"
cargo test --profile ci --doc --all-features 2>&1

if [ "$hsds_up" = 1 ]; then
  echo "== tests/hsds.rs again on an HSDS with two data nodes"
  bash scripts/hsds.sh start 2 > /dev/null
  PYMODAQ_H5_HSDS_NODES=2 PYMODAQ_H5_HSDS_SEEDS=1 cargo test --profile ci --test hsds 2>&1
  bash scripts/hsds.sh stop
fi

echo "== static musl build"
if rustup target list --installed 2>/dev/null | grep -q x86_64-unknown-linux-musl \
   || rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1; then
  cargo build --release --target x86_64-unknown-linux-musl --bin pymodaq-h5
  bin=target/x86_64-unknown-linux-musl/release/pymodaq-h5
  sample=$(ls fixtures/hdf5/*.h5 | head -1)
  "$bin" dump --json "$sample" > /dev/null
  file "$bin" 2>/dev/null || true
  echo "musl binary dumped $sample"
  # The release profile strips the shipped binary; it must stay under 8 MB (README).
  "$bin" tree fixtures/pymodaq/pt_extended.h5 > /dev/null
  size=$(stat -c %s "$bin")
  echo "stripped static binary: $size bytes"
  [ "$size" -le 8388608 ] || { echo "FAIL: the static binary is over 8 MB"; exit 1; }
else
  echo "WARNING: the musl target cannot be installed here; static build not checked"
fi
echo "== benchmark smoke run: every workload runs (scripts/bench.sh --quick; timings not checked)"
bash scripts/bench.sh --quick > target/bench-quick.log 2>&1 || { tail -40 target/bench-quick.log; exit 1; }
echo "== all tests passed"
