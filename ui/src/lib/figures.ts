// The figure registry (crates/mobench-metrics/src/figure.rs, generated into ../bindings/figures.ts):
// every figure's unit, direction and label, looked up by the name the backend sends.
import { FIGURES, SPEED_TEST, SPEED_TEST_PATTERN } from '../bindings/figures';
import type { Figure } from '../bindings/Figure';

export { FIGURES, SPEED_TEST };

const BY_NAME: ReadonlyMap<string, Figure> = new Map(Object.values(FIGURES).map((f) => [f.name, f]));
const SPEED_TEST_NAME = new RegExp(SPEED_TEST_PATTERN);

/** The figure a name stands for: a registered name, or a speed test's (`pp512`, `tg128 t/s`); null if unknown. */
export function figureOf(name: string): Figure | null {
  return BY_NAME.get(name) ?? (SPEED_TEST_NAME.test(name) ? SPEED_TEST : null);
}

/** The registry's label; a speed test is labelled by its own name, an unknown figure by its name without underscores. */
export function figureLabel(name: string): string {
  return BY_NAME.get(name)?.label ?? name.replace(/_/g, ' ');
}

/** Whether a figure is a quality metric's score. */
export function isQualityFigure(name: string): boolean {
  return figureOf(name)?.group === 'quality';
}
