#!/usr/bin/env bash
# Smoke test of the Linux package: builds the .deb the way a release does (the release app, then
# `tauri bundle --bundles deb`, which is what `tauri build --bundles deb` runs), installs it with
# dpkg, starts the INSTALLED app (/usr/bin, not target/) under Xvfb with a fresh data folder, checks
# that its window comes up, that the UI reports its first screen and that the process is still alive
# a few seconds later, then stops it and removes the package.
#   scripts/deb-smoke.sh                        everything (release)
#   scripts/deb-smoke.sh --debug                the .deb of the debug app instead
#   scripts/deb-smoke.sh --no-build [--debug]   reuse the newest .deb in target/{release,debug}/bundle/deb
# scripts/test.sh packs the app it built for the end-to-end test (scripts/lib/app-build.sh), so
# one build serves both. Needs root or sudo for dpkg. Prints the package's size and the time from
# start to window. Exit status 0 = passed; otherwise one line says why.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=lib/app-session.sh
source scripts/lib/app-session.sh
# shellcheck source=lib/app-build.sh
source scripts/lib/app-build.sh
START_NS=$(date +%s%N)
BUILD=1
PROFILE=release
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    --debug) PROFILE=debug ;;
    *) echo "usage: $0 [--no-build] [--debug]" >&2; exit 2 ;;
  esac
done
WINDOW_TITLE=MobileAIBench
WINDOW_TIMEOUT_S=60
ALIVE_S=5

