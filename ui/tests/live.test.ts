import { describe, expect, it } from 'vitest';
import { initialLive, reduceLive, statusText, meanTtft, meanTps, isActive, MAX_POINTS, type LiveState } from '../src/lib/live';
import type { LiveEvent } from '../src/bindings/LiveEvent';

function play(events: [LiveEvent, number][], s: LiveState = initialLive()): LiveState {
  for (const [e, t] of events) s = reduceLive(s, e, t);
  return s;
}

const finished = (done: number, ttft: number | null, tps: number | null, extra: Partial<Extract<LiveEvent, { event: 'sample_finished' }>> = {}): LiveEvent => ({
  event: 'sample_finished', dataset: 'arith', row: done - 1, done, total: 4, prompt_tokens: 10, output_tokens: 3,
  ttft_ms: ttft, decode_tokens_per_s: tps, truncated: false, error: null, scores: [], ...extra,
});

describe('live run reducer', () => {
  const start: [LiveEvent, number][] = [
    [{ event: 'queue_started', queue_id: 1, models: ['/m/a.gguf', '/m/b.gguf'] }, 0],
    [{ event: 'model_started', index: 0, total: 2, model: '/m/a.gguf' }, 0],
    [{ event: 'run_started', run_id: 9, model: '/m/a.gguf', resumed: false, total: 4, already_done: 0,
      datasets: [{ dataset: 'arith', task: 'math', samples: 2, already_done: 0 }, { dataset: 'qa', task: 'qa', samples: 2, already_done: 0 }] }, 0],
  ];

  it('shows loading, then running, appends tokens and tracks progress', () => {
    let s = play(start);
    expect(statusText(s)).toBe('Loading model…');
    expect(isActive(s)).toBe(true);
    s = play([
      [{ event: 'model_loaded', cold: true, model_load_ms: 500, projector_load_ms: null, context_ms: 20, n_ctx: 2048, n_params: 1, backend: 'CPU', gpu_layers_offloaded: 0, layers_total: 3 }, 0],
      [{ event: 'sample_started', dataset: 'arith', row: 0, prompt: 'Q1', image: null }, 1000],
      [{ event: 'token', text: 'Hel' }, 1100],
      [{ event: 'token', text: 'lo' }, 1200],
    ], s);
    expect(statusText(s)).toBe('Running');
    expect(s.prediction).toBe('Hello');
    expect(s.tokens).toBeNull();
    expect(s.prompt).toBe('Q1');
    s = reduceLive(s, finished(1, 100, 40), 3000);
    expect(s.tokens).toBe(3);
    expect(s.done).toBe(1);
    expect(s.datasets[0].done).toBe(1);
    expect(s.datasets[1].done).toBe(0);
    // one sample took 2000 ms, 3 left → ETA 6000 ms
    expect(s.etaMs).toBe(6000);
    s = play([
      [{ event: 'sample_started', dataset: 'arith', row: 1, prompt: 'Q2', image: null }, 3000],
      [{ event: 'token', text: 'x' }, 3100],
    ], s);
    expect(s.prediction).toBe('x'); // cleared for the new sample
    s = reduceLive(s, finished(2, 300, null, { error: 'decode failed', truncated: true }), 7000);
    // mean sample time (2000 + 4000)/2 = 3000, 2 left → 6000
    expect(s.etaMs).toBe(6000);
    expect(s.lastTtftMs).toBe(300);
    expect(s.lastTps).toBeNull();
    expect(meanTtft(s)).toBe(200);
    expect(meanTps(s)).toBe(40);
    expect(s.errors).toBe(1);
    expect(s.truncated).toBe(1);
  });

  it('keeps at most MAX_POINTS resource points and converts memory to MiB', () => {
    let s = play(start);
    for (let i = 0; i < MAX_POINTS + 50; i++) {
      s = reduceLive(s, {
        event: 'resource', unix_ms: i, elapsed_ms: i * 1000, phase: 'decode', sample_index: null, process_cpu_pct: i, system_cpu_pct: null,
        rss_bytes: 2 * 1048576, peak_rss_bytes: null, footprint_bytes: null, headroom_bytes: null, system_memory_used_bytes: null,
        system_memory_available_bytes: null, battery_level_pct: null, battery_state: null, power_w: null, thermal_state: null, temperature_c: null,
      }, i);
    }
    expect(s.cpu.length).toBe(MAX_POINTS);
    expect(s.cpu[s.cpu.length - 1]).toEqual({ x: MAX_POINTS + 49, y: MAX_POINTS + 49 });
    expect(s.cpu[0].y).toBe(50);
    expect(s.mem[0].y).toBe(2);
  });

  it('reports interruption with its reason, cooldown, and queue end', () => {
    let s = play(start);
    s = reduceLive(s, { event: 'run_finished', run_id: 9, status: 'completed', reason: null }, 0);
    expect(statusText(s)).toBe('Completed');
    s = reduceLive(s, { event: 'cooldown', seconds: 10 }, 5000);
    expect(statusText(s)).toBe('Cooling down 10 s');
    expect(statusText(s, 5000)).toBe('Cooling down 10 s');
    expect(statusText(s, 8500)).toBe('Cooling down 7 s');
    expect(statusText(s, 99000)).toBe('Cooling down 0 s');
    s = reduceLive(s, { event: 'model_started', index: 1, total: 2, model: '/m/b.gguf' }, 0);
    expect(s.modelIndex).toBe(1);
    expect(s.done).toBe(0);
    s = reduceLive(s, { event: 'run_started', run_id: 10, model: '/m/b.gguf', resumed: false, total: 4, already_done: 0, datasets: [] }, 0);
    s = reduceLive(s, { event: 'run_finished', run_id: 10, status: 'interrupted', reason: 'cancelled by the user' }, 0);
    expect(statusText(s)).toBe('Interrupted: cancelled by the user');
    s = reduceLive(s, { event: 'queue_finished', run_ids: [9, 10], cancelled: true, paused: false }, 0);
    expect(s.queueDone).toBe(true);
    expect(isActive(s)).toBe(false);
    expect(s.runIds).toEqual([9, 10]);
    expect(s.finished.map((f) => [f.run_id, f.status])).toEqual([[9, 'completed'], [10, 'interrupted']]);
    expect(statusText(s)).toBe('Interrupted: cancelled by the user');
  });

  it('shows a failure and a model that could not start', () => {
    let s = play(start);
    s = reduceLive(s, { event: 'run_finished', run_id: 9, status: 'failed', reason: 'out of memory' }, 0);
    expect(statusText(s)).toBe('Failed: out of memory');
    let t = play(start.slice(0, 2));
    t = reduceLive(t, { event: 'model_failed', index: 0, model: '/m/a.gguf', error: { code: 'model_load', message: 'Not a GGUF file.' } }, 0);
    t = reduceLive(t, { event: 'queue_finished', run_ids: [], cancelled: false, paused: false }, 0);
    expect(statusText(t)).toBe('Failed: Not a GGUF file.');
  });

  it('resumed runs start from already_done and unknown events are ignored', () => {
    let s = reduceLive(initialLive(), { event: 'run_started', run_id: 3, model: '/m', resumed: true, total: 10, already_done: 6,
      datasets: [{ dataset: 'a', task: 't', samples: 10, already_done: 6 }] }, 0);
    expect(s.done).toBe(6);
    expect(s.datasets[0].done).toBe(6);
    const before = s;
    s = reduceLive(s, { event: 'bench_started', foo: 1 } as unknown as LiveEvent, 0);
    expect(s).toBe(before);
  });

  it('is pure: does not mutate the input state', () => {
    const s0 = play(start);
    const frozen = JSON.stringify(s0);
    reduceLive(s0, { event: 'token', text: 'abc' }, 1);
    reduceLive(s0, finished(1, 1, 1), 1);
    expect(JSON.stringify(s0)).toBe(frozen);
  });
});

