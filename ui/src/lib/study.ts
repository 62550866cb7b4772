// The quantization study's view logic (pure): chart points and the Pareto front of quality
// retained against size, as the engine marks it.
import type { StudyTable } from '../bindings/StudyTable';
import type { LevelRow } from '../bindings/LevelRow';

export type StudyPoint = { label: string; x: number; y: number; pareto: boolean; recommended: boolean };

/** One point per level that has both a size and a quality retained: x in MB, y in %. */
export function studyPoints(t: StudyTable): StudyPoint[] {
  return t.levels
    .filter((l) => l.size_bytes !== null && l.quality_retained !== null)
    .map((l) => ({
      label: l.label,
      x: (l.size_bytes as number) / 1e6,
      y: (l.quality_retained as number) * 100,
      pareto: l.pareto,
      recommended: t.recommendation.level === l.label,
    }));
}

/** The Pareto front's points, from the smallest level up (the line drawn through them). */
export function paretoLine(points: StudyPoint[]): StudyPoint[] {
  return points.filter((p) => p.pareto).sort((a, b) => a.x - b.x);
}

/** The task columns of the table: every (dataset, metric) any level has, in first-seen order. */
export function taskColumns(levels: LevelRow[]): { dataset: string; metric: string }[] {
  const out: { dataset: string; metric: string }[] = [];
  for (const l of levels)
    for (const t of l.tasks)
      if (!out.some((o) => o.dataset === t.dataset && o.metric === t.metric)) out.push({ dataset: t.dataset, metric: t.metric });
  return out;
}

/** Which types a model can be quantized from, by its quantization's name. */
export function quantizable(quantization: string | null): boolean {
  return quantization !== null && ['F32', 'F16', 'BF16', 'Q8_0'].includes(quantization);
}
