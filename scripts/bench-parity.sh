#!/usr/bin/env bash
# Speed parity: `mobench speed` against llama.cpp's own llama-bench, both on the llama.cpp tree
# vendored in the llama-cpp-sys-2 crate that mobench links, on the same ~100M-parameter model
# (F16, Q8_0, Q4_0), with the same threads and settings. Prints the ratios mobench/llama-bench
# for pp512 and tg128 (target: 0.98 or better), and decode speed against the memory-bandwidth
# bound of this machine.
#
#   scripts/bench-parity.sh [--threads N] [--reps R] [--keep] [--quant]
#
#   --threads N  threads for both tools and the bandwidth test (default: physical cores)
#   --reps R     repetitions per test and run (default: 5); each tool runs 4 times per model
#   --keep       keep the generated models in target/parity/models (and reuse them next time)
#   --quant      quantization instead of speed: mobench quantize against llama-quantize (cmp of
#                the files), mobench ppl against llama-perplexity, and top-K against full KLD
#
# Everything it makes lives in target/parity/: the llama-cpp-python source package that carries
# llama-bench.cpp and quantize.cpp (the crate ships no tools/*.cpp), the cmake build of both tools,
# the models, and the raw JSON of every run (results/). Downloads and builds are reused.
set -eEuo pipefail

LCP_VERSION=0.3.36   # llama-cpp-python source package carrying llama.cpp's tools/*.cpp
PP=512               # llama-bench defaults, passed to both tools explicitly
TG=128
N_BATCH=2048
N_UBATCH=512
TARGET_RATIO=0.98
# Runs per model: ABBA then BAAB (A llama-bench, B mobench), so that drift and the sizeable
# process-to-process spread of a shared machine fall on both tools alike.
ROUNDS=2

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PARITY=$TARGET_DIR/parity
HELPER=$ROOT/scripts/parity/parity.py
LOGS=$PARITY/logs
RESULTS=$PARITY/results

die() { echo "bench-parity: error: $*" >&2; exit 1; }
trap 'echo "bench-parity: error: line $LINENO failed: $BASH_COMMAND" >&2' ERR
step() { printf '\n== %s\n' "$*"; }
seconds_since() { echo $(($(date +%s) - $1)); }
megabytes() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
# CPU time in clock ticks (HZ per second): of the whole machine (steal included), and of this
# script's finished children.
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
machine_cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
children_cpu() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }

# Other work on the machine skews both tools; say so rather than print quiet-looking figures.
warn_if_busy() {
    local before busy
    before=$(machine_cpu)
    sleep 1
    busy=$((($(machine_cpu) - before) * 100 / (HZ * $(nproc))))
    if [ "$busy" -gt 10 ]; then
        echo "warning: other processes are using $busy% of the CPUs; figures will be noisy"
    fi
}

usage() { sed -n '8,14p' "$0" | sed 's/^# \{0,1\}//'; }

physical_cores() {
    local n
    n=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v '^#' | sort -u | wc -l || true)
    [ "${n:-0}" -gt 0 ] && echo "$n" || nproc
}

