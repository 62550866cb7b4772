import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import Models from '../src/screens/Models.svelte';
import Settings from '../src/screens/Settings.svelte';
import LiveRun from '../src/screens/LiveRun.svelte';
import { dispatch, startRun } from '../src/lib/live.svelte';
import { info, models, settings } from './fixtures';
import type { AppSettings } from '../src/bindings/AppSettings';

describe('Models screen', () => {
  it('lists models with formatted facts, problems, and no delete for the built-in one', async () => {
    mockIPC((cmd) => (cmd === 'list_models' ? models : null));
    render(Models);
    const rows = await screen.findAllByTestId('model-row');
    expect(rows).toHaveLength(3);
    expect(rows[0].textContent).toContain('135.0 M');
    expect(rows[0].textContent).toContain('built-in');
    expect(within(rows[0]).queryByRole('button', { name: /Delete|Forget/ })).toBeNull();
    expect(within(rows[0]).getByTestId('study-model').textContent).toContain('Study quantization');
    expect(within(rows[1]).getByRole('button', { name: 'Delete Other' })).toBeTruthy();
    expect(within(rows[2]).getByTestId('model-problem').textContent).toContain('the file is gone');
    expect(within(rows[2]).getByRole('button').textContent).toContain('Forget');
    expect(within(rows[1]).getByTitle('bb')).toBeTruthy(); // full sha256 in the title
  });
});

describe('Settings screen', () => {
  it('validates and saves settings', async () => {
    const saved: AppSettings[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'get_settings') return settings;
      if (cmd === 'app_info') return { ...info, db_path_editable: false };
      if (cmd === 'save_settings') {
        saved.push((args as { settings: AppSettings }).settings);
        return (args as { settings: AppSettings }).settings;
      }
      return null;
    });
    render(Settings);
    const save = (await screen.findByTestId('save-settings')) as HTMLButtonElement;
    await screen.findByText('Fixed on this device.');
    const mirror = screen.getByLabelText(/Dataset mirror URL/) as HTMLInputElement;
    await fireEvent.input(mirror, { target: { value: 'ftp://nope' } });
    expect(save.disabled).toBe(true);
    expect(screen.getByText(/must start with http/)).toBeTruthy();
    await fireEvent.input(mirror, { target: { value: 'https://mirror.example/ds/' } });
    await fireEvent.input(screen.getByTestId('cooldown-input'), { target: { value: '30' } });
    await fireEvent.change(screen.getByTestId('examples-select'), { target: { value: 'all' } });
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toEqual({
      defaults: { ...settings.defaults, examples: null },
      cooldown_s: 30,
      dataset_mirror: 'https://mirror.example/ds/',
      graders: [],
      hub_endpoint: null,
    });
  });

  it('keeps the advanced section open while the user types in it', async () => {
    mockIPC((cmd) => (cmd === 'get_settings' ? settings : cmd === 'app_info' ? info : null));
    render(Settings);
    const maxTokens = (await screen.findByLabelText(/Max new tokens/)) as HTMLInputElement;
    const details = maxTokens.closest('details') as HTMLDetailsElement;
    details.open = true;
    await fireEvent.input(maxTokens, { target: { value: '1' } });
    await fireEvent.input(maxTokens, { target: { value: '1000' } });
    expect(details.open).toBe(true);
    expect(maxTokens.value).toBe('1000');
  });
});

describe('Live run screen', () => {
  it('shows the module-level live state, and keeps it across re-mounts', async () => {
    mockIPC((cmd) => (cmd === 'start_run' ? { queue_id: 1 } : null));
    const first = render(LiveRun);
    expect(screen.getByTestId('live-empty')).toBeTruthy();
    await startRun({ models: ['/m/a.gguf'], suite: 'starter', datasets: ['arith'], examples: 10, sample_seed: null, preset: 'mobile', threads: 4, n_ctx: 2048, gpu_layers: 0, max_tokens: null, template: null, ignore_memory_limit: false });
    dispatch({ event: 'queue_started', queue_id: 1, models: ['/m/a.gguf'] });
    dispatch({ event: 'model_started', index: 0, total: 1, model: '/m/a.gguf' });
    dispatch({ event: 'run_started', run_id: 5, model: '/m/a.gguf', resumed: false, total: 2, already_done: 0, datasets: [{ dataset: 'arith', task: 'math', samples: 2, already_done: 0 }] });
    await waitFor(() => expect(screen.getByTestId('run-status').textContent).toBe('Loading model…'));
    expect((screen.getByTestId('cancel-run') as HTMLButtonElement).disabled).toBe(false);
    dispatch({ event: 'model_loaded', cold: true, model_load_ms: 10, projector_load_ms: null, context_ms: 1, n_ctx: 2048, n_params: 1, backend: 'Metal (Apple A17 Pro GPU)', gpu_layers_offloaded: 31, layers_total: 31 });
    dispatch({ event: 'sample_started', dataset: 'arith', row: 0, prompt: '1+1?', image: null });
    dispatch({ event: 'token', text: 'tw' });
    dispatch({ event: 'token', text: 'o' });
    await waitFor(() => expect(screen.getByTestId('live-prediction').textContent).toBe('two'));
    first.unmount();
    render(LiveRun);
    expect(screen.getByTestId('live-prediction').textContent).toBe('two');
    expect(screen.getByTestId('run-status').textContent).toBe('Running');
    dispatch({ event: 'run_finished', run_id: 5, status: 'failed', reason: 'out of memory' });
    dispatch({ event: 'queue_finished', run_ids: [5], cancelled: false, paused: false });
    await waitFor(() => expect(screen.getByTestId('run-status').textContent).toBe('Failed: out of memory'));
    expect(screen.getByTestId('finished-run-link').getAttribute('href')).toBe('#/runs/5');
  });
});
