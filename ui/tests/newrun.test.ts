import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import { buildRequest, formFromDefaults, memoryNotes, toggleModel, validateForm } from '../src/lib/newrun';
import type { ModelFit } from '../src/bindings/ModelFit';
import type { Fit } from '../src/bindings/Fit';
import NewRun from '../src/screens/NewRun.svelte';
import { dispatch } from '../src/lib/live.svelte';
import { datasets, info, models, settings } from './fixtures';
import type { NewRunRequest } from '../src/bindings/NewRunRequest';

describe('new run form', () => {
  it('builds the request from defaults and choices', () => {
    const f = formFromDefaults(settings.defaults, 'starter', ['arith']);
    f.models = toggleModel(toggleModel(f.models, '/m/b', true), '/m/a', true);
    f.examplesChoice = 'custom';
    f.customExamples = 25;
    f.template = '  ';
    expect(buildRequest(f)).toEqual({
      models: ['/m/b', '/m/a'], suite: 'starter', datasets: ['arith'], examples: 25, sample_seed: null, preset: 'mobile',
      threads: 4, n_ctx: 2048, gpu_layers: 0, max_tokens: null, template: null, ignore_memory_limit: false,
    });
    expect(buildRequest(f, true).ignore_memory_limit).toBe(true);
    f.examplesChoice = 'all';
    f.template = 'chatml';
    expect(buildRequest(f).examples).toBeNull();
    expect(buildRequest(f).template).toBe('chatml');
  });

  it('validates before calling', () => {
    const f = formFromDefaults(settings.defaults, 'starter', []);
    expect(validateForm(f, 8, datasets)).toEqual(['Select at least one model.', 'Select at least one dataset.']);
    f.models = ['/m/a'];
    f.datasets = ['arith'];
    f.threads = 9;
    expect(validateForm(f, 8, datasets)).toEqual(['Threads must be between 1 and 8.']);
    f.threads = 8;
    f.examplesChoice = 'custom';
    f.customExamples = 0;
    expect(validateForm(f, 8, datasets)[0]).toMatch(/Examples/);
    f.examplesChoice = '10';
    f.suite = 'mobileaibench';
    f.datasets = ['gsm8k'];
    expect(validateForm(f, 8, datasets)).toEqual(['Download gsm8k first.']);
  });

  it('the screen sends the NewRunRequest the user picked', async () => {
    const { started } = backend(() => fits);
    render(NewRun);
    const start = (await screen.findByTestId('start-run')) as HTMLButtonElement;
    expect(screen.queryByTestId('memory-notes')).toBeNull();
    // built-in preselected, both starter datasets preselected
    expect(start.disabled).toBe(false);
    const modelBoxes = screen.getAllByTestId('model-checkbox') as HTMLInputElement[];
    expect(modelBoxes.map((b) => b.checked)).toEqual([true, false, false]);
    expect(modelBoxes[2].disabled).toBe(true); // model with a problem
    // no model → disabled with a hint
    await fireEvent.click(modelBoxes[0]);
    expect(start.disabled).toBe(true);
    expect(screen.getByTestId('start-hints').textContent).toContain('Select at least one model.');
    // queue: other first, then built-in
    await fireEvent.click(modelBoxes[1]);
    await fireEvent.click(modelBoxes[0]);
    const dsBoxes = screen.getAllByTestId('dataset-checkbox') as HTMLInputElement[];
    await fireEvent.click(dsBoxes[1]); // drop capitals
    await fireEvent.change(screen.getByTestId('examples-select'), { target: { value: 'all' } });
    await fireEvent.click(screen.getByTestId('preset-accuracy'));
    await fireEvent.input(screen.getByTestId('threads-input'), { target: { value: '2' } });
    expect(start.disabled).toBe(false);
    await fireEvent.click(start);
    await waitFor(() => expect(started).toHaveLength(1));
    expect(started[0]).toEqual({
      models: ['/m/other.gguf', '/m/builtin.gguf'], suite: 'starter', datasets: ['arith'], examples: null, sample_seed: null,
      preset: 'accuracy', threads: 2, n_ctx: 2048, gpu_layers: 0, max_tokens: null, template: null,
      ignore_memory_limit: false,
    });
    await waitFor(() => expect(location.hash).toBe('#/live'));
  });

  it('a model that will not fit under a hard limit needs the user to insist', async () => {
    // The previous test's run ends first (the live state is the app's, shared by screens).
    dispatch({ event: 'queue_finished', run_ids: [], cancelled: false, paused: false });
    const { started, asked } = backend((model) => (model === '/m/other.gguf' ? tooBig : fits));
    render(NewRun);
    const start = (await screen.findByTestId('start-run')) as HTMLButtonElement;
    const modelBoxes = screen.getAllByTestId('model-checkbox') as HTMLInputElement[];
    await fireEvent.click(modelBoxes[1]);
    const fatal = await screen.findByTestId('memory-fatal');
    expect(fatal.textContent).toContain('Other');
    expect(fatal.textContent).toContain('will not fit');
    expect(start.disabled).toBe(true);
    // The check follows the context asked for.
    await fireEvent.input(screen.getByTestId('ctx-input'), { target: { value: '1024' } });
    await waitFor(() => expect(asked.at(-1)).toEqual({ models: ['/m/builtin.gguf', '/m/other.gguf'], nCtx: 1024, images: false }));
    await fireEvent.click(screen.getByTestId('memory-try-anyway'));
    expect(start.disabled).toBe(false);
    await fireEvent.click(start);
    await waitFor(() => expect(started).toHaveLength(1));
    expect(started[0].ignore_memory_limit).toBe(true);
  });

  it('sorts memory notes into fatal and warnings', () => {
    const soft: Fit = { ...tooBig, limit: { kind: 'soft', bytes: 1e9 }, message: 'will swap' };
    const tight: Fit = { ...fits, verdict: 'tight', message: 'little to spare' };
    const all: ModelFit[] = [
      { model: 'a', fit: fits }, { model: 'b', fit: tooBig }, { model: 'c', fit: soft }, { model: 'd', fit: tight },
    ];
    const n = memoryNotes(all);
    expect(n.fatal.map((f) => f.model)).toEqual(['b']);
    expect(n.warnings.map((f) => f.model)).toEqual(['c', 'd']);
  });
});

/** The commands New run calls; `fitOf` answers the memory check per model. */
function backend(fitOf: (model: string) => Fit) {
  const started: NewRunRequest[] = [];
  const asked: { models: string[]; nCtx: number; images: boolean }[] = [];
  mockIPC((cmd, args) => {
    switch (cmd) {
      case 'list_models': return models;
      case 'list_datasets': return datasets;
      case 'get_settings': return settings;
      case 'app_info': return info;
      case 'memory_fit': {
        const a = args as { models: string[]; nCtx: number; images: boolean };
        asked.push(a);
        return a.models.map((model) => ({ model, fit: fitOf(model) }));
      }
      case 'start_run':
        started.push((args as { request: NewRunRequest }).request);
        return { queue_id: 1 };
      default: throw new Error(`unexpected ${cmd}`);
    }
  });
  return { started, asked };
}

const estimate = { weights_bytes: 4e9, kv_cache_bytes: 1e9, work_bytes: 3e8, total_bytes: 5.3e9 };
const fits: Fit = { estimate, limit: { kind: 'hard', bytes: 8e9 }, verdict: 'fits', message: null };
const tooBig: Fit = {
  estimate, limit: { kind: 'hard', bytes: 3e9 }, verdict: 'wont_fit',
  message: 'This model will not fit: it needs about 5.3 GB, but 3.0 GB is all the system lets this app use now.',
};
