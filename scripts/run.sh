#!/usr/bin/env bash
# The main job: build everything (release) and run the starter suite on the built-in model.
# Extra arguments go to `mobench run`, e.g. scripts/run.sh --model my.gguf --preset mobile
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo build --release -p mobench-cli
exec target/release/mobench run "$@"
