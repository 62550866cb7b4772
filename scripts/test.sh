#!/usr/bin/env bash
# Every test: unit, reference vectors, real llama.cpp on generated models, the CLI end to end,
# the app's commands through Tauri's IPC, the UI (Vitest, and Debian's Chromium through
# Playwright), the real app window through tauri-driver + WebKitWebDriver under Xvfb, and the
# .deb installed and started. Ends with the time each stage took.
# Tests read MobileAIBench's files from ../shared/datasets/mobileaibench (never copied here).
# Each thing is built once: the UI (ui/dist), the workspace and its tests (dev profile, llama.cpp
# included), and the app that both the end-to-end test drives and the .deb packs. That app is a
# debug build: it reuses what `cargo test` compiled (llama.cpp included) and takes about a minute
# on 2 cores; the release app compiles everything again, llama.cpp too (about 8 minutes).
#   scripts/test.sh [ARGS]            ARGS go to `cargo test`
# Env: MOBENCH_APP_PROFILE=release    the end-to-end test and the .deb on the release app, as a
#                                     release ships it
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
APP_PROFILE=${MOBENCH_APP_PROFILE:-debug}
# A test run builds once: incremental caches only cost disk (several GiB of the debug target,
# which a CI machine with little free disk ran out of). Set CARGO_INCREMENTAL=1 to keep them.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# shellcheck source=lib/app-build.sh
source scripts/lib/app-build.sh
app_profile_ok "$APP_PROFILE"

# Each stage's name and seconds, printed as a table when the script ends (passed or not).
STAGE_NAMES=()
STAGE_SECS=()
CURRENT=""
STARTED=$SECONDS
STAGE_T=$SECONDS
stage() {
  local name=$1
  shift
  CURRENT=$name
  STAGE_T=$SECONDS
  printf '\n==== %s\n' "$name"
  "$@"
  STAGE_NAMES+=("$name")
  STAGE_SECS+=($((SECONDS - STAGE_T)))
  CURRENT=""
}
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
report() {
  local rc=$? i
  set +e
  printf '\n==== stage times (%s CPUs, app: %s)\n' "$(nproc)" "$APP_PROFILE"
  for i in "${!STAGE_NAMES[@]}"; do printf '%-28s %8s\n' "${STAGE_NAMES[$i]}" "$(mmss "${STAGE_SECS[$i]}")"; done
  [ -z "$CURRENT" ] || printf '%-28s %8s  FAILED\n' "$CURRENT" "$(mmss $((SECONDS - STAGE_T)))"
  printf '%-28s %8s\n' total "$(mmss $((SECONDS - STARTED)))"
  printf '%-28s %8s\n' "disk: target/" "$(du -sh target 2>/dev/null | cut -f1)"
  exit $rc
}
trap report EXIT

deps() {
  bash scripts/deps.sh app
  # e2e.sh and deb-smoke.sh call deps.sh too: checked once is enough.
  export MOBENCH_DEPS_CHECKED=app
}

# The UI first: the app embeds ui/dist when it is compiled.
ui() {
  (cd ui && npm ci --no-audit --no-fund && npm run check && npm test)
  build_ui
}

cargo_tests() {
  cargo test --workspace --no-fail-fast "$@"
  # ts-rs rewrote ui/src/bindings from the Rust types while the app's tests ran: a difference
  # means the committed TypeScript types are stale.
  if [ -d .git ] && [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
    git status --short -- ui/src/bindings >&2
    echo "ui/src/bindings is stale: run 'cargo test -p mobench-app' and commit the files" >&2
    return 1
  fi
}

# Grading through a real OpenAI-compatible server: llama-cpp-python's (pip compiles llama.cpp for
# it once, about 6 minutes on 2 cores; cached outside the repository), over the generated tiny
# model, with the client's own test and the CLI's through a fault-injecting proxy.
openai_server() {
  local model url
  model=$(mktemp -d)/tiny.gguf
  ./target/debug/mobench-gen --preset tiny --out "$model" >/dev/null
  url=$(bash scripts/openai-server.sh start --model "$model" --pooling mean)
  local rc=0
  # --workspace, as the cargo test stage: `-p` alone would unify other features and rebuild.
  MOBENCH_OPENAI_BASE_URL="$url" cargo test --workspace --test http_server --test cli \
    -- --ignored real_server chat_against_a_real_server embeddings_against_a_real_server || rc=1
  bash scripts/openai-server.sh stop
  return $rc
}

# push/pull through a real PostgreSQL server: Debian's, in a throwaway cluster on 127.0.0.1
# (scripts/pg.sh), stopped whatever the tests do.
postgres_server() {
  local url rc=0
  url=$(bash scripts/pg.sh start)
  # --workspace, as the cargo test stage: `-p` alone would unify other features and rebuild.
  MOBENCH_TEST_POSTGRES="$url" cargo test --workspace --test cli -- --ignored postgres_ || rc=1
  bash scripts/pg.sh stop
  return $rc
}

# The app once, for the end-to-end test and the .deb alike. In the debug profile this reuses what
# `cargo test` compiled except the crates whose features the tests widen (tauri's `test`).
app() {
  build_app "$APP_PROFILE"
  bundle_deb "$APP_PROFILE" >/dev/null
}

e2e() {
  local flag=()
  [ "$APP_PROFILE" = debug ] || flag=(--release)
  bash scripts/e2e.sh --no-build "${flag[@]}"
}

deb() {
  local flag=()
  [ "$APP_PROFILE" = release ] || flag=(--debug)
  bash scripts/deb-smoke.sh --no-build "${flag[@]}"
}

stage deps deps
stage format cargo fmt --all -- --check
stage ui ui
stage "cargo test" cargo_tests "$@"
stage "openai server" openai_server
stage postgres postgres_server
stage "browser tests" bash -c 'cd ui && npm run test:browser'
stage "app build ($APP_PROFILE, .deb)" app
stage e2e e2e
stage deb deb
