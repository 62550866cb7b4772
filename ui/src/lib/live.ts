// Pure reducer for the live-run screen: (state, LiveEvent, now) -> new state. No side effects.
import type { LiveEvent } from '../bindings/LiveEvent';
import type { RunStatus } from '../bindings/RunStatus';
import type { AppError } from './api';

export const MAX_POINTS = 600;

export type Point = { x: number; y: number };
export type DatasetProgress = { dataset: string; task: string; samples: number; done: number };
export type FinishedRun = { run_id: number; model: string; status: RunStatus; reason: string | null };
export type LivePhase = 'idle' | 'starting' | 'loading' | 'running' | 'cooldown' | 'between' | 'paused' | 'finished';

export type LiveState = {
  phase: LivePhase;
  queueId: number | null;
  models: string[];
  modelIndex: number; // 0-based
  modelTotal: number;
  model: string | null;
  runId: number | null;
  resumed: boolean;
  total: number;
  done: number;
  datasets: DatasetProgress[];
  dataset: string | null;
  row: number | null;
  prompt: string;
  /** The image shown with the prompt (image datasets): its path, for the backend to hand over. */
  image: string | null;
  prediction: string;
  /** Generated tokens of the sample shown, once it has finished (the app streams text in batches). */
  tokens: number | null;
  lastTtftMs: number | null;
  lastTps: number | null;
  ttftSum: number;
  ttftN: number;
  tpsSum: number;
  tpsN: number;
  errors: number;
  truncated: number;
  sampleStartedAt: number | null;
  sampleMsSum: number;
  sampleN: number;
  etaMs: number | null;
  cooldownS: number | null;
  cooldownAt: number | null;
  load: {
    cold: boolean; model_load_ms: number; context_ms: number;
    /** Loading the vision projector after the model (runs with image datasets). */
    projector_load_ms: number | null;
    /** Where llama.cpp put the layers ("CPU", "Metal (Apple M2)"), and how many went to the GPU. */
    backend: string; gpu_layers_offloaded: number; layers_total: number;
  } | null;
  /** What the engine said the user should know (barely fits in memory, will swap). */
  warnings: string[];
  cpu: Point[];
  mem: Point[];
  finished: FinishedRun[];
  modelFailures: { index: number; model: string; error: AppError }[];
  lastRun: FinishedRun | null;
  queueDone: boolean;
  cancelled: boolean;
  cancelling: boolean;
  runIds: number[];
};

export function initialLive(): LiveState {
  return {
    phase: 'idle', queueId: null, models: [], modelIndex: 0, modelTotal: 0, model: null, runId: null, resumed: false,
    total: 0, done: 0, datasets: [], dataset: null, row: null, prompt: '', image: null, prediction: '', tokens: null,
    lastTtftMs: null, lastTps: null, ttftSum: 0, ttftN: 0, tpsSum: 0, tpsN: 0, errors: 0, truncated: 0,
    sampleStartedAt: null, sampleMsSum: 0, sampleN: 0, etaMs: null, cooldownS: null, cooldownAt: null, load: null,
    cpu: [], mem: [], finished: [], modelFailures: [], lastRun: null, queueDone: false, cancelled: false,
    cancelling: false, runIds: [], warnings: [],
  };
}

/** State for a freshly requested run (before the first event arrives). */
export function startingLive(models: string[]): LiveState {
  return { ...initialLive(), phase: 'starting', models, modelTotal: models.length };
}

function pushCapped(arr: Point[], p: Point): Point[] {
  const next = arr.length >= MAX_POINTS ? arr.slice(arr.length - MAX_POINTS + 1) : arr.slice();
  next.push(p);
  return next;
}

