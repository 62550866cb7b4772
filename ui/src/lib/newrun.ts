// New-run form model: defaults → form, validation, form → NewRunRequest. Pure.
import type { NewRunRequest } from '../bindings/NewRunRequest';
import type { RunDefaults } from '../bindings/RunDefaults';
import type { Preset } from '../bindings/Preset';
import type { DatasetEntry } from '../bindings/DatasetEntry';
import type { ModelFit } from '../bindings/ModelFit';
import type { ModelEntry } from '../bindings/ModelEntry';

export type ExamplesChoice = '10' | '50' | '100' | 'all' | 'custom';

export type RunForm = {
  models: string[]; // in queue order
  suite: string;
  datasets: string[];
  examplesChoice: ExamplesChoice;
  customExamples: number | null;
  preset: Preset;
  threads: number;
  n_ctx: number;
  gpu_layers: number;
  max_tokens: number | null;
  template: string;
};

export function examplesToChoice(examples: number | null): { choice: ExamplesChoice; custom: number | null } {
  if (examples === null) return { choice: 'all', custom: null };
  if (examples === 10 || examples === 50 || examples === 100) return { choice: String(examples) as ExamplesChoice, custom: null };
  return { choice: 'custom', custom: examples };
}

export function choiceToExamples(choice: ExamplesChoice, custom: number | null): number | null {
  switch (choice) {
    case 'all':
      return null;
    case 'custom':
      return custom;
    default:
      return Number(choice);
  }
}

export function formFromDefaults(d: RunDefaults, suite = 'starter', datasets: string[] = []): RunForm {
  const ex = examplesToChoice(d.examples);
  return {
    models: [], suite, datasets, examplesChoice: ex.choice, customExamples: ex.custom, preset: d.preset,
    threads: d.threads, n_ctx: d.n_ctx, gpu_layers: d.gpu_layers, max_tokens: d.max_tokens, template: d.template ?? '',
  };
}

export function defaultsFromForm(f: RunForm): RunDefaults {
  return {
    preset: f.preset, examples: choiceToExamples(f.examplesChoice, f.customExamples), threads: f.threads,
    n_ctx: f.n_ctx, gpu_layers: f.gpu_layers, max_tokens: f.max_tokens, template: f.template.trim() === '' ? null : f.template.trim(),
  };
}

function isPosInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Problems with the run settings alone (shared with Settings). */
export function validateSettings(f: RunForm, threadsMax: number): string[] {
  const p: string[] = [];
  if (f.examplesChoice === 'custom' && !isPosInt(f.customExamples)) p.push('Examples per dataset must be a whole number of at least 1.');
  if (!isPosInt(f.threads) || f.threads > threadsMax) p.push(`Threads must be between 1 and ${threadsMax}.`);
  if (!isPosInt(f.n_ctx) || f.n_ctx < 128) p.push('Context must be a whole number of at least 128 tokens.');
  if (typeof f.gpu_layers !== 'number' || !Number.isInteger(f.gpu_layers) || f.gpu_layers < 0) p.push('GPU layers must be 0 or more.');
  if (f.max_tokens !== null && !isPosInt(f.max_tokens)) p.push('Max tokens must be empty (preset default) or at least 1.');
  return p;
}

/** The chosen models that cannot run image sets: no vision projector, or one that cannot be used. */
export function modelsWithoutVision(chosen: string[], models: ModelEntry[]): string[] {
  return chosen.filter((path) => {
    const m = models.find((x) => x.path === path);
    return !m?.projector || m.projector.problem !== null;
  });
}

function nameOf(path: string, models: ModelEntry[]): string {
  const m = models.find((x) => x.path === path);
  return m ? (m.name ?? m.file_name) : (path.split(/[\\/]/).pop() ?? path);
}

/** Why the image sets cannot be chosen for these models, in one line; null when they can. */
export function visionHint(chosen: string[], models: ModelEntry[]): string | null {
  if (chosen.length === 0) return 'Choose a model with a vision projector to run image sets.';
  const without = modelsWithoutVision(chosen, models);
  if (without.length === 0) return null;
  return `Needs a vision projector: pair one with ${without.map((p) => nameOf(p, models)).join(', ')} in Models.`;
}

/** Everything that stops the Start button, as sentences. */
export function validateForm(f: RunForm, threadsMax: number, datasets: DatasetEntry[], models: ModelEntry[] = []): string[] {
  const p: string[] = [];
  if (f.models.length === 0) p.push('Select at least one model.');
  if (f.datasets.length === 0) p.push('Select at least one dataset.');
  const missing = f.datasets.filter((n) => datasets.find((d) => d.name === n && d.suite === f.suite)?.present === false);
  if (missing.length) p.push(`Download ${missing.join(', ')} first.`);
  const imageSets = f.datasets.filter((n) => datasets.find((d) => d.name === n && d.suite === f.suite)?.multimodal);
  const without = modelsWithoutVision(f.models, models);
  if (imageSets.length && f.models.length && without.length) {
    const names = without.map((path) => nameOf(path, models));
    p.push(`${imageSets.join(', ')} show${imageSets.length === 1 ? 's' : ''} the model images: ${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} no vision projector (pair one in Models, or leave ${imageSets.length === 1 ? 'it' : 'them'} out).`);
  }
  return [...p, ...validateSettings(f, threadsMax)];
}

/** `ignoreMemoryLimit`: the user was told a model will not fit under the system's limit and chose to try. */
export function buildRequest(f: RunForm, ignoreMemoryLimit = false): NewRunRequest {
  return {
    models: [...f.models],
    suite: f.suite,
    datasets: [...f.datasets],
    examples: choiceToExamples(f.examplesChoice, f.customExamples),
    sample_seed: null,
    preset: f.preset,
    threads: f.threads,
    n_ctx: f.n_ctx,
    gpu_layers: f.gpu_layers,
    max_tokens: f.max_tokens,
    template: f.template.trim() === '' ? null : f.template.trim(),
    ignore_memory_limit: ignoreMemoryLimit,
  };
}

/**
 * What the memory check says about the chosen models: `fatal` would get the app closed by the
 * system (iOS's hard limit) and need the user's explicit consent; `warnings` will run, but
 * barely fit, will swap, or cannot be checked.
 */
export function memoryNotes(fits: ModelFit[]): { fatal: ModelFit[]; warnings: ModelFit[] } {
  const fatal = fits.filter((f) => f.fit.verdict === 'wont_fit' && f.fit.limit.kind === 'hard');
  const warnings = fits.filter((f) => f.fit.message !== null && !fatal.includes(f));
  return { fatal, warnings };
}

/** Toggle a model in the ordered queue. */
export function toggleModel(models: string[], path: string, on: boolean): string[] {
  const without = models.filter((m) => m !== path);
  return on ? [...without, path] : without;
}
