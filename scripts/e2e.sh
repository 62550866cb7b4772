#!/usr/bin/env bash
# End-to-end test of the real desktop app: the Tauri window driven through tauri-driver +
# WebKitWebDriver under Xvfb (see tests/e2e/README.md). Self-sufficient on a fresh Debian/Ubuntu:
# installs what is missing, builds the UI and the app (debug), runs tests/e2e/app_e2e.py.
#   scripts/e2e.sh              everything
#   scripts/e2e.sh --no-build   reuse ui/dist and target/debug/mobench-app (quick re-runs)
# Screenshots land in target/e2e-screenshots/. Exit status 0 = passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=1
[ "${1:-}" = "--no-build" ] && BUILD=0

say() { printf '\n== %s\n' "$*"; }
die() { printf '\nE2E FAILED: %s\n' "$*" >&2; exit 1; }

# 1. System packages (only what is missing), and tauri-driver.
bash scripts/deps.sh app
source scripts/lib/app-session.sh
ensure_tauri_driver

if [ $BUILD -eq 1 ]; then
  # 2. The UI.
  say "building the UI"
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    (cd ui && npm ci)
  fi
  (cd ui && npm run build)
  # 3. The app, with the UI embedded (its default custom-protocol feature).
  say "building the app (debug)"
  cargo build -p mobench-app --bin mobench-app
fi
APP="$ROOT/target/debug/mobench-app"
[ -x "$APP" ] || die "$APP is missing (run without --no-build)"

# 4. Xvfb, tauri-driver, a fresh data and export folder; everything stopped on exit.
WORK=$(mktemp -d /tmp/mobench-e2e.XXXXXX)
cleanup() {
  local rc=$?
  stop_app_session
  if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "e2e: kept $WORK (driver.log has the app's log)" >&2; fi
  exit $rc
}
trap cleanup EXIT INT TERM
say "starting Xvfb and tauri-driver"
start_app_session "$WORK" || die "the app session could not start"

# 5. The test.
say "running tests/e2e/app_e2e.py"
rm -rf target/e2e-screenshots
python3 tests/e2e/app_e2e.py --binary "$APP" --driver "http://127.0.0.1:$PORT" \
  --data "$WORK/data" --exports "$WORK/exports" --shots target/e2e-screenshots --app-log "$WORK/driver.log" \
  || die "the app's end-to-end flow failed (see above; screenshots in target/e2e-screenshots)"
echo "E2E PASSED"
