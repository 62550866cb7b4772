import type { SampleRow } from '../bindings/SampleRow';

export type SampleFilter = { query: string; dataset: string; errorsOnly: boolean; truncatedOnly: boolean };

export function emptyFilter(): SampleFilter {
  return { query: '', dataset: '', errorsOnly: false, truncatedOnly: false };
}

export function filterSamples(rows: SampleRow[], f: SampleFilter): SampleRow[] {
  const q = f.query.trim().toLowerCase();
  return rows.filter((r) => {
    if (f.dataset && r.dataset !== f.dataset) return false;
    if (f.errorsOnly && !r.error) return false;
    if (f.truncatedOnly && !r.truncated) return false;
    if (q) {
      const hay = `${r.prompt}\n${r.reference}\n${r.prediction}\n${r.error ?? ''}\n${r.example_id ?? ''}`.toLowerCase();
      if (!hay.includes(q)) return false;
    }
    return true;
  });
}

export function truncate(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
}

/** Bin values for a histogram. */
export function histogram(values: number[], bins = 12): { labels: string[]; counts: number[] } {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { labels: [], counts: [] };
  const min = Math.min(...v);
  const max = Math.max(...v);
  const width = max > min ? (max - min) / bins : 1;
  const n = max > min ? bins : 1;
  const counts = new Array<number>(n).fill(0);
  for (const x of v) counts[Math.min(n - 1, Math.floor((x - min) / width))]++;
  const labels = counts.map((_, i) => (min + i * width).toFixed(1));
  return { labels, counts };
}

/** Keep at most `max` points (every k-th, plus the last) so long runs chart quickly. */
export function downsample<T>(points: T[], max = 2000): T[] {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out: T[] = [];
  for (let i = 0; i < points.length; i += k) out.push(points[i]);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}
