# Sourced by scripts/e2e.sh, scripts/bench-app.sh and scripts/deb-smoke.sh: the real app under Xvfb, reached through
# tauri-driver (which starts WebKitWebDriver, which starts the app per WebDriver session).
#   ensure_tauri_driver          tauri-driver 2.1.0 into target/tools/bin, once (debug build)
#   start_app_session WORK       Xvfb on a free display and tauri-driver on a free port (PORT);
#                                the app inherits MOBENCH_DATA_DIR=WORK/data and
#                                MOBENCH_EXPORT_DIR=WORK/exports; its log goes to WORK/driver.log
#   start_xvfb WORK              Xvfb alone (XVFB_PID, DISPLAY), for tests without WebDriver
#   stop_app_session             stops tauri-driver's process group (driver, app, WebKit
#                                processes) and Xvfb; start_app_session installs it as a trap

TOOLS="$ROOT/target/tools"
XVFB_PID=""
DRIVER_PID=""

ensure_tauri_driver() {
  if [ ! -x "$TOOLS/bin/tauri-driver" ]; then
    echo "installing tauri-driver 2.1.0 into $TOOLS" >&2
    # A debug build: it only relays a few WebDriver requests, and compiles with a third less CPU.
    (cd / && cargo install tauri-driver --locked --debug --version 2.1.0 --root "$TOOLS")
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop_app_session() {
  if [ -n "$DRIVER_PID" ]; then
    kill -TERM -- "-$DRIVER_PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -g "$DRIVER_PID" >/dev/null || break; sleep 0.3; done
    kill -KILL -- "-$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
    DRIVER_PID=""
  fi
  if [ -n "$XVFB_PID" ]; then
    kill "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
    XVFB_PID=""
  fi
}

# Xvfb on a display it picks itself (-displayfd); sets XVFB_PID and DISPLAY (not exported).
start_xvfb() {
  local work=$1
  exec 3>"$work/display"
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
  XVFB_PID=$!
  exec 3>&-
  for _ in $(seq 50); do [ -s "$work/display" ] && break; sleep 0.1; done
  if [ ! -s "$work/display" ]; then
    echo "Xvfb did not start: $(tr '\n' ' ' <"$work/xvfb.log")" >&2
    return 1
  fi
  DISPLAY=":$(tr -d '[:space:]' <"$work/display")"
}

start_app_session() {
  local work=$1
  mkdir -p "$work/data" "$work/exports"
  start_xvfb "$work"
  PORT=$(free_port)
  local native
  native=$(free_port)
  [ "$PORT" != "$native" ] || native=$(free_port)
  # The app inherits this environment through tauri-driver and WebKitWebDriver.
  DISPLAY="$DISPLAY" MOBENCH_DATA_DIR="$work/data" MOBENCH_EXPORT_DIR="$work/exports" \
    MOBENCH_LOG="${MOBENCH_LOG:-warn,mobench_app_lib=info}" \
    setsid "$TOOLS/bin/tauri-driver" --port "$PORT" --native-port "$native" >"$work/driver.log" 2>&1 &
  DRIVER_PID=$!
  if ! python3 - "$PORT" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
  then
    echo "tauri-driver did not listen on port $PORT: $(cat "$work/driver.log")" >&2
    return 1
  fi
  echo "display $DISPLAY, tauri-driver :$PORT, data $work/data" >&2
}
