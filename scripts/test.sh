#!/usr/bin/env bash
# Every test: unit, reference vectors, real llama.cpp on generated models, the CLI end to end,
# the app's commands through Tauri's IPC, the UI (Vitest, and Debian's Chromium through
# Playwright), and the real app window through tauri-driver + WebKitWebDriver under Xvfb.
# Tests read MobileAIBench's files from ../shared/datasets/mobileaibench (never copied here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh app
cargo fmt --all -- --check

# The UI first: the app embeds ui/dist when it is compiled.
(cd ui && npm ci --no-audit --no-fund && npm run check && npm test && npm run build)

cargo test --workspace --no-fail-fast "$@"

# ts-rs rewrote ui/src/bindings from the Rust types while the app's tests ran: a difference
# means the committed TypeScript types are stale.
if [ -d .git ] && [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
  git status --short -- ui/src/bindings >&2
  echo "ui/src/bindings is stale: run 'cargo test -p mobench-app' and commit the files" >&2
  exit 1
fi

(cd ui && npm run test:browser)
bash scripts/e2e.sh
bash scripts/deb-smoke.sh
