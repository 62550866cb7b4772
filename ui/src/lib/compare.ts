import type { CompareRow } from '../bindings/CompareRow';

export type Tone = 'better' | 'worse' | 'same' | 'none';

/** Colour class for a delta vs the baseline. null delta (baseline itself or missing) → 'none'. */
export function deltaTone(delta: number | null | undefined, higherIsBetter: boolean): Tone {
  if (delta === null || delta === undefined || !Number.isFinite(delta)) return 'none';
  if (Math.abs(delta) < 1e-12) return 'same';
  return (delta > 0) === higherIsBetter ? 'better' : 'worse';
}

export function toneWord(t: Tone): string {
  return t === 'better' ? 'better' : t === 'worse' ? 'worse' : t === 'same' ? 'same' : '';
}

export type RowGroup = { dataset: string; rows: CompareRow[] };

export function groupByDataset(rows: CompareRow[]): RowGroup[] {
  const out: RowGroup[] = [];
  const idx = new Map<string, RowGroup>();
  for (const r of rows) {
    let g = idx.get(r.dataset);
    if (!g) {
      g = { dataset: r.dataset, rows: [] };
      idx.set(r.dataset, g);
      out.push(g);
    }
    g.rows.push(r);
  }
  return out;
}
