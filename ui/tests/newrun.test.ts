import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import { buildRequest, formFromDefaults, toggleModel, validateForm } from '../src/lib/newrun';
import NewRun from '../src/screens/NewRun.svelte';
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
      threads: 4, n_ctx: 2048, gpu_layers: 0, max_tokens: null, template: null,
    });
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
    const started: NewRunRequest[] = [];
    mockIPC((cmd, args) => {
      switch (cmd) {
        case 'list_models': return models;
        case 'list_datasets': return datasets;
        case 'get_settings': return settings;
        case 'app_info': return info;
        case 'start_run':
          started.push((args as { request: NewRunRequest }).request);
          return { queue_id: 1 };
        default: throw new Error(`unexpected ${cmd}`);
      }
    });
    render(NewRun);
    const start = (await screen.findByTestId('start-run')) as HTMLButtonElement;
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
    });
    await waitFor(() => expect(location.hash).toBe('#/live'));
  });
});
