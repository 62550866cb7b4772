import type { AggregateRow } from '../bindings/AggregateRow';
import type { JsonValue } from '../bindings/serde_json/JsonValue';
import type { Figure } from '../bindings/Figure';
import type { SampleRow } from '../bindings/SampleRow';
import { FIGURES, isQualityFigure } from './figures';
import { fmtBytes } from './format';

export type Cell = { value: number | null; reason: string | null };

/** dataset → "figure:stat" → row */
export function pivot(rows: AggregateRow[]): Map<string, Map<string, AggregateRow>> {
  const m = new Map<string, Map<string, AggregateRow>>();
  for (const r of rows) {
    let d = m.get(r.dataset);
    if (!d) m.set(r.dataset, (d = new Map()));
    d.set(`${r.figure}:${r.stat}`, r);
  }
  return m;
}

export function cell(p: Map<string, Map<string, AggregateRow>>, dataset: string, figure: string, stat: string): Cell {
  const r = p.get(dataset)?.get(`${figure}:${stat}`);
  if (!r) return { value: null, reason: 'not measured for this run' };
  return { value: r.value, reason: r.value === null ? (r.missing_reason ?? 'no value') : null };
}

/** A graded metric's aggregate (by its grader, or by the registry's quality group). */
export function isQuality(r: AggregateRow): boolean {
  return r.grader !== null || isQualityFigure(r.figure);
}

export type Column = { figure: Figure; stat: string; head: string };

function columns(spec: [Figure, string][]): Column[] {
  // The stat is named only where the figure has several columns ("TTFT median", "Decode").
  const several = (f: Figure) => spec.filter(([g]) => g === f).length > 1;
  return spec.map(([figure, stat]) => ({ figure, stat, head: several(figure) ? `${figure.label} ${stat}` : figure.label }));
}

/** The efficiency table of a suite run, column by column. */
export const EFFICIENCY_COLUMNS: Column[] = columns([
  [FIGURES.ttft_ms, 'mean'],
  [FIGURES.ttft_ms, 'median'],
  [FIGURES.ttft_ms, 'p95'],
  [FIGURES.prefill_tokens_per_s, 'mean'],
  [FIGURES.decode_tokens_per_s, 'mean'],
  [FIGURES.total_ms, 'mean'],
  [FIGURES.errors, 'count'],
  [FIGURES.truncated, 'count'],
]);

/** The columns of a run with image datasets: what its images cost (absent for text-only runs). */
export const IMAGE_COLUMNS: Column[] = columns([
  [FIGURES.image_decode_ms, 'mean'],
  [FIGURES.image_encode_ms, 'mean'],
  [FIGURES.image_tokens, 'mean'],
  [FIGURES.prompt_text_tokens, 'mean'],
]);

/** The efficiency columns for these aggregates: the image ones only when a dataset showed images. */
export function efficiencyColumns(rows: AggregateRow[]): Column[] {
  const images = new Set(IMAGE_COLUMNS.map((c) => c.figure.name));
  return rows.some((r) => images.has(r.figure) && r.value !== null) ? [...EFFICIENCY_COLUMNS, ...IMAGE_COLUMNS] : EFFICIENCY_COLUMNS;
}

/** A sample's image figures, labelled by the registry; empty for a sample without an image. */
export function sampleImageFigures(s: SampleRow): { figure: string; label: string; value: number | null }[] {
  if (s.image_path === null) return [];
  const values: [Figure, number | null][] = [
    [FIGURES.image_decode_ms, s.timings.image_decode_ms],
    [FIGURES.image_encode_ms, s.timings.image_encode_ms],
    [FIGURES.image_tokens, s.image_tokens],
    [FIGURES.prompt_text_tokens, s.prompt_text_tokens],
  ];
  return values.map(([f, value]) => ({ figure: f.name, label: f.label, value }));
}

function obj(v: JsonValue | undefined): Record<string, JsonValue | undefined> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, JsonValue | undefined>) : null;
}

