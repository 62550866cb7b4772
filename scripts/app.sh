#!/usr/bin/env bash
# Builds the desktop app (release) with its UI and starts it. The app keeps its data where the
# CLI does (MOBENCH_DATA_DIR, else the platform data folder), so each sees the other's runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh app
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --release -p mobench-app --bin mobench-app
exec target/release/mobench-app "$@"
