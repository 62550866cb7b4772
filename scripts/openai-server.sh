#!/usr/bin/env bash
# A real OpenAI-compatible server on this machine, for the judge client's and the engine's tests:
# llama-cpp-python's server (chat completions and embeddings) over a GGUF model.
#
#   scripts/openai-server.sh start --model PATH [--port P] [--host H] [--alias NAME]
#                                  [--n-ctx N] [--api-key KEY] [--pooling mean|cls|last|none]
#                                  [--chat-format NAME] [--wait SECONDS]
#       Installs the server if needed, starts it in the background with embeddings on, waits
#       until /v1/models answers, and prints its base URL (http://H:P/v1) as the only line on
#       stdout:   export MOBENCH_OPENAI_BASE_URL=$(scripts/openai-server.sh start --model m.gguf)
#       The model answers to NAME (default: judge) in requests. Port default: 8765.
#       --pooling overrides the model's llama.pooling_type: a chat model declares none, and then
#       /v1/embeddings answers one vector per token instead of one per text; `--pooling mean`
#       makes it an embedder too (llama-architecture models: this project's generated ones,
#       SmolLM2). Chat answers are the same either way. --chat-format names a llama-cpp-python
#       chat format for a model without a chat template (default: the model's template).
#   scripts/openai-server.sh stop [--port P]       stops the server started on that port
#   scripts/openai-server.sh status [--port P]     says whether it runs, and where
#   scripts/openai-server.sh install               only installs (or checks) the server
#
# The server is llama-cpp-python[server] at a pinned version, installed from PyPI into a venv in
# a cache folder outside the repository and reused while its version matches:
#   ${MOBENCH_OPENAI_SERVER_VENV:-${XDG_CACHE_HOME:-~/.cache}/mobench/openai-server-venv}
# pip compiles llama.cpp from source for it: several minutes on 2 cores, once. Needs a C++
# compiler and cmake (scripts/deps.sh installs them). Logs and pid files go to
# ${XDG_CACHE_HOME:-~/.cache}/mobench/openai-server/.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mobench"
VENV="${MOBENCH_OPENAI_SERVER_VENV:-$CACHE/openai-server-venv}"
STATE="$CACHE/openai-server"

say() { echo "openai-server: $*" >&2; }
die() { say "$*"; exit 1; }

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

installed_version() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - <<'PY' 2>/dev/null
from importlib.metadata import version
import llama_cpp.server  # the [server] extra's modules import, not only the bindings
print(version("llama-cpp-python"))
PY
}

install_server() {
  local have
  have="$(installed_version || true)"
  if [ "$have" = "$LLAMA_CPP_PYTHON_VERSION" ]; then
    say "llama-cpp-python $have is installed in $VENV"
    return
  fi
  command -v cmake >/dev/null && command -v c++ >/dev/null \
    || die "building llama-cpp-python needs cmake and a C++ compiler: run scripts/deps.sh"
  if [ -n "$have" ]; then
    say "replacing llama-cpp-python $have in $VENV with $LLAMA_CPP_PYTHON_VERSION"
  fi
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  say "installing llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION into $VENV" \
    "(it compiles llama.cpp: minutes)"
  local started=$SECONDS
  # Every core for the compile; a portable build (no -march=native) costs little here and keeps
  # a cache folder copied to another machine working.
  if ! CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" \
    "$VENV/bin/pip" install --no-cache-dir --disable-pip-version-check --quiet \
    "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" >&2; then
    rm -rf "$VENV"
    die "pip could not install llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION"
  fi
  local took=$((SECONDS - started))
  echo "$took" >"$VENV/.mobench-install-seconds"
  have="$(installed_version || true)"
  [ "$have" = "$LLAMA_CPP_PYTHON_VERSION" ] \
    || die "llama-cpp-python installed but its server does not import (found: ${have:-nothing})"
  say "installed llama-cpp-python $have in ${took}s"
}