export function reduceLive(s: LiveState, ev: LiveEvent, now: number): LiveState {
  switch (ev.event) {
    case 'queue_started':
      // A queue resumed after a pause keeps the runs it finished before.
      return {
        ...startingLive(ev.models), queueId: ev.queue_id, cancelling: s.cancelling,
        finished: s.phase === 'paused' ? s.finished : [], runIds: s.phase === 'paused' ? s.runIds : [],
      };
    case 'model_started':
      return {
        ...s, phase: 'loading', modelIndex: ev.index, modelTotal: ev.total, model: ev.model, runId: null,
        total: 0, done: 0, datasets: [], dataset: null, row: null, prompt: '', image: null, prediction: '', tokens: null,
        lastTtftMs: null, lastTps: null, ttftSum: 0, ttftN: 0, tpsSum: 0, tpsN: 0, errors: 0, truncated: 0,
        sampleStartedAt: null, sampleMsSum: 0, sampleN: 0, etaMs: null, cooldownS: null, cooldownAt: null, load: null, cpu: [], mem: [],
      };
    case 'model_failed':
      return { ...s, phase: 'between', modelFailures: [...s.modelFailures, { index: ev.index, model: ev.model, error: ev.error }] };
    case 'cooldown':
      return { ...s, phase: 'cooldown', cooldownS: ev.seconds, cooldownAt: now };
    case 'run_started':
      return {
        ...s, phase: 'loading', runId: ev.run_id, model: ev.model, resumed: ev.resumed, total: ev.total,
        done: ev.already_done, lastRun: null,
        datasets: ev.datasets.map((d) => ({ dataset: d.dataset, task: d.task, samples: d.samples, done: d.already_done })),
      };
    case 'model_loaded':
      return {
        ...s, phase: 'running',
        load: {
          cold: ev.cold, model_load_ms: ev.model_load_ms, context_ms: ev.context_ms, projector_load_ms: ev.projector_load_ms ?? null,
          backend: ev.backend, gpu_layers_offloaded: ev.gpu_layers_offloaded, layers_total: ev.layers_total,
        },
      };
    case 'warning':
      return s.warnings.includes(ev.message) ? s : { ...s, warnings: [...s.warnings, ev.message] };
    case 'sample_started':
      return {
        ...s, phase: s.phase === 'loading' || s.phase === 'starting' ? 'running' : s.phase,
        dataset: ev.dataset, row: ev.row, prompt: ev.prompt, image: ev.image ?? null, prediction: '', tokens: null, sampleStartedAt: now,
      };
    case 'token':
      return { ...s, prediction: s.prediction + ev.text };
    case 'sample_finished': {
      const sampleMs = s.sampleStartedAt !== null ? Math.max(0, now - s.sampleStartedAt) : null;
      const sampleMsSum = s.sampleMsSum + (sampleMs ?? 0);
      const sampleN = s.sampleN + (sampleMs !== null ? 1 : 0);
      const mean = sampleN > 0 ? sampleMsSum / sampleN : null;
      const remaining = Math.max(0, ev.total - ev.done);
      const datasets = s.datasets.some((d) => d.dataset === ev.dataset)
        ? s.datasets.map((d) => (d.dataset === ev.dataset ? { ...d, done: Math.min(d.samples, d.done + 1) } : d))
        : s.datasets;
      return {
        ...s, done: ev.done, total: ev.total, datasets, sampleStartedAt: null, sampleMsSum, sampleN,
        tokens: ev.output_tokens,
        etaMs: mean !== null ? mean * remaining : null,
        lastTtftMs: ev.ttft_ms, lastTps: ev.decode_tokens_per_s,
        ttftSum: s.ttftSum + (ev.ttft_ms ?? 0), ttftN: s.ttftN + (ev.ttft_ms !== null ? 1 : 0),
        tpsSum: s.tpsSum + (ev.decode_tokens_per_s ?? 0), tpsN: s.tpsN + (ev.decode_tokens_per_s !== null ? 1 : 0),
        errors: s.errors + (ev.error ? 1 : 0), truncated: s.truncated + (ev.truncated ? 1 : 0),
      };
    }
    case 'resource': {
      const x = ev.elapsed_ms / 1000;
      return {
        ...s,
        cpu: ev.process_cpu_pct !== null ? pushCapped(s.cpu, { x, y: ev.process_cpu_pct }) : s.cpu,
        mem: ev.rss_bytes !== null ? pushCapped(s.mem, { x, y: ev.rss_bytes / 1024 / 1024 }) : s.mem,
      };
    }
    case 'run_finished': {
      const fin: FinishedRun = { run_id: ev.run_id, model: s.model ?? '', status: ev.status, reason: ev.reason };
      return { ...s, phase: 'between', lastRun: fin, finished: [...s.finished, fin], etaMs: ev.status === 'completed' ? 0 : s.etaMs };
    }
    case 'queue_finished':
    {
      // A paused run is resumed by the next queue, so it can be reported by both.
      const runIds = [...new Set([...s.runIds, ...ev.run_ids])];
      if (ev.paused) return { ...s, phase: 'paused', runIds, cooldownS: null };
      return { ...s, phase: 'finished', queueDone: true, cancelled: ev.cancelled, cancelling: false, runIds, cooldownS: null };
    }
    default:
      return s; // speed-run events and anything newer: ignored here
  }
}

/** Seconds of cool-down left at `now` (same clock as the reducer's `now`). */
export function cooldownLeft(s: LiveState, now?: number): number {
  const total = s.cooldownS ?? 0;
  if (now === undefined || s.cooldownAt === null) return total;
  return Math.max(0, Math.ceil(total - (now - s.cooldownAt) / 1000));
}

export function statusText(s: LiveState, now?: number): string {
  if (s.cancelling && s.phase !== 'finished') return 'Cancelling…';
  switch (s.phase) {
    case 'idle':
      return 'Idle';
    case 'starting':
      return 'Starting…';
    case 'loading':
      return 'Loading model…';
    case 'running':
      return 'Running';
    case 'cooldown':
      return `Cooling down ${cooldownLeft(s, now)} s`;
    case 'paused':
      return 'Paused while the app was in the background: it carries on when you come back';
    case 'between':
    case 'finished': {
      const r = s.lastRun;
      if (r) return runStatusText(r.status, r.reason);
      const f = s.modelFailures[s.modelFailures.length - 1];
      if (f) return `Failed: ${f.error.message}`;
      return s.cancelled ? 'Cancelled' : 'Finished';
    }
  }
}

export function runStatusText(status: RunStatus, reason: string | null): string {
  switch (status) {
    case 'completed':
      return 'Completed';
    case 'running':
      return 'Running';
    case 'interrupted':
      return `Interrupted: ${reason ?? 'stopped before the end'}`;
    case 'paused':
      return 'Paused (the app went to the background)';
    case 'failed':
      return `Failed: ${reason ?? 'unknown error'}`;
  }
}

export function meanTtft(s: LiveState): number | null {
  return s.ttftN ? s.ttftSum / s.ttftN : null;
}
export function meanTps(s: LiveState): number | null {
  return s.tpsN ? s.tpsSum / s.tpsN : null;
}
export function isActive(s: LiveState): boolean {
  return s.phase !== 'idle' && s.phase !== 'finished';
}
