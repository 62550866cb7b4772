// Generated from mobench-metrics' figure registry (crates/mobench-metrics/src/figure.rs) by `cargo test -p mobench-app`. Do not edit.
import type { Figure } from "./Figure";

/** Every figure by its name. */
export const FIGURES = {
  "em": {"name":"em","unit":"score","direction":"higher_is_better","label":"EM","group":"quality"},
  "f1": {"name":"f1","unit":"score","direction":"higher_is_better","label":"F1","group":"quality"},
  "bleu": {"name":"bleu","unit":"score","direction":"higher_is_better","label":"BLEU","group":"quality"},
  "rouge1": {"name":"rouge1","unit":"score","direction":"higher_is_better","label":"ROUGE-1","group":"quality"},
  "rougeL": {"name":"rougeL","unit":"score","direction":"higher_is_better","label":"ROUGE-L","group":"quality"},
  "levenshtein": {"name":"levenshtein","unit":"score","direction":"higher_is_better","label":"Levenshtein","group":"quality"},
  "sql_f1": {"name":"sql_f1","unit":"score","direction":"higher_is_better","label":"SQL F1","group":"quality"},
  "letter": {"name":"letter","unit":"score","direction":"higher_is_better","label":"Letter","group":"quality"},
  "number": {"name":"number","unit":"score","direction":"higher_is_better","label":"Number","group":"quality"},
  "label": {"name":"label","unit":"score","direction":"higher_is_better","label":"Label","group":"quality"},
  "refusal": {"name":"refusal","unit":"score","direction":"higher_is_better","label":"Refusal","group":"quality"},
  "consistency": {"name":"consistency","unit":"score","direction":"higher_is_better","label":"Consistency","group":"quality"},
  "judge": {"name":"judge","unit":"rating","direction":"higher_is_better","label":"MT-Bench rating","group":"quality"},
  "vqa_accuracy": {"name":"vqa_accuracy","unit":"score","direction":"higher_is_better","label":"VQA accuracy","group":"quality"},
  "judge_em": {"name":"judge_em","unit":"score","direction":"higher_is_better","label":"Judge exact match","group":"quality"},
  "judge_refusal": {"name":"judge_refusal","unit":"score","direction":"higher_is_better","label":"Judge refusal","group":"quality"},
  "ttft_ms": {"name":"ttft_ms","unit":"ms","direction":"lower_is_better","label":"TTFT","group":"timing"},
  "prefill_tokens_per_s": {"name":"prefill_tokens_per_s","unit":"tokens_per_s","direction":"higher_is_better","label":"Prefill","group":"timing"},
  "decode_tokens_per_s": {"name":"decode_tokens_per_s","unit":"tokens_per_s","direction":"higher_is_better","label":"Decode","group":"timing"},
  "itl_p50_ms": {"name":"itl_p50_ms","unit":"ms","direction":"lower_is_better","label":"ITL p50","group":"timing"},
  "itl_p95_ms": {"name":"itl_p95_ms","unit":"ms","direction":"lower_is_better","label":"ITL p95","group":"timing"},
  "itl_max_ms": {"name":"itl_max_ms","unit":"ms","direction":"lower_is_better","label":"ITL max","group":"timing"},
  "output_eval_ms": {"name":"output_eval_ms","unit":"ms","direction":"lower_is_better","label":"Output eval","group":"timing"},
  "total_ms": {"name":"total_ms","unit":"ms","direction":"lower_is_better","label":"Total time","group":"timing"},
  "prompt_tokens": {"name":"prompt_tokens","unit":"tokens","direction":"neutral","label":"Prompt tokens","group":"timing"},
  "output_tokens": {"name":"output_tokens","unit":"tokens","direction":"neutral","label":"Output tokens","group":"timing"},
  "image_decode_ms": {"name":"image_decode_ms","unit":"ms","direction":"lower_is_better","label":"Image decode","group":"timing"},
  "image_encode_ms": {"name":"image_encode_ms","unit":"ms","direction":"lower_is_better","label":"Image encode","group":"timing"},
  "image_tokens": {"name":"image_tokens","unit":"tokens","direction":"neutral","label":"Image tokens","group":"timing"},
  "prompt_text_tokens": {"name":"prompt_text_tokens","unit":"tokens","direction":"neutral","label":"Prompt text tokens","group":"timing"},
  "samples": {"name":"samples","unit":"count","direction":"neutral","label":"Samples","group":"count"},
  "truncated": {"name":"truncated","unit":"count","direction":"lower_is_better","label":"Truncated","group":"count"},
  "errors": {"name":"errors","unit":"count","direction":"lower_is_better","label":"Errors","group":"count"},
  "cpu_mean_pct": {"name":"cpu_mean_pct","unit":"pct","direction":"lower_is_better","label":"CPU mean","group":"resource"},
  "cpu_p95_pct": {"name":"cpu_p95_pct","unit":"pct","direction":"lower_is_better","label":"CPU p95","group":"resource"},
  "peak_memory_bytes": {"name":"peak_memory_bytes","unit":"bytes","direction":"lower_is_better","label":"Peak memory","group":"resource"},
  "baseline_memory_bytes": {"name":"baseline_memory_bytes","unit":"bytes","direction":"neutral","label":"Baseline memory","group":"resource"},
  "model_memory_bytes": {"name":"model_memory_bytes","unit":"bytes","direction":"lower_is_better","label":"Model memory","group":"resource"},
  "battery_drain_pct_per_hour": {"name":"battery_drain_pct_per_hour","unit":"pct_per_hour","direction":"lower_is_better","label":"Battery drain per hour","group":"resource"},
  "battery_drain_pct_per_1k_tokens": {"name":"battery_drain_pct_per_1k_tokens","unit":"pct_per_1k_tokens","direction":"lower_is_better","label":"Battery drain per 1k tokens","group":"resource"},
  "energy_j_per_token": {"name":"energy_j_per_token","unit":"joules_per_token","direction":"lower_is_better","label":"Energy per token","group":"resource"},
  "thermal_first_non_nominal_ms": {"name":"thermal_first_non_nominal_ms","unit":"ms","direction":"higher_is_better","label":"First non-nominal thermal state","group":"resource"},
  "thermal_nominal_ms": {"name":"thermal_nominal_ms","unit":"ms","direction":"neutral","label":"Time thermal nominal","group":"resource"},
  "thermal_fair_ms": {"name":"thermal_fair_ms","unit":"ms","direction":"neutral","label":"Time thermal fair","group":"resource"},
  "thermal_serious_ms": {"name":"thermal_serious_ms","unit":"ms","direction":"lower_is_better","label":"Time thermal serious","group":"resource"},
  "thermal_critical_ms": {"name":"thermal_critical_ms","unit":"ms","direction":"lower_is_better","label":"Time thermal critical","group":"resource"},
  "temperature_max_c": {"name":"temperature_max_c","unit":"celsius","direction":"lower_is_better","label":"Max temperature","group":"resource"},
  "avg_ts": {"name":"avg_ts","unit":"tokens_per_s","direction":"higher_is_better","label":"Avg t/s","group":"speed"},
  "stddev_ts": {"name":"stddev_ts","unit":"tokens_per_s","direction":"neutral","label":"SD","group":"speed"},
} as const satisfies Record<string, Figure>;

/** A speed test's tokens/s; every name matching SPEED_TEST_PATTERN is this figure. */
export const SPEED_TEST: Figure = {"name":"speed_test","unit":"tokens_per_s","direction":"higher_is_better","label":"Speed test","group":"speed"};

/** The names of speed tests (`pp512`, `tg128`, `pp512+tg128 @ d4096`, `pp512 t/s`). */
export const SPEED_TEST_PATTERN = "^(pp|tg)\\d+";

/** Between a metric and its grader's label in a judge- or embedder-graded figure (`judge_em@gpt-4o.3fa2`). */
export const GRADED_BY = "@";
