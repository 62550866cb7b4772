import { describe, expect, it } from 'vitest';
import { render, screen, within, fireEvent } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import History from '../src/screens/History.svelte';
import { run } from './fixtures';

describe('History', () => {
  it('renders a row per run and a resume button only for resumable runs', async () => {
    mockIPC((cmd) => {
      if (cmd === 'list_runs') return [run(3, 'failed'), run(2, 'interrupted'), run(1, 'completed'), run(4, 'failed', { resumable: false, kind: 'speed' })];
      throw new Error(`unexpected ${cmd}`);
    });
    render(History);
    const list = await screen.findByTestId('runs-list');
    const rows = within(list).getAllByTestId('run-row');
    expect(rows.map((r) => r.dataset.runId)).toEqual(['3', '2', '1', '4']);
    const resumable = rows.filter((r) => within(r).queryByTestId('resume-run'));
    expect(resumable.map((r) => r.dataset.runId)).toEqual(['3', '2']);
    expect(rows[0].textContent).toContain('model load failed');
    expect(rows[2].textContent).toContain('5/10 samples');
  });

  it('opens a run with Enter and enables compare after two selections', async () => {
    mockIPC((cmd) => (cmd === 'list_runs' ? [run(2, 'completed'), run(1, 'completed')] : null));
    render(History);
    const rows = await screen.findAllByTestId('run-row');
    const btn = screen.getByTestId('compare-selected') as HTMLButtonElement;
    expect(btn.disabled).toBe(true);
    await fireEvent.click(within(rows[0]).getByTestId('run-select'));
    await fireEvent.click(within(rows[1]).getByTestId('run-select'));
    expect(btn.disabled).toBe(false);
    expect(location.hash).toBe('');
    await fireEvent.keyDown(rows[0], { key: 'ArrowDown' });
    await new Promise((r) => setTimeout(r, 0));
    expect((document.activeElement as HTMLElement).dataset.runId).toBe('1');
    await fireEvent.keyDown(rows[1], { key: 'Enter' });
    expect(location.hash).toBe('#/runs/1');
  });

  it('shows the empty state', async () => {
    mockIPC((cmd) => (cmd === 'list_runs' ? [] : null));
    render(History);
    expect((await screen.findByTestId('history-empty')).textContent).toContain('No runs yet — start one from New run (the built-in model is ready)');
  });

  it('shows a load error in words with retry', async () => {
    let fail = true;
    mockIPC((cmd) => {
      if (cmd === 'list_runs' && fail) return Promise.reject({ code: 'store', message: 'The database could not be opened.' });
      return [run(1, 'completed')];
    });
    render(History);
    const box = await screen.findByTestId('error-box');
    expect(box.textContent).toContain('The database could not be opened.');
    expect(box.textContent).not.toContain('object');
    fail = false;
    await fireEvent.click(within(box).getByText('Retry'));
    expect(await screen.findAllByTestId('run-row')).toHaveLength(1);
  });
});