THREADS=$(physical_cores)
REPS=5
KEEP=0
QUANT=0
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) [ $# -ge 2 ] || die "--threads needs a number"; THREADS=$2; shift 2 ;;
        --reps) [ $# -ge 2 ] || die "--reps needs a number"; REPS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --quant) QUANT=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (usage: scripts/bench-parity.sh [--threads N] [--reps R] [--keep] [--quant])" ;;
    esac
done
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive whole number, got '$THREADS'"
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive whole number, got '$REPS'"

# /proc, GNU date and an OpenMP-capable cc: Linux only for now.
[ "$(uname -s)" = Linux ] || die "this script runs on Linux only (it reads /proc and builds membw.c with OpenMP)"
for tool in cargo cmake make cc c++ python3 tar sha256sum; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed (needed by this script)"
done

# mobench speed stores its runs; keep them out of the user's database.
export MOBENCH_DB=$PARITY/mobench.sqlite
rm -rf "$LOGS" "$RESULTS" "$MOBENCH_DB"
mkdir -p "$PARITY"/{downloads,models,bin} "$LOGS" "$RESULTS"

MODELS_MADE=()
cleanup() {
    if [ "$KEEP" = 0 ] && [ ${#MODELS_MADE[@]} -gt 0 ]; then
        rm -f "${MODELS_MADE[@]}"
    fi
}
trap cleanup EXIT

echo "bench-parity: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs," \
     "$(physical_cores) physical cores; threads $THREADS, $REPS repetitions per run"
warn_if_busy

# ------------------------------------------------------------------------------------------
step "1/7 llama.cpp tree vendored in llama-cpp-sys-2"
SYS_VERSION=$(awk '$0 == "name = \"llama-cpp-sys-2\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$SYS_VERSION" ] || die "llama-cpp-sys-2 is not in Cargo.lock"
crate_tree() {
    compgen -G "${CARGO_HOME:-$HOME/.cargo}/registry/src/*/llama-cpp-sys-2-$SYS_VERSION/llama.cpp" | head -1 || true
}
LLAMA_CPP_DIR=$(crate_tree)
if [ -z "$LLAMA_CPP_DIR" ]; then
    echo "crate source missing; running cargo fetch"
    cargo fetch >"$LOGS/cargo-fetch.log" 2>&1 || die "cargo fetch failed (see $LOGS/cargo-fetch.log)"
    LLAMA_CPP_DIR=$(crate_tree)
fi
[ -f "$LLAMA_CPP_DIR/CMakeLists.txt" ] || die "no llama.cpp tree for llama-cpp-sys-2 $SYS_VERSION in cargo's registry"
echo "llama-cpp-sys-2 $SYS_VERSION: $LLAMA_CPP_DIR"

# ------------------------------------------------------------------------------------------
step "2/7 mobench-gen and mobench (cargo build --release)"
started=$(date +%s)
cargo build --release -p mobench-gen >"$LOGS/cargo-mobench-gen.log" 2>&1 \
    || die "cargo build -p mobench-gen failed (see $LOGS/cargo-mobench-gen.log)"
MOBENCH_OK=1
if ! cargo build --release -p mobench-cli --message-format=json-render-diagnostics \
        >"$LOGS/cargo-mobench.json" 2>"$LOGS/cargo-mobench.log"; then
    MOBENCH_OK=0
    echo "mobench: cargo build failed (see $LOGS/cargo-mobench.log); measuring llama-bench alone"
fi
echo "cargo builds: $(seconds_since "$started") s"
if [ "$MOBENCH_OK" = 1 ] && ! "$TARGET_DIR/release/mobench" speed --help >/dev/null 2>&1; then
    MOBENCH_OK=0
    echo "mobench speed not available yet; measuring llama-bench alone"
fi

# ------------------------------------------------------------------------------------------
step "3/7 llama-bench and llama-quantize sources (llama-cpp-python $LCP_VERSION source package)"
SDIST_NAME=llama_cpp_python-$LCP_VERSION.tar.gz
SDIST=$PARITY/downloads/$SDIST_NAME
TOOLS_SRC=$PARITY/llama-tools-$LCP_VERSION
if [ ! -f "$SDIST" ] || ! (cd "$PARITY/downloads" && sha256sum --quiet -c "$SDIST_NAME.sha256" 2>/dev/null); then
    rm -f "$SDIST" "$SDIST.sha256"
    index=${PIP_INDEX_URL:-https://pypi.org/simple}
    started=$(date +%s)
    # The index's JSON form (PEP 691) names the file's URL and sha256.
    if curl -fsSL -H 'Accept: application/vnd.pypi.simple.v1+json' "${index%/}/llama-cpp-python/" \
            -o "$PARITY/downloads/index.json" 2>"$LOGS/download.log" \
        && read -r url sha < <(python3 "$HELPER" sdist-url "$PARITY/downloads/index.json" "$SDIST_NAME") \
        && curl -fsSL "$url" -o "$SDIST.part" 2>>"$LOGS/download.log"; then
        echo "$sha  $SDIST_NAME" >"$SDIST.sha256"
        mv "$SDIST.part" "$SDIST"
        (cd "$PARITY/downloads" && sha256sum --quiet -c "$SDIST_NAME.sha256") \
            || { rm -f "$SDIST" "$SDIST.sha256"; die "$SDIST_NAME does not match the index's sha256"; }
    else
        # pip checks the index's hash itself, but first prepares the package's metadata (slow).
        echo "index JSON not usable; falling back to pip download (about a minute)"
        command -v pip3 >/dev/null || die "cannot download $SDIST_NAME: the index JSON failed and pip3 is missing"
        pip3 download --no-binary :all: --no-deps "llama-cpp-python==$LCP_VERSION" -d "$PARITY/downloads" \
            >>"$LOGS/download.log" 2>&1 || die "pip download of llama-cpp-python $LCP_VERSION failed (see $LOGS/download.log)"
        (cd "$PARITY/downloads" && sha256sum "$SDIST_NAME" >"$SDIST_NAME.sha256")
    fi
    rm -rf "$TOOLS_SRC"
    echo "downloaded $SDIST_NAME ($(du -m "$SDIST" | cut -f1) MB) in $(seconds_since "$started") s"
fi
if [ ! -f "$TOOLS_SRC/llama-bench/llama-bench.cpp" ] || [ ! -f "$TOOLS_SRC/compare-llama-bench.py" ] \
        || [ ! -f "$TOOLS_SRC/perplexity/perplexity.cpp" ]; then
    mkdir -p "$TOOLS_SRC"
    prefix=llama_cpp_python-$LCP_VERSION/vendor/llama.cpp
    tar -xzf "$SDIST" -C "$TOOLS_SRC" --strip-components=4 "$prefix/tools/llama-bench" "$prefix/tools/quantize" \
        "$prefix/tools/perplexity" "$prefix/scripts/compare-llama-bench.py" \
        || die "$SDIST_NAME has no vendor/llama.cpp/tools/{llama-bench,quantize,perplexity} or scripts/compare-llama-bench.py"
fi
echo "tool sources: $TOOLS_SRC/{llama-bench,quantize,perplexity}"

# ------------------------------------------------------------------------------------------
step "4/7 build llama-bench and llama-quantize against the crate's tree"
# Configure llama.cpp exactly as the crate's build script did for the mobench binary: copy every
# code-generation setting (build type, static/shared, compilers and flags, all GGML_* options)
# from that build's CMakeCache.txt. Without it (mobench did not build), use what build.rs sets
# for a release build with the openmp feature and -C target-cpu=native.
if CRATE_CACHE=$(python3 "$HELPER" crate-cmake-cache "$LOGS/cargo-mobench.json" llama-cpp-sys-2); then
    mapfile -t MIRRORED < <(python3 "$HELPER" mirror-defines "$CRATE_CACHE")
    echo "cmake settings copied from the crate's build: $CRATE_CACHE"
else
    MIRRORED=(CMAKE_BUILD_TYPE:STRING=Release BUILD_SHARED_LIBS:BOOL=OFF GGML_NATIVE:BOOL=ON
              GGML_OPENMP:BOOL=ON GGML_BLAS:BOOL=OFF GGML_WEBGPU:BOOL=OFF)
    echo "warning: the crate's cmake cache was not found; using build.rs's defaults for target-cpu=native"
fi
DEFINES=("${MIRRORED[@]}" LLAMA_CURL:BOOL=OFF LLAMA_OPENSSL:BOOL=OFF)
printf '%s\n' "${DEFINES[@]}" >"$LOGS/cmake-defines.txt"
setting() { printf '%s\n' "${DEFINES[@]}" | sed -n "s/^$1:[A-Z]*=//p" | tail -1; }
echo "  CMAKE_BUILD_TYPE=$(setting CMAKE_BUILD_TYPE) BUILD_SHARED_LIBS=$(setting BUILD_SHARED_LIBS)" \
     "GGML_NATIVE=$(setting GGML_NATIVE) GGML_OPENMP=$(setting GGML_OPENMP) LLAMA_CURL=OFF LLAMA_OPENSSL=OFF"
[ -n "$(setting CMAKE_C_FLAGS)" ] && echo "  CMAKE_C_FLAGS=$(setting CMAKE_C_FLAGS | sed 's/^ *//')"
cpu_options=$(for key in NATIVE OPENMP LLAMAFILE CPU_REPACK CPU_KLEIDIAI BLAS LTO AVX AVX2 AVX512 AVX512_VBMI \
                  AVX512_VNNI AVX512_BF16 AVX_VNNI FMA F16C BMI2 SSE42 AMX_TILE AMX_INT8 AMX_BF16 CPU_ARM_ARCH; do
                  value=$(setting "GGML_$key"); [ -n "$value" ] && printf 'GGML_%s=%s ' "$key" "$value"; done; true)
gpu_on=$(for key in CUDA HIP VULKAN METAL SYCL OPENCL MUSA RPC BACKEND_DL; do
             [ "$(setting "GGML_$key")" = ON ] && printf 'GGML_%s ' "$key"; done; true)
echo "  ${cpu_options% }"
echo "  GPU backends: ${gpu_on:-none}"
echo "  all ${#DEFINES[@]} -D settings: $LOGS/cmake-defines.txt"

BUILD=$PARITY/build
started=$(date +%s)
cmake -S "$ROOT/scripts/parity" -B "$BUILD" -DLLAMA_CPP_DIR="$LLAMA_CPP_DIR" -DTOOLS_SRC_DIR="$TOOLS_SRC" \
    "${DEFINES[@]/#/-D}" >"$LOGS/cmake-configure.log" 2>&1 \
    || die "cmake configure failed (see $LOGS/cmake-configure.log)"
cmake --build "$BUILD" -j "$(nproc)" --target llama-bench llama-quantize llama-perplexity >"$LOGS/cmake-build.log" 2>&1 \
    || die "building llama-bench failed: $(grep -m1 -E 'error|Error' "$LOGS/cmake-build.log" || echo "see $LOGS/cmake-build.log")"
LLAMA_BENCH=$BUILD/bin/llama-bench
LLAMA_QUANTIZE=$BUILD/bin/llama-quantize
LLAMA_PERPLEXITY=$BUILD/bin/llama-perplexity
echo "configured and built in $(seconds_since "$started") s: $LLAMA_BENCH"

if [ "$QUANT" = 1 ]; then
    [ "$MOBENCH_OK" = 1 ] || die "--quant compares mobench with llama.cpp's tools, and mobench did not build"
    # shellcheck source=scripts/parity/quant.sh
    . "$ROOT/scripts/parity/quant.sh"
    exit 0
fi

# ------------------------------------------------------------------------------------------
step "5/7 models: mobench-gen 100m (F16), llama-quantize to Q8_0 and Q4_0"
declare -A MODEL_FILE=(
    [F16]=$PARITY/models/bench-100m-f16.gguf
    [Q8_0]=$PARITY/models/bench-100m-q8_0.gguf
    [Q4_0]=$PARITY/models/bench-100m-q4_0.gguf
)
MODELS=(F16 Q8_0 Q4_0)
f16=${MODEL_FILE[F16]}
if [ ! -f "$f16" ] || [ "$TARGET_DIR/release/mobench-gen" -nt "$f16" ]; then
    "$TARGET_DIR/release/mobench-gen" --preset 100m --out "$f16" >"$LOGS/mobench-gen.log" 2>&1 \
        || die "mobench-gen failed (see $LOGS/mobench-gen.log)"
fi
MODELS_MADE+=("$f16")
for type in Q8_0 Q4_0; do
    out=${MODEL_FILE[$type]}
    if [ ! -f "$out" ] || [ "$f16" -nt "$out" ]; then
        "$LLAMA_QUANTIZE" "$f16" "$out" "$type" "$THREADS" >"$LOGS/quantize-$type.log" 2>&1 \
            || die "llama-quantize to $type failed (see $LOGS/quantize-$type.log)"
    fi
    MODELS_MADE+=("$out")
done
FACTS=$RESULTS/facts.txt
echo "threads=$THREADS" >"$FACTS"
for model in "${MODELS[@]}"; do
    read -r total weights_read kv_read < <(python3 "$HELPER" weights "${MODEL_FILE[$model]}" "$TG") \
        || die "cannot read the tensors of ${MODEL_FILE[$model]}"
    printf '%-5s %-24s %6s MB of tensor data, %6s MB read per decoded token\n' "$model" \
        "$(basename "${MODEL_FILE[$model]}")" "$(megabytes "$total")" "$(megabytes $((weights_read + kv_read)))"
    echo "${model}_weights_read=$weights_read" >>"$FACTS"
    echo "${model}_kv_read=$kv_read" >>"$FACTS"
done

# ------------------------------------------------------------------------------------------
step "6/7 memory bandwidth ($THREADS threads; median of 5 fresh 1 GiB buffers, best of 3 passes each)"
MEMBW=$PARITY/bin/membw
if [ ! -x "$MEMBW" ] || [ "$ROOT/scripts/parity/membw.c" -nt "$MEMBW" ]; then
    cc -O3 -march=native -fopenmp -o "$MEMBW" "$ROOT/scripts/parity/membw.c" 2>"$LOGS/membw-build.log" \
        || die "cc could not build membw.c with OpenMP (see $LOGS/membw-build.log)"
fi
"$MEMBW" "$THREADS" 1024 5 >>"$FACTS" || die "membw failed"
for kind in read copy; do
    echo "$kind: $(sed -n "s/^${kind}_gbs=//p" "$FACTS") GB/s (best buffer $(sed -n "s/^${kind}_gbs_max=//p" "$FACTS"))"
done

# ------------------------------------------------------------------------------------------
step "7/7 benchmarks: per model $ROUNDS rounds of ABBA, BAAB, ... (A llama-bench, B mobench; pp$PP, tg$TG)"
# Both tools take the same test list and settings; everything else stays at llama-bench's defaults
# (type_k/type_v f16, flash-attn auto, n_gpu_layers -1, load mode auto, one warm-up per test),
# which mobench speed reproduces, and the table checks from the JSON both print.
MAX_OTHER_LOAD=0
run_tool() {  # run_tool TOOL MODEL RUN
    local tool=$1 model=$2 run=$3 out log started machine0 children0 other
    out=$RESULTS/$model--$run--$tool.json
    log=$LOGS/$model--$run--$tool.log
    started=$(date +%s%N)
    machine0=$(machine_cpu)
    children0=$(children_cpu)
    if [ "$tool" = llama-bench ]; then
        "$LLAMA_BENCH" -m "${MODEL_FILE[$model]}" -p "$PP" -n "$TG" -r "$REPS" -t "$THREADS" \
            -b "$N_BATCH" -ub "$N_UBATCH" -o json >"$out" 2>"$log" \
            || die "llama-bench failed on $model (see $log)"
    else
        if ! "$TARGET_DIR/release/mobench" speed --model "${MODEL_FILE[$model]}" -p "$PP" -n "$TG" \
                -r "$REPS" --threads "$THREADS" -b "$N_BATCH" --ubatch "$N_UBATCH" --format json \
                >"$out" 2>"$log" \
            || ! python3 "$HELPER" check-json "$out"; then
            rm -f "$out"
            MOBENCH_OK=0
            echo "mobench speed failed on $model: $(tail -1 "$log" 2>/dev/null)"
            echo "  (full log: $log); measuring llama-bench alone from here"
            return
        fi
    fi
    # Share of the machine that other processes used while the tool ran.
    other=$(awk -v m=$(($(machine_cpu) - machine0)) -v c=$(($(children_cpu) - children0)) \
        -v ns=$(($(date +%s%N) - started)) -v n="$(nproc)" -v hz="$HZ" \
        'BEGIN { o = 100 * (m - c) / (ns / 1e9 * hz * n); printf "%d", o < 0 ? 0 : o }')
    [ "$other" -gt "$MAX_OTHER_LOAD" ] && MAX_OTHER_LOAD=$other
    python3 "$HELPER" check-json "$out" || die "$tool wrote no pp/tg results for $model (see $out)"
    printf '%-5s run %d %-12s %s  (%d s, other load %d%%)\n' "$model" "$run" "$tool" \
        "$(python3 "$HELPER" summary "$out")" $((($(date +%s%N) - started) / 1000000000)) "$other"
}
[ "$MOBENCH_OK" = 1 ] || echo "(mobench speed not available: llama-bench runs alone, in its places of the order)"
warn_if_busy
for model in "${MODELS[@]}"; do
    run=0
    for ((round = 1; round <= ROUNDS; round++)); do
        if ((round % 2)); then order=(llama-bench mobench mobench llama-bench); else order=(mobench llama-bench llama-bench mobench); fi
        for tool in "${order[@]}"; do
            [ "$tool" = mobench ] && [ "$MOBENCH_OK" = 0 ] && continue
            run=$((run + 1))
            run_tool "$tool" "$model" "$run"
        done
    done
done

# ------------------------------------------------------------------------------------------
step "result (threads $THREADS; raw JSON in $RESULTS)"
python3 "$HELPER" table "$RESULTS" "$FACTS" "$TARGET_RATIO"
if [ "$MAX_OTHER_LOAD" -gt 10 ]; then
    echo
    echo "warning: other processes used up to $MAX_OTHER_LOAD% of the CPUs during the runs; rerun on an idle machine"
fi

# ------------------------------------------------------------------------------------------
# mobench's JSON and CSV must be readable by llama.cpp's own comparison script; it needs two
# PyPI packages, installed into target/parity/pydeps.
if [ "$MOBENCH_OK" = 1 ]; then
    step "llama.cpp's compare-llama-bench.py on mobench's output"
    PYDEPS=$PARITY/pydeps
    if ! PYTHONPATH=$PYDEPS python3 -c 'import tabulate, git' 2>/dev/null; then
        python3 -m pip install -q --target "$PYDEPS" 'tabulate~=0.9.0' 'GitPython~=3.1.43' \
            >"$LOGS/pydeps.log" 2>&1 || die "pip could not install tabulate and GitPython (see $LOGS/pydeps.log)"
    fi
    json=$(ls "$RESULTS"/F16--*--mobench.json | head -1)
    csv=$RESULTS/mobench-speed.csv
    "$TARGET_DIR/release/mobench" export --speed --format csv --out "$csv" 2>>"$LOGS/export.log" \
        || die "mobench export --speed failed (see $LOGS/export.log)"
    build=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["build_commit"])' "$json")
    for input in "$json" "$csv"; do
        (cd "$PARITY" && PYTHONPATH=$PYDEPS python3 "$TOOLS_SRC/compare-llama-bench.py" -t llama-bench \
            -i "$input" -b "$build" -c "$build") >"$LOGS/compare-llama-bench.log" 2>&1 \
            || die "compare-llama-bench.py cannot read $input (see $LOGS/compare-llama-bench.log)"
        echo "reads $(basename "$input"): $(grep -c '^| ' "$LOGS/compare-llama-bench.log") table lines"
    done
fi

if [ "$KEEP" = 0 ]; then
    echo
    echo "models are removed on exit; --keep keeps them in $PARITY/models"
fi
