// The figure registry (crates/mobench-metrics/src/figure.rs, generated into ../bindings/figures.ts):
// every figure's unit, direction and label, looked up by the name the backend sends.
import { FIGURES, GRADED_BY, SPEED_TEST, SPEED_TEST_PATTERN } from '../bindings/figures';
import type { Figure } from '../bindings/Figure';

export { FIGURES, SPEED_TEST };

const BY_NAME: ReadonlyMap<string, Figure> = new Map(Object.values(FIGURES).map((f) => [f.name, f]));
const SPEED_TEST_NAME = new RegExp(SPEED_TEST_PATTERN);

/** A figure graded by a judge or an embedder, `judge_em@gpt-4o.3fa2`: its metric and its grader's label. */
function graded(name: string): { metric: string; grader: string } | null {
  const at = name.indexOf(GRADED_BY);
  return at > 0 ? { metric: name.slice(0, at), grader: name.slice(at + 1) } : null;
}

/** The figure a name stands for: a registered name, a speed test's (`pp512`, `tg128 t/s`), or a metric graded by a judge or an embedder (`judge_em@…`); null if unknown. */
export function figureOf(name: string): Figure | null {
  const exact = BY_NAME.get(name) ?? (SPEED_TEST_NAME.test(name) ? SPEED_TEST : null);
  if (exact) return exact;
  const g = graded(name);
  return g ? (BY_NAME.get(g.metric) ?? null) : null;
}

/** The registry's label (with the grader of a judge- or embedder-graded figure); a speed test is labelled by its own name, an unknown figure by its name without underscores. */
export function figureLabel(name: string): string {
  const exact = BY_NAME.get(name)?.label;
  if (exact) return exact;
  const g = graded(name);
  const base = g ? BY_NAME.get(g.metric)?.label : undefined;
  return base && g ? `${base} (${g.grader})` : name.replace(/_/g, ' ');
}

/** Whether a figure is a quality metric's score. */
export function isQualityFigure(name: string): boolean {
  return figureOf(name)?.group === 'quality';
}
