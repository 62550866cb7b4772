// Consistent number / date formatting: 1 decimal for ms and tokens/s, 3 for quality.

export const NA = 'n/a';

export function fmtMs(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : `${v.toFixed(1)} ms`;
}
export function fmtTps(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : `${v.toFixed(1)} t/s`;
}
export function fmtQuality(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : v.toFixed(3);
}
export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : `${v.toFixed(1)} %`;
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

/** Format a figure by its name: *_ms → ms, *_per_s → t/s, *_bytes → MiB, *_pct → %, else quality. */
export function fmtFigure(figure: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return NA;
  if (figure.endsWith('_bytes')) return fmtBytes(v);
  if (figure.endsWith('_pct') || figure.includes('_pct_')) return fmtPct(v);
  if (figure.endsWith('_ms') || figure.startsWith('itl_')) return fmtMs(v);
  if (figure.endsWith('_per_s') || /^(pp|tg)\d+/.test(figure)) return fmtTps(v);
  if (figure === 'samples' || figure === 'errors' || figure === 'truncated' || figure === 'n') return fmtInt(v);
  if (figure.endsWith('_w')) return `${v.toFixed(2)} W`;
  if (figure.endsWith('_c')) return `${v.toFixed(1)} °C`;
  return fmtQuality(v);
}

/** Plain number for deltas, same precision rules as fmtFigure, with explicit sign. */
export function fmtDelta(figure: string, d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return '';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  const a = Math.abs(d);
  let body: string;
  if (figure.endsWith('_bytes')) body = fmtBytes(a);
  else if (figure.endsWith('_pct')) body = `${a.toFixed(1)} %`;
  else if (figure.endsWith('_ms') || figure.startsWith('itl_')) body = a.toFixed(1);
  else if (figure.endsWith('_per_s') || /^(pp|tg)\d+/.test(figure)) body = a.toFixed(1);
  else if (figure === 'samples' || figure === 'errors' || figure === 'truncated') body = String(Math.round(a));
  else body = a.toFixed(3);
  return `${sign}${body}`;
}

export function figureLabel(figure: string): string {
  const known: Record<string, string> = {
    ttft_ms: 'TTFT',
    prefill_tokens_per_s: 'Prefill',
    decode_tokens_per_s: 'Decode',
    itl_p50_ms: 'ITL p50',
    itl_p95_ms: 'ITL p95',
    output_eval_ms: 'Output eval',
    total_ms: 'Total time',
    samples: 'Samples',
    truncated: 'Truncated',
    errors: 'Errors',
  };
  return known[figure] ?? figure.replace(/_/g, ' ');
}

export function modelLabel(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.gguf$/i, '');
}

/** "cpu_mean_pct" → "CPU mean", "peak_memory_bytes" → "Peak memory". */
export function resourceLabel(figure: string): string {
  const t = figure.replace(/_(pct|bytes|ms|w|c)$/, '').replace(/_pct_/, ' % ').replace(/_/g, ' ').replace(/\bcpu\b/g, 'CPU').replace(/\brss\b/g, 'RSS');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** Where a load put the model's layers, as the CLI words it (`LoadRow::placement`). */
export function placement(l: { backend: string | null; gpu_layers_offloaded: number | null; layers_total: number | null }): string {
  if (l.backend === null) return 'not recorded (older run)';
  if (!l.gpu_layers_offloaded) return l.backend;
  return l.layers_total !== null ? `${l.backend}, ${l.gpu_layers_offloaded}/${l.layers_total} layers` : `${l.backend}, ${l.gpu_layers_offloaded} layers`;
}