function pick(o: Record<string, JsonValue | undefined> | null, keys: string[]): JsonValue | undefined {
  if (!o) return undefined;
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

function str(v: JsonValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const o = obj(v);
  if (o) {
    const parts = Object.values(o).filter((x) => typeof x === 'string' || typeof x === 'number') as (string | number)[];
    return parts.length ? parts.join(' ') : JSON.stringify(v);
  }
  return JSON.stringify(v);
}

export type Fact = { label: string; value: string | null; reason: string | null };

/**
 * Device identity rows from RunDetail.device (DeviceSummary: telemetry DeviceIdentity flattened +
 * llama_cpp build). Tolerant of missing keys; a null value carries the reason from `unavailable`.
 */
export function deviceFacts(device: JsonValue): Fact[] {
  const o = obj(device);
  const missing = new Map<string, string>();
  const un = o?.unavailable;
  if (Array.isArray(un)) {
    for (const m of un) {
      const mo = obj(m);
      if (mo && typeof mo.field === 'string') missing.set(mo.field, typeof mo.reason === 'string' ? mo.reason : 'not available');
    }
  }
  const reasonFor = (...fields: string[]) => {
    for (const f of fields) if (missing.has(f)) return missing.get(f)!;
    return 'not reported';
  };
  const fact = (label: string, value: string | null, ...fields: string[]): Fact => ({ label, value, reason: value === null ? reasonFor(...fields) : null });

  const os = str(pick(o, ['os', 'os_name', 'platform', 'system']));
  const osVer = str(pick(o, ['os_version']));
  const arch = str(pick(o, ['arch']));
  const osText = os ? [os, osVer && !os.includes(osVer) ? osVer : null, arch ? `(${arch})` : null].filter(Boolean).join(' ') : null;

  const cpuRaw = pick(o, ['cpu_brand', 'cpu', 'cpu_model', 'chip', 'soc']);
  const cpuO = obj(cpuRaw);
  const cpu = cpuO ? (str(pick(cpuO, ['brand', 'model', 'name'])) ?? str(cpuRaw)) : str(cpuRaw);
  const phys = pick(o, ['physical_cores']);
  const logical = pick(o, ['logical_cores', 'cores', 'cpu_cores']);
  const perf = pick(o, ['performance_cores']);
  const eff = pick(o, ['efficiency_cores']);
  const cores = [
    typeof phys === 'number' ? `${phys} cores` : null,
    typeof logical === 'number' ? `${logical} threads` : null,
    typeof perf === 'number' && typeof eff === 'number' ? `${perf}P + ${eff}E` : null,
  ].filter(Boolean).join(', ');
  const cpuText = cpu ? (cores ? `${cpu} (${cores})` : cpu) : cores || null;

  const memRaw = pick(o, ['total_memory_bytes', 'memory_bytes', 'memory_total_bytes', 'ram_bytes', 'memory']);
  const memText = typeof memRaw === 'number' ? fmtBytes(memRaw) : str(memRaw);

  const ll = obj(pick(o, ['llama_cpp']));
  const llamaText = ll
    ? [str(pick(ll, ['bindings'])), str(pick(ll, ['backends'])) ? `backends: ${str(pick(ll, ['backends']))}` : null].filter(Boolean).join(' · ') || null
    : str(pick(o, ['llama', 'llama_build', 'llama_version', 'build']));

  const model = [str(pick(o, ['device_model', 'model', 'machine'])), str(pick(o, ['device_name']))].filter(Boolean).join(' · ') || null;
  const facts: Fact[] = [
    fact('Device', model, 'device_model', 'device_name'),
    fact('OS', osText, 'os', 'os_version'),
    fact('CPU', cpuText, 'cpu_brand', 'physical_cores'),
    fact('Memory', memText, 'total_memory_bytes'),
    fact('GPU', str(pick(o, ['gpu'])), 'gpu'),
    fact('llama.cpp', llamaText, 'llama_cpp'),
  ];
  const unused = ll ? pick(ll, ['unused_cpu_features']) : undefined;
  if (Array.isArray(unused) && unused.length) facts.push(fact('Unused CPU features', unused.map(String).join(', ')));
  return facts;
}

/** Flat list of scalar settings for the summary. */
export function flatScalars(v: JsonValue, prefix = ''): [string, string][] {
  const o = obj(v);
  if (!o) return [];
  const out: [string, string][] = [];
  for (const [k, x] of Object.entries(o)) {
    if (x === undefined) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (x === null) out.push([key, '—']);
    else if (typeof x === 'object' && !Array.isArray(x)) out.push(...flatScalars(x, key));
    else if (Array.isArray(x)) out.push([key, x.map((y) => (typeof y === 'object' ? JSON.stringify(y) : String(y))).join(', ')]);
    else out.push([key, String(x)]);
  }
  return out;
}
