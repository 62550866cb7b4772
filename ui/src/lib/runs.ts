import type { RunSummary } from '../bindings/RunSummary';
import { figureLabel, fmtFigure } from './format';

/** Short "figure value" list for a run row. */
export function headlineText(r: RunSummary, max = 4): string {
  return r.headline
    .slice(0, max)
    .map((h) => `${figureLabel(h.figure)} ${fmtFigure(h.figure, h.value)}`)
    .join(' · ');
}

export function runTitle(r: RunSummary): string {
  return `${r.model_name}${r.model.quantization ? ` ${r.model.quantization}` : ''}`;
}