describe('pause and resume', () => {
  it('a queue paused in the background carries on in the next one, keeping what it finished', () => {
    let s = initialLive();
    const ev = (e: LiveEvent) => (s = reduceLive(s, e, 0));
    ev({ event: 'queue_started', queue_id: 1, models: ['/m/a.gguf', '/m/b.gguf'] });
    ev({ event: 'model_started', index: 0, total: 2, model: '/m/a.gguf' });
    ev({ event: 'run_started', run_id: 3, model: '/m/a.gguf', resumed: false, total: 4, already_done: 0, datasets: [] });
    ev({ event: 'model_loaded', cold: true, model_load_ms: 5, projector_load_ms: null, context_ms: 1, n_ctx: 512, n_params: 1, backend: 'Metal (Apple M2)', gpu_layers_offloaded: 3, layers_total: 3 });
    expect(s.load?.backend).toBe('Metal (Apple M2)');
    ev({ event: 'warning', message: 'This model needs about 6 GB and 6.5 GB is all the system lets this app use now' });
    ev({ event: 'warning', message: 'This model needs about 6 GB and 6.5 GB is all the system lets this app use now' });
    expect(s.warnings).toHaveLength(1);
    ev({ event: 'run_finished', run_id: 3, status: 'paused', reason: 'paused: the app went to the background' });
    ev({ event: 'queue_finished', run_ids: [3], cancelled: false, paused: true });
    expect(s.phase).toBe('paused');
    expect(isActive(s)).toBe(true);
    expect(statusText(s)).toContain('Paused while the app was in the background');
    // Back in the foreground: the paused run first, then the rest of the queue.
    ev({ event: 'queue_started', queue_id: 2, models: ['/m/a.gguf', '/m/b.gguf'] });
    expect(s.finished.map((f) => f.status)).toEqual(['paused']);
    ev({ event: 'queue_finished', run_ids: [3, 4], cancelled: false, paused: false });
    expect(s.runIds).toEqual([3, 4]);
    expect(s.phase).toBe('finished');
  });

  it('a paused run reads as paused', () => {
    let s = initialLive();
    s = reduceLive(s, { event: 'run_finished', run_id: 1, status: 'paused', reason: null }, 0);
    expect(statusText(s)).toBe('Paused (the app went to the background)');
  });
});
