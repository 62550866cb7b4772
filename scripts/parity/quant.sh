# Sourced by scripts/bench-parity.sh --quant, after both tools are built: mobench's quantizer,
# perplexity and KL divergence against llama.cpp's own llama-quantize and llama-perplexity, built
# from the same llama.cpp tree. Uses the script's variables (TARGET_DIR, PARITY, LOGS, THREADS,
# LLAMA_QUANTIZE, LLAMA_PERPLEXITY) and helpers (step, die, seconds_since).

MOBENCH=$TARGET_DIR/release/mobench
QDIR=$PARITY/quant
mkdir -p "$QDIR"
TEXT=$ROOT/datasets/ppl/river-town.txt
PPL_CTX=512

# ------------------------------------------------------------------------------------------
step "quant 1/3 byte parity: mobench quantize against llama-quantize"
TYPES=(Q8_0 Q6_K Q5_K_M Q4_K_M Q4_0 IQ4_NL Q2_K)
declare -A SOURCE=(
    [tiny-f32]=$QDIR/tiny-f32.gguf
    [100m-f16]=$QDIR/100m-f16.gguf
)
"$TARGET_DIR/release/mobench-gen" --preset tiny --out "${SOURCE[tiny-f32]}" >"$LOGS/gen-tiny.log" 2>&1 \
    || die "mobench-gen tiny failed (see $LOGS/gen-tiny.log)"
"$TARGET_DIR/release/mobench-gen" --preset 100m --out "${SOURCE[100m-f16]}" >"$LOGS/gen-100m.log" 2>&1 \
    || die "mobench-gen 100m failed (see $LOGS/gen-100m.log)"
SAME=0
DIFFER=0
for source in tiny-f32 100m-f16; do
    for type in "${TYPES[@]}"; do
        ref=$QDIR/$source.$type.llama-quantize.gguf
        ours=$QDIR/$source.$type.mobench.gguf
        rm -f "$ref" "$ours"
        "$LLAMA_QUANTIZE" "${SOURCE[$source]}" "$ref" "$type" "$THREADS" >"$LOGS/q-$source-$type-ref.log" 2>&1 \
            || die "llama-quantize $source $type failed (see $LOGS/q-$source-$type-ref.log)"
        "$MOBENCH" quantize --model "${SOURCE[$source]}" --type "$type" --out "$ours" --threads "$THREADS" \
            >"$LOGS/q-$source-$type-ours.log" 2>&1 \
            || die "mobench quantize $source $type failed (see $LOGS/q-$source-$type-ours.log)"
        if cmp -s "$ref" "$ours"; then
            verdict=identical
            SAME=$((SAME + 1))
        else
            verdict="DIFFER ($(cmp "$ref" "$ours" 2>&1 | head -1))"
            DIFFER=$((DIFFER + 1))
        fi
        printf '%-9s %-7s %10d bytes  %s\n' "$source" "$type" "$(stat -c %s "$ours")" "$verdict"
    done
done
echo "byte parity: $SAME identical, $DIFFER different"

# ------------------------------------------------------------------------------------------
step "quant 2/3 perplexity: mobench ppl against llama-perplexity (ctx $PPL_CTX, $THREADS threads)"
SMOL=$("$ROOT/scripts/smollm2.sh") || die "scripts/smollm2.sh could not provide SmolLM2"
# llama-perplexity evaluates n_batch/n_ctx windows side by side; -b equal to -c gives one window
# per batch, as mobench does (the figures are the same either way up to float rounding).
"$LLAMA_PERPLEXITY" -m "$SMOL" -f "$TEXT" -c "$PPL_CTX" -b "$PPL_CTX" -t "$THREADS" \
    >"$LOGS/ppl-ref.log" 2>&1 || die "llama-perplexity failed (see $LOGS/ppl-ref.log)"
ref_ppl=$(sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p' "$LOGS/ppl-ref.log" | tail -1)
[ -n "$ref_ppl" ] || die "llama-perplexity printed no final estimate (see $LOGS/ppl-ref.log)"
"$MOBENCH" ppl --model "$SMOL" --text "$TEXT" --ctx "$PPL_CTX" --threads "$THREADS" --json \
    >"$QDIR/ppl-ours.json" 2>"$LOGS/ppl-ours.log" || die "mobench ppl failed (see $LOGS/ppl-ours.log)"
our_ppl=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["perplexity"]["ppl"])' "$QDIR/ppl-ours.json")
python3 - "$ref_ppl" "$our_ppl" "$(basename "$SMOL")" <<'PY'
import sys
ref, ours, model = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
diff = (ours - ref) / ref * 100
verdict = "PASS" if abs(diff) <= 0.1 else "FAIL"
print(f"{model}: llama-perplexity {ref:.4f}, mobench {ours:.4f}, difference {diff:+.4f}% "
      f"(target within 0.1%): {verdict}")
PY

# ------------------------------------------------------------------------------------------
step "quant 3/3 KL divergence: the base's top-K log-probabilities against the full vocabulary"
# SmolLM2 ships as Q4_1, which mobench does not quantize from; llama-quantize's
# --allow-requantize writes its weights out exactly as F16 (a lossless base), which mobench then
# quantizes to each level.
smol_f16=$QDIR/smollm2-f16.gguf
"$LLAMA_QUANTIZE" --allow-requantize "$SMOL" "$smol_f16" F16 "$THREADS" >"$LOGS/smol-f16.log" 2>&1 \
    || die "llama-quantize to F16 failed (see $LOGS/smol-f16.log)"
for type in Q8_0 Q4_0; do
    level=$QDIR/smollm2.$type.gguf
    "$MOBENCH" quantize --model "$smol_f16" --type "$type" --out "$level" --threads "$THREADS" \
        >"$LOGS/smol-$type.log" 2>&1 || die "mobench quantize SmolLM2 $type failed (see $LOGS/smol-$type.log)"
    for k in 32 0; do
        "$MOBENCH" kld --base "$smol_f16" --model "$level" --text "$TEXT" --ctx "$PPL_CTX" \
            --top-k "$k" --threads "$THREADS" --json >"$QDIR/kld-$type-$k.json" 2>"$LOGS/kld-$type-$k.log" \
            || die "mobench kld $type failed (see $LOGS/kld-$type-$k.log)"
    done
    python3 - "$type" "$QDIR/kld-$type-32.json" "$QDIR/kld-$type-0.json" <<'PY'
import json, sys
t, top, full = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
a, b = top["kld"], full["kld"]
rel = (a["mean"] - b["mean"]) / b["mean"] * 100 if b["mean"] else 0.0
print(f"{t:7s} KLD mean top-32 {a['mean']:.6f}, full {b['mean']:.6f} ({rel:+.2f}%); "
      f"p99 {a['p99']:.5f} vs {b['p99']:.5f}; same top {b['same_top'] * 100:.2f}%; "
      f"PPL {b['perplexity']['ppl']:.4f} (base {full['base_perplexity']['ppl']:.4f})")
PY
done
