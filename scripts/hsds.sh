#!/usr/bin/env bash
# A local HSDS (the HDF Group's REST service that h5pyd talks to) for tests/hsds.rs.
#   scripts/hsds.sh setup              venv .venv-hsds with fixtures/gen/requirements-hsds.txt
#   scripts/hsds.sh start [NODES]      start on 127.0.0.1:${HSDS_PORT:-5101} with NODES data nodes
#                                      (default 1; ports ${HSDS_DN_PORT:-HSDS_PORT+1000}..), POSIX storage under
#                                      target/hsds/data (emptied first); waits until it answers,
#                                      creates the folders /home/ and /home/test/
#   scripts/hsds.sh stop               stop the server started here
# Admin user test/test. Prints the endpoint on success; exit 1 when HSDS cannot start.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${HSDS_VENV:-"$PWD/.venv-hsds"}
req=fixtures/gen/requirements-hsds.txt
dir=target/hsds
port=${HSDS_PORT:-5101}
dn_port=${HSDS_DN_PORT:-$((port + 1000))}
endpoint="http://127.0.0.1:$port"

setup() {
  local hash stamp
  hash=$(sha256sum "$req" | cut -d' ' -f1)
  stamp="$venv/.requirements.sha256"
  if [ -x "$venv/bin/hsds" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    return 0
  fi
  [ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$hash" > "$stamp"
}

stop() {
  if [ -f "$dir/pid" ]; then
    local pid
    pid=$(cat "$dir/pid")
    # The server runs in its own process group (setsid): stop the group, then wait.
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$dir/pid"
  fi
}

start() {
  local nodes=${1:-1}
  stop
  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  # hsds 1.0 puts its data nodes on 6101.. whatever the service port: a second server (another
  # HSDS_PORT) would send its requests to the first one's data nodes. The launcher moves them
  # to HSDS_DN_PORT (default: the service port + 1000, so 6101.. for 5101).
  setsid "$venv/bin/python" - --root_dir "$PWD/$dir/data" --host 127.0.0.1 --port "$port" \
    --count "$nodes" --hs_username test --hs_password test \
    --logfile "$PWD/$dir/hsds.log" > "$dir/stdout.log" 2>&1 < /dev/null <<PY &
import sys
from hsds import app, hsds_app
init = hsds_app.HsdsApp.__init__
def moved(self, *a, **k):
    init(self, *a, **k)
    self._dn_urls = [f"http://127.0.0.1:{$dn_port + i}" for i in range(len(self._dn_urls))]
hsds_app.HsdsApp.__init__ = moved
sys.argv[0] = "hsds"
sys.exit(app.main())
PY
  echo $! > "$dir/pid"
  for _ in $(seq 1 150); do
    if "$venv/bin/python" - "$endpoint" <<'PY' 2>/dev/null
import base64, sys, urllib.request
ep = sys.argv[1]
auth = {"Authorization": "Basic " + base64.b64encode(b"test:test").decode()}
def req(method, domain="", body=None):
    url = ep + ("/about" if not domain else "/?domain=" + domain)
    r = urllib.request.Request(url, data=body, method=method, headers={**auth, "Content-Type": "application/json"})
    return urllib.request.urlopen(r, timeout=5).read()
req("GET")
# HSDS names folders without the trailing slash in the domain parameter.
for folder in ("/home", "/home/test"):
    try:
        req("GET", folder)
    except Exception:
        req("PUT", folder, b'{"folder": 1}')
req("GET", "/home/test")
PY
    then
      echo "$endpoint"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "HSDS did not start; see $dir/stdout.log and $dir/hsds.log" >&2
  tail -20 "$dir/stdout.log" >&2 || true
  stop
  return 1
}

case "${1:-}" in
  setup) setup ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 setup | start [NODES] | stop" >&2; exit 2 ;;
esac