say() { printf '\n== %s\n' "$*"; }
die() { printf '\nDEB SMOKE FAILED: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

bash scripts/deps.sh app

# 1. The package.
DEB_DIR=$(deb_dir "$PROFILE")
if [ $BUILD -eq 1 ]; then
  say "building the UI and the app ($PROFILE)"
  build_ui || die "the UI did not build (see above)"
  build_app "$PROFILE" || die "the app did not build (see above)"
  say "packing the .deb (tauri bundle --bundles deb)"
  bundle_deb "$PROFILE" >/dev/null || die "tauri bundle --bundles deb failed (see above)"
fi
DEB=$(ls -t "$DEB_DIR"/*.deb 2>/dev/null | head -n 1 || true)
[ -n "$DEB" ] || die "no .deb in $DEB_DIR (run without --no-build)"
PKG=$(dpkg-deb -f "$DEB" Package)
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
DEB_BYTES=$(stat -c %s "$DEB")
INSTALLED_KIB=$(dpkg-deb -f "$DEB" Installed-Size)
echo "$DEB: package $PKG, $(awk -v b="$DEB_BYTES" 'BEGIN { printf "%.1f MiB", b / 1048576 }'),"\
  "installed $(awk -v k="$INSTALLED_KIB" 'BEGIN { printf "%.1f MiB", k / 1024 }'); depends: $DEPENDS"
# llama.cpp is built with OpenMP: without libgomp1 the installed binary would not start.
grep -qw libgomp1 <<<"$DEPENDS" || die "the package does not depend on libgomp1 (bundle.linux.deb.depends)"

# 2. Install it; whatever happens next, stop the app and Xvfb and remove the package.
WORK=$(mktemp -d /tmp/mobench-deb-smoke.XXXXXX)
APP_PID=""
XVFB_PID=""
INSTALLED=0
cleanup() {
  local rc=$?
  if [ -n "$APP_PID" ]; then
    kill -TERM "$APP_PID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
  fi
  if [ -n "$XVFB_PID" ]; then
    kill "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  if [ $INSTALLED -eq 1 ]; then
    $SUDO dpkg -r "$PKG" >/dev/null || { echo "DEB SMOKE FAILED: dpkg -r $PKG failed" >&2; rc=1; }
  fi
  if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "deb smoke: kept $WORK (app.log has the app's log)" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "install ok installed"; then
  echo "note: $PKG was already installed; the test reinstalls it and removes it at the end" >&2
fi
say "installing $PKG with dpkg"
INSTALLED=1
$SUDO dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 \
  || die "dpkg -i failed (missing dependencies?): $(tr '\n' ' ' <"$WORK/dpkg.log")"
FILES=$(dpkg -L "$PKG")
BIN=$(grep -m1 '^/usr/bin/.' <<<"$FILES" || true)
DESKTOP=$(grep -m1 '^/usr/share/applications/.*\.desktop$' <<<"$FILES" || true)
[ -n "$BIN" ] && [ -x "$BIN" ] || die "dpkg -L $PKG lists no executable in /usr/bin"
[ -n "$DESKTOP" ] && [ -f "$DESKTOP" ] || die "dpkg -L $PKG lists no .desktop file in /usr/share/applications"
grep -q "^Exec=$(basename "$BIN")" "$DESKTOP" || die "$DESKTOP does not start $(basename "$BIN")"
grep -q '^/usr/share/icons/hicolor/.*\.png$' <<<"$FILES" || die "dpkg -L $PKG lists no icon in /usr/share/icons/hicolor"
MISSING=$(ldd "$BIN" | grep 'not found' || true)
[ -z "$MISSING" ] || die "$BIN needs libraries that are not installed: $(tr -s ' \n\t' ' ' <<<"$MISSING")"
echo "installed $BIN and $DESKTOP"

# 3. Xvfb on a display it picks itself.
start_xvfb "$WORK" || die "Xvfb did not start"
DISPLAY_NAME=$DISPLAY

# 4. The installed app, with a data folder of its own (never the user's).
say "starting $BIN on $DISPLAY_NAME"
mkdir -p "$WORK/data"
APP_START_NS=$(date +%s%N)
DISPLAY="$DISPLAY_NAME" MOBENCH_DATA_DIR="$WORK/data" MOBENCH_LOG="warn,mobench_app_lib=info" NO_COLOR=1 \
  "$BIN" >"$WORK/app.log" 2>&1 &
APP_PID=$!

app_died() { die "the app exited (status $1) before $2; its log: $(tail -c 2000 "$WORK/app.log" | tr '\n' ' ')"; }
WINDOW_ID=""
while [ -z "$WINDOW_ID" ]; do
  if ! kill -0 "$APP_PID" 2>/dev/null; then wait "$APP_PID" && st=0 || st=$?; APP_PID=""; app_died "$st" "its window came up"; fi
  [ $(( ($(date +%s%N) - APP_START_NS) / 1000000000 )) -lt $WINDOW_TIMEOUT_S ] \
    || die "no window titled $WINDOW_TITLE within ${WINDOW_TIMEOUT_S} s"
  WINDOW_ID=$(DISPLAY="$DISPLAY_NAME" xwininfo -root -tree 2>/dev/null |
    awk -v t="\"$WINDOW_TITLE\":" '$2 == t { print $1; exit }')
  if [ -n "$WINDOW_ID" ] && ! DISPLAY="$DISPLAY_NAME" xwininfo -id "$WINDOW_ID" | grep -q 'Map State: IsViewable'; then
    WINDOW_ID=""
  fi
  [ -n "$WINDOW_ID" ] || sleep 0.1
done
WINDOW_S=$(elapsed "$APP_START_NS" "$(date +%s%N)")
GEOMETRY=$(DISPLAY="$DISPLAY_NAME" xwininfo -id "$WINDOW_ID" | awk '/-geometry/ { print $2 }')
echo "window $WINDOW_ID ($GEOMETRY) viewable ${WINDOW_S} s after start"

# The UI calls ui_ready once it has painted its first screen; the app logs it. This proves the
# embedded UI loaded and reached the Rust side over IPC, not only that GTK opened a window.
until grep -q 'first screen painted' "$WORK/app.log"; do
  if ! kill -0 "$APP_PID" 2>/dev/null; then wait "$APP_PID" && st=0 || st=$?; APP_PID=""; app_died "$st" "its first screen"; fi
  [ $(( ($(date +%s%N) - APP_START_NS) / 1000000000 )) -lt $WINDOW_TIMEOUT_S ] \
    || die "the UI did not report its first screen within ${WINDOW_TIMEOUT_S} s (no 'first screen painted' in the log)"
  sleep 0.1
done
PAINT_S=$(elapsed "$APP_START_NS" "$(date +%s%N)")
APP_MS=$(grep -o 'first screen painted.*ms=[0-9.]*' "$WORK/app.log" | grep -o 'ms=[0-9.]*' | head -n 1 | cut -d= -f2)
echo "first screen ${PAINT_S} s after start (the app's own figure: ${APP_MS} ms)"

sleep "$ALIVE_S"
if ! kill -0 "$APP_PID" 2>/dev/null; then wait "$APP_PID" && st=0 || st=$?; APP_PID=""; app_died "$st" "${ALIVE_S} s had passed"; fi
[ -s "$WORK/data/mobench.sqlite" ] || die "the app did not create its database in MOBENCH_DATA_DIR ($WORK/data)"
if grep ' ERROR ' "$WORK/app.log" >&2; then die "the app logged errors (above)"; fi
echo "still running ${ALIVE_S} s later, database in MOBENCH_DATA_DIR"

# 5. Stop it and remove the package (the trap does both); then check the binary is gone.
kill -TERM "$APP_PID"
wait "$APP_PID" 2>/dev/null || true
APP_PID=""
$SUDO dpkg -r "$PKG" >/dev/null || die "dpkg -r $PKG failed"
INSTALLED=0
[ ! -e "$BIN" ] || die "$BIN is still there after dpkg -r $PKG"
echo "removed $PKG"
printf '\nDEB SMOKE PASSED: %s, %s MiB, window after %s s, first screen after %s s, %s s in all\n' \
  "$(basename "$DEB")" "$(awk -v b="$DEB_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')" \
  "$WINDOW_S" "$PAINT_S" "$(elapsed "$START_NS" "$(date +%s%N)")"
