#!/usr/bin/env python3
"""Helpers of scripts/bench-parity.sh (Python standard library only).

  parity.py crate-cmake-cache CARGO_JSON CRATE
      Prints the CMakeCache.txt of CRATE's build script (llama-cpp-sys-2), found through the
      build-script-executed message in CARGO_JSON (`cargo build --message-format=json` output).

  parity.py mirror-defines CMAKE_CACHE
      Prints, one per line, KEY:TYPE=VALUE for every setting of that build that decides the
      generated code: build type, shared/static, compilers and their flags, and every GGML_*
      option. Passed back with -D they configure llama.cpp the same way.

  parity.py sdist-url INDEX_JSON FILENAME
      Prints "URL SHA256" of FILENAME from a PEP 691 simple-index JSON page.

  parity.py summary RESULT_JSON
      One line: each test's mean rate, e.g. "pp512 812.3 t/s, tg128 40.1 t/s".

  parity.py weights MODEL.gguf N_GEN
      Prints "TOTAL WEIGHTS_READ KV_READ": the bytes of tensor data in the file; the weight bytes
      a decode step reads (every tensor except token_embd.weight, of which a step reads one
      row, when the model has a separate output.weight; a tied embedding is read whole); and
      the F16 KV-cache bytes a step reads on average over a tgN_GEN run.

  parity.py check-json FILE
      Exits 0 when FILE is a llama-bench style JSON array with pp and tg results.

  parity.py table RESULTS_DIR FACTS_FILE TARGET
      Pools the per-repetition rates of every run of each tool, prints the speed table
      (llama-bench vs mobench, ratio, PASS/BELOW against TARGET), a settings check, and the
      decode rate as a share of the memory-bandwidth bound.

Result files are named MODEL--RUN--TOOL.json (e.g. Q4_0--1--llama-bench.json), each one
llama-bench `-o json` array (mobench speed --format json prints the same fields).
"""

import glob
import json
import math
import os
import statistics
import struct
import sys

MODELS = ["F16", "Q8_0", "Q4_0"]
TOOLS = ["llama-bench", "mobench"]

# Settings that must be equal in both tools' output for the comparison to be fair.
SETTINGS = [
    "model_type", "model_size", "model_n_params", "n_threads", "n_batch", "n_ubatch",
    "type_k", "type_v", "n_gpu_layers", "flash_attn", "no_kv_offload", "load_mode",
    "lazy_mode", "repack", "embeddings", "n_depth", "cpu_mask", "cpu_strict", "poll",
]


# ---------------------------------------------------------------- GGUF