# Options shared by the subcommands.
MODEL="" HOST="127.0.0.1" PORT="8765" ALIAS="judge" N_CTX="2048" API_KEY="" WAIT="120"
POOLING="" CHAT_FORMAT=""
parse_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --model) MODEL="${2:?--model needs a path}"; shift 2 ;;
      --host) HOST="${2:?}"; shift 2 ;;
      --port) PORT="${2:?}"; shift 2 ;;
      --alias) ALIAS="${2:?}"; shift 2 ;;
      --n-ctx) N_CTX="${2:?}"; shift 2 ;;
      --api-key) API_KEY="${2:?}"; shift 2 ;;
      --wait) WAIT="${2:?}"; shift 2 ;;
      --pooling) POOLING="${2:?}"; shift 2 ;;
      --chat-format) CHAT_FORMAT="${2:?}"; shift 2 ;;
      -h|--help) usage ;;
      *) die "unknown option: $1" ;;
    esac
  done
  case "$PORT" in ''|*[!0-9]*) die "--port must be a number, not $PORT" ;; esac
  case "$POOLING" in
    "") POOLING_CODE="" ;;
    none) POOLING_CODE=0 ;;
    mean) POOLING_CODE=1 ;;
    cls) POOLING_CODE=2 ;;
    last) POOLING_CODE=3 ;;
    *) die "--pooling must be mean, cls, last or none, not $POOLING" ;;
  esac
}

pid_file() { echo "$STATE/$PORT.pid"; }
log_file() { echo "$STATE/$PORT.log"; }

running_pid() {
  local pid
  pid="$(cat "$(pid_file)" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

models_answer() {
  local auth=()
  [ -n "$API_KEY" ] && auth=(-H "Authorization: Bearer $API_KEY")
  curl -sf --max-time 2 "${auth[@]}" "http://$HOST:$PORT/v1/models" >/dev/null 2>&1
}

start_server() {
  [ -n "$MODEL" ] || die "start needs --model PATH (a GGUF file)"
  [ -f "$MODEL" ] || die "no model file at $MODEL"
  if pid="$(running_pid)"; then
    die "a server this script started already runs on port $PORT (pid $pid): stop it first"
  fi
  if models_answer; then
    die "something already answers on http://$HOST:$PORT: pick another --port"
  fi
  install_server
  mkdir -p "$STATE"
  local args=(-m llama_cpp.server --model "$MODEL" --model_alias "$ALIAS" --host "$HOST"
    --port "$PORT" --n_ctx "$N_CTX" --embedding true)
  [ -n "$POOLING_CODE" ] && args+=(--kv_overrides "llama.pooling_type=int:$POOLING_CODE")
  [ -n "$CHAT_FORMAT" ] && args+=(--chat_format "$CHAT_FORMAT")
  # The key goes through the environment (the server's settings read API_KEY), not the command
  # line, which every user of the machine can read in ps; an API_KEY of ours for something else
  # must not turn authentication on.
  local env_cmd=(env -u API_KEY)
  [ -n "$API_KEY" ] && env_cmd=(env "API_KEY=$API_KEY")
  say "starting on http://$HOST:$PORT/v1 (model $MODEL as \"$ALIAS\"; log $(log_file))"
  nohup "${env_cmd[@]}" "$VENV/bin/python" "${args[@]}" >"$(log_file)" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$(pid_file)"
  local deadline=$((SECONDS + WAIT))
  until models_answer; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$(pid_file)"
      tail -n 20 "$(log_file)" >&2 || true
      die "the server exited before answering (log above, whole in $(log_file))"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill "$pid" 2>/dev/null || true
      rm -f "$(pid_file)"
      tail -n 20 "$(log_file)" >&2 || true
      die "no answer from /v1/models within ${WAIT}s; stopped it (log in $(log_file))"
    fi
    sleep 0.5
  done
  say "ready (pid $pid)"
  echo "http://$HOST:$PORT/v1"
}

stop_server() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$(pid_file)"
    say "no server started by this script runs on port $PORT"
    return 0
  fi
  kill "$pid"
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop in 10s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file)"
  say "stopped (pid $pid)"
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  start) parse_options "$@"; start_server ;;
  stop) parse_options "$@"; stop_server ;;
  status)
    parse_options "$@"
    if pid="$(running_pid)"; then
      say "running on http://$HOST:$PORT/v1 (pid $pid, log $(log_file))"
    else
      say "not running on port $PORT"
      exit 1
    fi
    ;;
  install)
    parse_options "$@"
    install_server
    [ -f "$VENV/.mobench-install-seconds" ] \
      && say "the install took $(cat "$VENV/.mobench-install-seconds")s"
    ;;
  *) usage ;;
esac
