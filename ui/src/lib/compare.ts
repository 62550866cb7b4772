import type { CompareRow } from '../bindings/CompareRow';
import type { Comparison } from '../bindings/Comparison';
import { GRADED_BY } from '../bindings/figures';
import { figureLabel, isQualityFigure } from './figures';

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

/** A graded figure's name split at the grader: `judge_em@gpt-4o.3fa2` → ['judge_em', 'gpt-4o.3fa2']. */
function splitGrader(figure: string): [string, string | null] {
  const at = figure.indexOf(GRADED_BY);
  return at > 0 ? [figure.slice(0, at), figure.slice(at + 1)] : [figure, null];
}

/**
 * Which graders produced which quality figures, in one line, when a comparison has figures of a
 * judge or an embedder (each is a row of its own, apart from the offline figure); null otherwise.
 */
export function graderNote(cmp: Comparison): string | null {
  type Who = { metrics: string[]; runs: Set<number> };
  const by = new Map<string, Who>();
  const offline = '';
  for (const row of cmp.rows) {
    if (!isQualityFigure(row.figure)) continue;
    const [metric, grader] = splitGrader(row.figure);
    const key = grader ?? offline;
    let who = by.get(key);
    if (!who) by.set(key, (who = { metrics: [], runs: new Set() }));
    const label = figureLabel(metric);
    if (!who.metrics.includes(label)) who.metrics.push(label);
    row.values.forEach((v, j) => {
      if (v !== null) who.runs.add(cmp.runs[j].id);
    });
  }
  if (![...by.keys()].some((k) => k !== offline)) return null;
  const runs = (s: Set<number>) => {
    const ids = [...s].sort((a, b) => a - b).map((id) => `#${id}`);
    return ids.length ? ` (${ids.length === 1 ? 'run' : 'runs'} ${ids.join(', ')})` : ' (no run)';
  };
  const parts = [...by.entries()]
    .sort(([a], [b]) => (a === offline ? 1 : b === offline ? -1 : a.localeCompare(b)))
    .map(([k, who]) => `${k === offline ? 'the offline rules' : k} gave ${who.metrics.join(', ')}${runs(who.runs)}`);
  return `Graded by: ${parts.join('; ')}.`;
}
