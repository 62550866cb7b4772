import type { RunSummary } from '../src/bindings/RunSummary';
import type { SampleRow } from '../src/bindings/SampleRow';
import type { ModelEntry } from '../src/bindings/ModelEntry';
import type { DatasetEntry } from '../src/bindings/DatasetEntry';
import type { AppSettings } from '../src/bindings/AppSettings';
import type { AppInfo } from '../src/bindings/AppInfo';
import type { RunStatus } from '../src/bindings/RunStatus';

export function run(id: number, status: RunStatus, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    id, kind: 'suite', status, failure: status === 'completed' ? null : status === 'failed' ? 'model load failed' : 'cancelled by the user',
    model: { id: 1, path: '/m/a.gguf', sha256: 'ab', size_bytes: 1, name: 'Tiny', architecture: 'llama', n_params: 1_400_000, quantization: 'Q8_0', n_ctx_train: 512, has_chat_template: true },
    model_name: 'Tiny', projector: null, uuid: `0193a000-0000-7000-8000-${String(id).padStart(12, '0')}`,
    device_id: 'aaaa1111-0000-4000-8000-000000000000', device_label: 'Linux x86_64 [aaaa1111]', origin: null,
    started_at: '2026-11-21 10:00:00', finished_at: '2026-11-21 10:05:00', samples_done: 5, samples_total: 10,
    resumable: status === 'interrupted' || status === 'failed', headline: [{ figure: 'em', value: 0.5 }, { figure: 'ttft_ms', value: 80 }], ...extra,
  };
}

export function sample(id: number, extra: Partial<SampleRow> = {}): SampleRow {
  return {
    id, dataset: 'arith', task: 'math', row_index: id, example_id: null, prompt: `What is ${id}+${id}?`, reference: String(2 * id),
    prediction_raw: String(2 * id), prediction: String(2 * id), extra_json: null, error: null, truncated: false, stop_reason: 'eos',
    prompt_tokens: 10, output_tokens: 2, image_path: null, image_tokens: null, prompt_text_tokens: null,
    timings: { ttft_ms: 50, prefill_ms: 10, decode_calls_ms: 10, prefill_tokens_per_s: 100, decode_tokens_per_s: 40, itl_p50_ms: 20, itl_p95_ms: 30, itl_max_ms: 40, output_eval_ms: 50, total_ms: 100, image_decode_ms: null, image_encode_ms: null },
    llama: null, scores: [{ metric: 'em', value: 1, extracted: null, flag: null, missing_reason: null, grader: 'exact' }], dataset_id: 1, ...extra,
  };
}

export const models: ModelEntry[] = [
  { path: '/m/builtin.gguf', file_name: 'builtin.gguf', name: 'Builtin', architecture: 'llama', n_params: 135_000_000, quantization: 'Q8_0', size_bytes: 140_000_000, sha256: 'aa', n_ctx_train: 2048, has_chat_template: true, source: 'builtin', problem: null, n_embd: 576, projector: null, projector_offer: null, pairable: false },
  { path: '/m/other.gguf', file_name: 'other.gguf', name: 'Other', architecture: 'qwen2', n_params: 500_000_000, quantization: 'Q4_K_M', size_bytes: 400_000_000, sha256: 'bb', n_ctx_train: 4096, has_chat_template: true, source: 'copied', problem: null, n_embd: 896, projector: null, projector_offer: null, pairable: true },
  { path: '/m/gone.gguf', file_name: 'gone.gguf', name: null, architecture: null, n_params: 0, quantization: null, size_bytes: 0, sha256: null, n_ctx_train: 0, has_chat_template: false, source: 'referenced', problem: 'the file is gone', n_embd: 0, projector: null, projector_offer: null, pairable: true },
];

export const datasets: DatasetEntry[] = [
  { name: 'arith', suite: 'starter', task: 'math', rows: 50, bytes: 1, builtin: true, present: true, downloadable: false, licence: null, metrics: ['em'], multimodal: false },
  { name: 'capitals', suite: 'starter', task: 'qa', rows: 40, bytes: 1, builtin: true, present: true, downloadable: false, licence: null, metrics: ['em'], multimodal: false },
  { name: 'gsm8k', suite: 'mobileaibench', task: 'math', rows: 1319, bytes: 1, builtin: false, present: false, downloadable: true, licence: 'MIT', metrics: ['em'], multimodal: false },
];

export const settings: AppSettings = {
  defaults: { preset: 'mobile', examples: 50, threads: 4, n_ctx: 2048, gpu_layers: 0, max_tokens: null, template: null },
  cooldown_s: 10, dataset_mirror: null, graders: [], hub_endpoint: null,
};

export const info: AppInfo = {
  version: '0.1.0', platform: 'linux', data_dir: '/d', db_path: '/d/db.sqlite', db_path_editable: true, models_dir: '/d/m', datasets_dir: '/d/ds', shared_dir: null, export_dir: null, llama: 'b1', threads_max: 8,
};
