// Consistent number / date formatting: figures by their registered unit (1 decimal for ms and
// tokens/s, 3 for quality).
import type { Unit } from '../bindings/Unit';
import { figureOf } from './figures';

export { figureLabel } from './figures';

export const NA = 'n/a';

/** How a unit prints: decimals and the text after the number (bytes and whole numbers aside). */
const UNIT_TEXT: Record<Exclude<Unit, 'bytes' | 'count' | 'tokens'>, { decimals: number; suffix: string }> = {
  score: { decimals: 3, suffix: '' },
  rating: { decimals: 2, suffix: ' / 10' },
  ms: { decimals: 1, suffix: ' ms' },
  tokens_per_s: { decimals: 1, suffix: ' t/s' },
  pct: { decimals: 1, suffix: ' %' },
  pct_per_hour: { decimals: 1, suffix: ' %' },
  pct_per_1k_tokens: { decimals: 1, suffix: ' %' },
  joules_per_token: { decimals: 2, suffix: ' J/token' },
  celsius: { decimals: 1, suffix: ' °C' },
};

/** A value in a unit; a figure of unknown unit prints as a score (3 decimals). */
export function fmtUnit(unit: Unit | null, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NA;
  if (unit === 'bytes') return fmtBytes(v);
  if (unit === 'count' || unit === 'tokens') return fmtInt(v);
  const { decimals, suffix } = UNIT_TEXT[unit ?? 'score'];
  return `${v.toFixed(decimals)}${suffix}`;
}

export function fmtMs(v: number | null | undefined): string {
  return fmtUnit('ms', v);
}
export function fmtTps(v: number | null | undefined): string {
  return fmtUnit('tokens_per_s', v);
}
export function fmtQuality(v: number | null | undefined): string {
  return fmtUnit('score', v);
}
export function fmtInt(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : Math.round(v).toLocaleString('en-US');
}

export function fmtBytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NA;
  const abs = Math.abs(v);
  if (abs >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(2)} GiB`;
  if (abs >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${v} B`;
}
export function mib(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : v / 1024 ** 2;
}

/** 1_400_000 → "1.4 M", 7_241_732_096 → "7.2 B". */
export function fmtParams(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n <= 0) return NA;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

export function shortSha(s: string | null | undefined): string {
  return s ? s.slice(0, 12) : 'not hashed';
}

/** Backend timestamps are UTC "YYYY-MM-DD HH:MM:SS". */
export function parseUtc(s: string | null | undefined): Date | null {
  if (!s) return null;
  const iso = s.includes('T') ? s : s.replace(' ', 'T');
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + 'Z');
  return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtDate(s: string | null | undefined): string {
  const d = parseUtc(s);
  if (!d) return NA;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtRelative(s: string | null | undefined, now: number = Date.now()): string {
  const d = parseUtc(s);
  if (!d) return '';
  const sec = Math.round((now - d.getTime()) / 1000);
  if (sec < 0) return 'just now';
  if (sec < 60) return `${sec} s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ago`;
  const days = Math.floor(sec / 86400);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NA;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A figure's value in its registered unit. */
export function fmtFigure(figure: string, v: number | null | undefined): string {
  return fmtUnit(figureOf(figure)?.unit ?? null, v);
}

/** A difference of a figure, with explicit sign; ms and t/s without their unit, whole numbers rounded. */
export function fmtDelta(figure: string, d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return '';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  const a = Math.abs(d);
  const unit = figureOf(figure)?.unit ?? null;
  let body: string;
  if (unit === 'bytes') body = fmtBytes(a);
  else if (unit === 'count' || unit === 'tokens') body = String(Math.round(a));
  else if (unit === 'ms' || unit === 'tokens_per_s') body = a.toFixed(UNIT_TEXT[unit].decimals);
  else body = fmtUnit(unit, a);
  return `${sign}${body}`;
}

export function modelLabel(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.gguf$/i, '');
}

/** Where a load put the model's layers, as the CLI words it (`LoadRow::placement`). */
export function placement(l: { backend: string | null; gpu_layers_offloaded: number | null; layers_total: number | null }): string {
  if (l.backend === null) return 'not recorded (older run)';
  if (!l.gpu_layers_offloaded) return l.backend;
  return l.layers_total !== null ? `${l.backend}, ${l.gpu_layers_offloaded}/${l.layers_total} layers` : `${l.backend}, ${l.gpu_layers_offloaded} layers`;
}