class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        n = self.take("Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s


SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def read_value(r, vtype):
    if vtype in SCALARS:
        return r.take(SCALARS[vtype])
    if vtype == 8:
        return r.string()
    if vtype == 9:
        item_type, n = r.take("I"), r.take("Q")
        if item_type in SCALARS:  # skip numeric arrays without building them
            r.pos += n * struct.calcsize("<" + SCALARS[item_type])
            return None
        return [read_value(r, item_type) for _ in range(n)]
    raise ValueError(f"unknown GGUF value type {vtype}")


def read_gguf(path):
    """({metadata key: value}, {tensor name: bytes of data}); tensor sizes come from the
    tensors' offsets (the alignment padding between them included)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        # The header, metadata and tensor table of these models fit in a few MiB.
        head = f.read(min(size, 64 << 20))
    r = Reader(head)
    if r.take("4s") != b"GGUF":
        raise ValueError(f"{path} is not a GGUF file")
    version = r.take("I")
    if version < 2:
        raise ValueError(f"{path}: GGUF version {version} is not supported")
    n_tensors, n_kv = r.take("Q"), r.take("Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = read_value(r, r.take("I"))
    alignment = meta.get("general.alignment", 32)
    tensors = []
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.take("I")
        r.pos += 8 * n_dims
        r.take("I")  # type
        tensors.append((r.take("Q"), name))
    data_start = (r.pos + alignment - 1) // alignment * alignment
    tensors.sort()
    ends = [offset for offset, _ in tensors[1:]] + [size - data_start]
    return meta, {name: end - offset for (offset, name), end in zip(tensors, ends)}


def weights(path, n_gen):
    meta, sizes = read_gguf(path)
    total = sum(sizes.values())
    weights_read = total
    if "output.weight" in sizes and "token_embd.weight" in sizes:
        n_vocab = len(meta.get("tokenizer.ggml.tokens") or []) or 1
        weights_read -= sizes["token_embd.weight"] * (n_vocab - 1) // n_vocab
    # Step i of a tg run attends over i+1 cached positions: K and V, F16, every layer.
    arch = meta.get("general.architecture", "llama")
    n_layer = meta.get(f"{arch}.block_count", 0)
    n_embd = meta.get(f"{arch}.embedding_length", 0)
    n_head = meta.get(f"{arch}.attention.head_count", 1) or 1
    n_head_kv = meta.get(f"{arch}.attention.head_count_kv", n_head)
    head_dim = meta.get(f"{arch}.attention.key_length", n_embd // n_head)
    n_gen = int(n_gen)
    mean_positions = (n_gen + 1) / 2
    kv_read = round(n_layer * 2 * head_dim * n_head_kv * 2 * mean_positions)
    print(total, weights_read, kv_read)


# ---------------------------------------------------------------- results

def load_array(path):
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a non-empty JSON array")
    return data


def test_name(result):
    if result.get("n_prompt", 0) > 0 and result.get("n_gen", 0) == 0:
        return f"pp{result['n_prompt']}"
    if result.get("n_gen", 0) > 0 and result.get("n_prompt", 0) == 0:
        return f"tg{result['n_gen']}"
    return f"pp{result.get('n_prompt')}+tg{result.get('n_gen')}"


def check_json(path):
    try:
        names = {test_name(r) for r in load_array(path)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        sys.exit(1)
    sys.exit(0 if any(n.startswith("pp") for n in names) and any(n.startswith("tg") for n in names) else 1)


def mean_sd(samples):
    if not samples:
        return None
    return statistics.fmean(samples), (statistics.stdev(samples) if len(samples) > 1 else 0.0)


def fmt_rate(stat):
    return "—" if stat is None else f"{stat[0]:9.2f} ± {stat[1]:6.2f}"


def collect(results_dir):
    """{(model, tool, test): [per-repetition t/s, ...]} and {(model, tool): first result object}."""
    samples, settings = {}, {}
    for path in sorted(glob.glob(os.path.join(results_dir, "*--*--*.json"))):
        model, _, tool = os.path.basename(path)[:-len(".json")].split("--")
        for result in load_array(path):
            key = (model, tool, test_name(result))
            samples.setdefault(key, []).extend(result.get("samples_ts") or [])
            settings.setdefault((model, tool), result)
    return samples, settings


def read_facts(path):
    """KEY=VALUE lines (bandwidth, bytes per token) written by the script."""
    values = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if value:
                values[key] = float(value)
    return values


def table(results_dir, facts_file, target):
    target = float(target)
    samples, settings = collect(results_dir)
    tests = sorted({t for (_, _, t) in samples}, key=lambda t: (not t.startswith("pp"), t))
    runs = {tool: len(glob.glob(os.path.join(results_dir, f"F16--*--{tool}.json"))) for tool in TOOLS}

    print(f"{'model':<6} {'test':<6} {'llama-bench t/s':>19} {'mobench t/s':>19} {'ratio':>7} {'median':>7}  vs {target:.2f}")
    print("-" * 80)
    for model in MODELS:
        for test in tests:
            ref = mean_sd(samples.get((model, "llama-bench", test), []))
            ours = mean_sd(samples.get((model, "mobench", test), []))
            if ref is None and ours is None:
                continue
            if ref and ours and ref[0] > 0:
                ratio = ours[0] / ref[0]
                median = (statistics.median(samples[(model, "mobench", test)])
                          / statistics.median(samples[(model, "llama-bench", test)]))
                ratio_s, verdict = f"{ratio:7.3f} {median:7.3f}", ("PASS" if ratio >= target else "BELOW")
            else:
                ratio_s, verdict = f"{'—':>7} {'—':>7}", "—"
            print(f"{model:<6} {test:<6} {fmt_rate(ref):>19} {fmt_rate(ours):>19} {ratio_s}  {verdict}")
    n = {tool: len(next((v for (m, t, _), v in samples.items() if t == tool), [])) for tool in TOOLS}
    print(f"(mean ± sample SD of the per-repetition rates, pooled over {runs['llama-bench']} llama-bench runs "
          f"and {runs['mobench']} mobench runs: {n['llama-bench']} and {n['mobench']} samples per cell;")
    print(" ratio: of the means, judged against the target; median: of the medians, less moved by outliers)")

    reference = settings.get(("F16", "llama-bench")) or next(iter(settings.values()), {})
    shown = [f"{f}={str(reference[f]).lower() if isinstance(reference[f], bool) else reference[f]}"
             for f in SETTINGS[3:] if f in reference]
    print("settings (llama-bench's JSON): " + " ".join(shown))

    mismatches = []
    for model in MODELS:
        ref, ours = settings.get((model, "llama-bench")), settings.get((model, "mobench"))
        if not ref or not ours:
            continue
        for field in SETTINGS:
            if field in ref and field in ours and ref[field] != ours[field]:
                mismatches.append(f"{model} {field}: llama-bench={ref[field]!r} mobench={ours[field]!r}")
    if any(tool == "mobench" for (_, tool) in settings):
        compared = [f for f in SETTINGS if any(f in s for s in settings.values())]
        print()
        if mismatches:
            print("settings DIFFER between the tools:")
            for line in mismatches:
                print(f"  {line}")
        else:
            print(f"settings: identical in both tools' output ({', '.join(compared)})")

    facts = read_facts(facts_file)
    read_gbs = facts.get("read_gbs")
    if not read_gbs:
        return
    print()
    print(f"decode vs the memory-bandwidth bound ({facts.get('threads', math.nan):.0f} threads: read {read_gbs:.2f} GB/s, "
          f"best buffer {facts.get('read_gbs_max', math.nan):.2f}; copy {facts.get('copy_gbs', math.nan):.2f} GB/s):")
    print(f"{'model':<6} {'MB read/token':>13} {'bound t/s':>10} {'llama-bench tg':>15} {'% bound':>8} {'mobench tg':>11} {'% bound':>8}")
    for model in MODELS:
        if f"{model}_weights_read" not in facts:
            continue
        per_token = facts[f"{model}_weights_read"] + facts.get(f"{model}_kv_read", 0)
        bound = read_gbs * 1e9 / per_token
        cells = []
        for tool in TOOLS:
            tg = [v for (m, t, test), v in samples.items() if m == model and t == tool and test.startswith("tg")]
            stat = mean_sd(tg[0]) if tg else None
            cells.append(("—", "—") if stat is None else (f"{stat[0]:.2f}", f"{100 * stat[0] / bound:.0f}%"))
        print(f"{model:<6} {per_token / 1e6:13.1f} {bound:10.1f} {cells[0][0]:>15} {cells[0][1]:>8} "
              f"{cells[1][0]:>11} {cells[1][1]:>8}")
    print("(bytes read per token = the GGUF's tensor data except all but one row of token_embd, plus the")
    print(" F16 KV cache over the average tg position; bound = median read bandwidth / bytes read per token)")


# ---------------------------------------------------------------- build

def crate_cmake_cache(cargo_json, crate):
    out_dir = None
    if not os.path.isfile(cargo_json):
        sys.exit(1)
    with open(cargo_json) as f:
        for line in f:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("reason") == "build-script-executed" and f"#{crate}@" in msg.get("package_id", ""):
                out_dir = msg.get("out_dir")
    cache = os.path.join(out_dir, "build", "CMakeCache.txt") if out_dir else None
    if not cache or not os.path.isfile(cache):
        sys.exit(1)
    print(cache)


MIRRORED = {"CMAKE_BUILD_TYPE", "BUILD_SHARED_LIBS", "CMAKE_C_COMPILER", "CMAKE_CXX_COMPILER",
            "CMAKE_C_FLAGS", "CMAKE_CXX_FLAGS", "CMAKE_C_FLAGS_RELEASE", "CMAKE_CXX_FLAGS_RELEASE"}


def mirror_defines(cache):
    with open(cache) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith(("#", "//")) or "=" not in line:
                continue
            key_type, value = line.split("=", 1)
            key, _, vtype = key_type.partition(":")
            if key in MIRRORED or (key.startswith("GGML_") and vtype in ("BOOL", "STRING")
                                   and not key.endswith("_FOUND")):
                print(f"{key}:{vtype}={value}")


def sdist_url(index_json, filename):
    with open(index_json) as f:
        index = json.load(f)
    for entry in index.get("files", []):
        if entry.get("filename") == filename and "sha256" in entry.get("hashes", {}):
            print(entry["url"], entry["hashes"]["sha256"])
            return
    sys.exit(1)


def summary(path):
    print(", ".join(f"{test_name(r)} {r['avg_ts']:.2f} t/s" for r in load_array(path)))



def main(argv):
    commands = {
        "crate-cmake-cache": (crate_cmake_cache, 2),
        "mirror-defines": (mirror_defines, 1),
        "sdist-url": (sdist_url, 2),
        "weights": (weights, 2),
        "check-json": (check_json, 1),
        "summary": (summary, 1),
        "table": (table, 3),
    }
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        sys.exit(__doc__)
    func, _ = commands[argv[1]]
    func(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
