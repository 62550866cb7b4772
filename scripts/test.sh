#!/usr/bin/env bash
# Every test: unit, reference vectors, real llama.cpp on generated models, the CLI end to end.
# Tests read MobileAIBench's files from ../shared/datasets/mobileaibench (never copied here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo fmt --all -- --check
cargo test --workspace --no-fail-fast "$@"
