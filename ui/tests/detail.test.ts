import { describe, expect, it } from 'vitest';
import { EFFICIENCY_COLUMNS, cell, deviceFacts, flatScalars, isQuality, pivot } from '../src/lib/detail';
import { SPEED_TEST, figureOf } from '../src/lib/figures';
import { figureLabel, fmtBytes, fmtFigure, fmtParams, parseUtc } from '../src/lib/format';

describe('run detail helpers', () => {
  it('reads the device identity and explains missing fields', () => {
    const f = deviceFacts({
      os: 'android', os_version: '14', arch: 'aarch64', device_model: 'Pixel 8', device_name: null, cpu_brand: null,
      physical_cores: 8, logical_cores: 8, total_memory_bytes: 8 * 1024 ** 3, gpu: null,
      unavailable: [{ field: 'cpu_brand', reason: 'hidden by the OS' }],
      llama_cpp: { bindings: 'llama-cpp-2 0.1', backends: 'CPU', unused_cpu_features: [] },
    });
    const by = Object.fromEntries(f.map((x) => [x.label, x]));
    expect(by.OS.value).toBe('android 14 (aarch64)');
    expect(by.Device.value).toBe('Pixel 8');
    expect(by.CPU.value).toBe('8 cores, 8 threads');
    expect(by.Memory.value).toBe('8.00 GiB');
    expect(by.GPU.value).toBeNull();
    expect(by['llama.cpp'].value).toBe('llama-cpp-2 0.1 · backends: CPU');
    const g = deviceFacts({ cpu_brand: null, unavailable: [{ field: 'cpu_brand', reason: 'hidden by the OS' }] });
    expect(g.find((x) => x.label === 'CPU')).toEqual({ label: 'CPU', value: null, reason: 'hidden by the OS' });
    expect(deviceFacts(null).every((x) => x.value === null)).toBe(true);
  });

  it('pivots aggregates and reports why a figure is missing', () => {
    const p = pivot([
      { dataset: 'a', task: 't', figure: 'ttft_ms', stat: 'mean', value: 12.34, n: 3, missing_reason: null, grader: null },
      { dataset: 'a', task: 't', figure: 'prefill_tokens_per_s', stat: 'mean', value: null, n: 0, missing_reason: 'too short', grader: null },
    ]);
    expect(cell(p, 'a', 'ttft_ms', 'mean')).toEqual({ value: 12.34, reason: null });
    expect(cell(p, 'a', 'prefill_tokens_per_s', 'mean')).toEqual({ value: null, reason: 'too short' });
    expect(cell(p, 'b', 'ttft_ms', 'mean').value).toBeNull();
  });

  it('flattens settings', () => {
    expect(flatScalars({ a: 1, b: { c: 'x', d: null }, e: [1, 2] })).toEqual([['a', '1'], ['b.c', 'x'], ['b.d', '—'], ['e', '1, 2']]);
  });

  it('formats numbers consistently', () => {
    expect(fmtParams(1_400_000)).toBe('1.4 M');
    expect(fmtParams(7_241_732_096)).toBe('7.2 B');
    expect(fmtBytes(144_811_392)).toBe('138.1 MiB');
    expect(fmtFigure('ttft_ms', 84.26)).toBe('84.3 ms');
    expect(fmtFigure('decode_tokens_per_s', 41.77)).toBe('41.8 t/s');
    expect(fmtFigure('em', 0.66666)).toBe('0.667');
    expect(fmtFigure('peak_memory_bytes', 440 * 1048576)).toBe('440.0 MiB');
    expect(fmtFigure('cpu_mean_pct', 182.44)).toBe('182.4 %');
    expect(fmtFigure('ttft_ms', null)).toBe('n/a');
    expect(figureLabel('cpu_mean_pct')).toBe('CPU mean');
  });

  it('formats and labels figures by the registry', () => {
    expect(fmtFigure('battery_drain_pct_per_hour', 4.25)).toBe('4.3 %');
    expect(fmtFigure('energy_j_per_token', 0.1234)).toBe('0.12 J/token');
    expect(fmtFigure('temperature_max_c', 41.26)).toBe('41.3 °C');
    expect(fmtFigure('thermal_fair_ms', 1500)).toBe('1500.0 ms');
    expect(fmtFigure('prompt_tokens', 1234.4)).toBe('1,234');
    expect(fmtFigure('errors', 2)).toBe('2');
    expect(fmtFigure('pp512', 812.345)).toBe('812.3 t/s');
    expect(fmtFigure('tg128 t/s', 41.77)).toBe('41.8 t/s');
    expect(fmtFigure('not_registered_ms', 0.5)).toBe('0.500');
    expect(figureLabel('rougeL')).toBe('ROUGE-L');
    expect(figureLabel('peak_memory_bytes')).toBe('Peak memory');
    expect(figureLabel('pp512+tg128 @ d4096')).toBe('pp512+tg128 @ d4096');
    expect(figureLabel('not_registered')).toBe('not registered');
    expect(figureOf('ttft_ms')?.direction).toBe('lower_is_better');
    expect(figureOf('tg128')).toBe(SPEED_TEST);
    expect(figureOf('ppx')).toBeNull();
    // A metric graded by a judge or an embedder: its metric's figure, labelled with the grader.
    expect(figureLabel('judge_em@gpt-4o.3fa2')).toBe('Judge exact match (gpt-4o.3fa2)');
    expect(figureOf('judge@SmolLM2.1a2b')?.unit).toBe('rating');
    expect(fmtFigure('judge@SmolLM2.1a2b', 7.5)).toBe('7.50 / 10');
    expect(figureOf('unknown@x')).toBeNull();
  });

  it('tells quality aggregates by grader or registry', () => {
    const row = (figure: string, grader: string | null) => ({ dataset: 'a', task: 't', figure, stat: 'mean', value: 1, n: 1, missing_reason: null, grader });
    expect(isQuality(row('f1', null))).toBe(true);
    expect(isQuality(row('custom', 'exact'))).toBe(true);
    expect(isQuality(row('decode_tokens_per_s', null))).toBe(false);
    expect(isQuality(row('cpu_mean_pct', null))).toBe(false);
    expect(EFFICIENCY_COLUMNS.map((c) => c.head)).toEqual(['TTFT mean', 'TTFT median', 'TTFT p95', 'Prefill', 'Decode', 'Total time', 'Errors', 'Truncated']);
    expect(parseUtc('2026-11-21 10:00:00')?.toISOString()).toBe('2026-11-21T10:00:00.000Z');
  });
});
