import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import Settings from '../src/screens/Settings.svelte';
import RunDetailScreen from '../src/screens/RunDetail.svelte';
import { dispatchGrade, grading, clearGrade } from '../src/lib/grading.svelte';
import { baseUrlProblem, idleGrade, progressText, reduceGrade, type GradeState } from '../src/lib/grading';
import { graderNote } from '../src/lib/compare';
import { info, models, run, sample, settings } from './fixtures';
import type { AppSettings } from '../src/bindings/AppSettings';
import type { GraderDef } from '../src/bindings/GraderDef';
import type { RunDetail } from '../src/bindings/RunDetail';
import type { Comparison } from '../src/bindings/Comparison';

const KEY = 'sk-ui-test-0d2f7a91';

const api: GraderDef = { id: 'g-api', name: 'OpenAI', role: 'judge', source: { kind: 'endpoint', base_url: 'https://api.openai.com/v1', model: 'gpt-4o', needs_key: true } };
const tiny: GraderDef = { id: 'g-tiny', name: 'Builtin', role: 'judge', source: { kind: 'local', path: '/m/builtin.gguf' } };
const withGraders: AppSettings = { ...settings, graders: [api, tiny] };

type Call = { cmd: string; args: Record<string, unknown> };

describe('grading helpers', () => {
  it('follows a pass through its events', () => {
    let s: GradeState = { ...idleGrade(), phase: 'grading', runId: 5, judge: 'Builtin' };
    expect(progressText(s)).toBe('Loading Builtin…');
    s = reduceGrade(s, { event: 'progress', run_id: 5, stage: 'judge', done: 3, total: 10 });
    expect(progressText(s)).toBe('Judge Builtin: 3 of 10 requests');
    expect(progressText({ ...s, cancelling: true })).toBe('Cancelling after the requests in flight…');
    const failed = reduceGrade(s, { event: 'failed', run_id: 5, error: { code: 'grader', message: 'HTTP 401' } });
    expect([failed.phase, failed.error?.code]).toEqual(['failed', 'grader']);
    expect(reduceGrade(s, { event: 'cancelled', run_id: 5 }).phase).toBe('cancelled');
  });

  it('checks endpoint addresses as the backend does', () => {
    expect(baseUrlProblem('https://api.openai.com/v1')).toBeNull();
    expect(baseUrlProblem('http://127.0.0.1:8080/v1')).toBeNull();
    expect(baseUrlProblem('ftp://x')).toMatch(/http/);
    expect(baseUrlProblem('https://me:sk-1@api.example/v1')).toMatch(/API key in its own field/);
    expect(baseUrlProblem('')).toMatch(/address/);
  });

  it('says which graders produced which figures when a comparison mixes them', () => {
    const cmp: Comparison = {
      baseline: 1,
      runs: [run(1, 'completed'), run(2, 'completed')],
      rows: [
        { dataset: 'starter_mmlu', figure: 'letter', stat: 'mean', higher_is_better: true, values: [0.5, 0.25], deltas: [null, -0.25] },
        { dataset: 'starter_mmlu', figure: 'judge_em@gpt-4o.3fa2', stat: 'mean', higher_is_better: true, values: [null, 0.75], deltas: [null, null] },
        { dataset: 'starter_mmlu', figure: 'ttft_ms', stat: 'median', higher_is_better: false, values: [10, 12], deltas: [null, 2] },
      ],
    };
    expect(graderNote(cmp)).toBe('Graded by: gpt-4o.3fa2 gave Judge exact match (run #2); the offline rules gave Letter (runs #1, #2).');
    expect(graderNote({ ...cmp, rows: [cmp.rows[0], cmp.rows[2]] })).toBeNull();
  });
});

describe('Settings: judges and embedders', () => {
  function mock(calls: Call[], current: { s: AppSettings }, keychainProblem: string | null = null) {
    const kept = new Set<string>();
    mockIPC((cmd, a) => {
      const args = (a ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      switch (cmd) {
        case 'get_settings': return current.s;
        case 'app_info': return info;
        case 'list_models': return models;
        case 'keychain_problem': return keychainProblem;
        case 'grader_has_key': return kept.has(args.graderId as string);
        case 'set_grader_key': kept.add(args.graderId as string); return null;
        case 'add_grader': {
          const g = args.grader as { name: string; role: 'judge' | 'embedder'; source: GraderDef['source'] };
          const id = `g-new-${current.s.graders.length + 1}`;
          const name = g.name || (g.source.kind === 'local' ? g.source.path.split('/').pop()!.replace('.gguf', '') : g.source.model);
          current.s = { ...current.s, graders: [...current.s.graders, { id, name, role: g.role, source: g.source }] };
          return current.s;
        }
        case 'remove_grader':
          current.s = { ...current.s, graders: current.s.graders.filter((g) => g.id !== args.graderId) };
          return current.s;
        default: return null;
      }
    });
  }

  it('lists graders, hands a key to the keychain once and never shows it back', async () => {
    const calls: Call[] = [];
    mock(calls, { s: withGraders });
    render(Settings);
    const rows = await screen.findAllByTestId('grader-row');
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('gpt-4o at https://api.openai.com/v1');
    expect(rows[1].textContent).toContain('builtin.gguf');
    expect(within(rows[1]).queryByTestId('key-input')).toBeNull(); // a local model needs no key
    await waitFor(() => expect(within(rows[0]).getByTestId('key-status').textContent).toBe('API key: not set'));
    const input = within(rows[0]).getByTestId('key-input') as HTMLInputElement;
    expect(input.type).toBe('password');
    await fireEvent.input(input, { target: { value: KEY } });
    await fireEvent.click(within(rows[0]).getByTestId('save-key'));
    await waitFor(() => expect(within(rows[0]).getByTestId('key-status').textContent).toBe('API key: kept in the keychain'));
    expect(calls.filter((c) => c.cmd === 'set_grader_key').map((c) => c.args)).toEqual([{ graderId: 'g-api', key: KEY }]);
    expect(input.value).toBe('');
    expect(document.body.innerHTML).not.toContain(KEY);
    // Saving the other settings sends the graders as they are; the key is in none of it.
    await fireEvent.click(screen.getByTestId('save-settings'));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'save_settings')).toBe(true));
    const saved = calls.find((c) => c.cmd === 'save_settings')!.args.settings as AppSettings;
    expect(saved.graders).toEqual([api, tiny]);
    expect(JSON.stringify(calls.filter((c) => c.cmd !== 'set_grader_key'))).not.toContain(KEY);
  });

  it('adds an endpoint with its key, a local judge from the chat models, and removes one', async () => {
    const calls: Call[] = [];
    const current = { s: { ...settings, graders: [] } as AppSettings };
    mock(calls, current);
    render(Settings);
    await screen.findByTestId('no-graders');
    // Only usable chat models are offered as judges (the gone file is not).
    const options = () => within(screen.getByTestId('grader-model')).getAllByRole('option').map((o) => o.textContent);
    await waitFor(() => expect(options()).toEqual(['Choose…', 'Builtin', 'Other']));
    await fireEvent.change(screen.getByTestId('grader-model'), { target: { value: '/m/other.gguf' } });
    await fireEvent.click(screen.getByTestId('add-grader'));
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'add_grader')).toHaveLength(1));
    expect(calls.find((c) => c.cmd === 'add_grader')!.args.grader).toEqual({ name: '', role: 'judge', source: { kind: 'local', path: '/m/other.gguf' } });

    await fireEvent.change(screen.getByTestId('grader-kind'), { target: { value: 'endpoint' } });
    const add = screen.getByTestId('add-grader') as HTMLButtonElement;
    await fireEvent.input(screen.getByTestId('grader-name'), { target: { value: 'Cloud' } });
    await fireEvent.input(screen.getByTestId('grader-url'), { target: { value: 'https://me:pw@api.example/v1' } });
    await fireEvent.input(screen.getByTestId('grader-endpoint-model'), { target: { value: 'gpt-4o' } });
    expect(add.disabled).toBe(true);
    expect(screen.getByText(/API key in its own field/)).toBeTruthy();
    await fireEvent.input(screen.getByTestId('grader-url'), { target: { value: 'https://api.example/v1' } });
    await fireEvent.input(screen.getByTestId('grader-key'), { target: { value: KEY } });
    expect(add.disabled).toBe(false);
    await fireEvent.click(add);
    await waitFor(() => expect(calls.some((c) => c.cmd === 'set_grader_key')).toBe(true));
    const adds = calls.filter((c) => c.cmd === 'add_grader');
    expect(adds[1].args.grader).toEqual({ name: 'Cloud', role: 'judge', source: { kind: 'endpoint', base_url: 'https://api.example/v1', model: 'gpt-4o', needs_key: true } });
    expect(JSON.stringify(adds)).not.toContain(KEY); // the key goes to the keychain command only
    expect(calls.find((c) => c.cmd === 'set_grader_key')!.args).toEqual({ graderId: 'g-new-2', key: KEY });
    await waitFor(() => expect((screen.getByTestId('grader-key') as HTMLInputElement).value).toBe(''));

    const rows = await screen.findAllByTestId('grader-row');
    await fireEvent.click(within(rows[0]).getByRole('button', { name: /^Remove / }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'remove_grader')).toBe(true));
  });

  it('says in one line when API keys cannot be kept', async () => {
    mock([], { s: withGraders }, 'no Secret Service is running on this desktop');
    render(Settings);
    expect((await screen.findByTestId('keychain-problem')).textContent).toBe('API keys cannot be kept: no Secret Service is running on this desktop');
  });
});

describe('Run detail: grade with a judge', () => {
  const detail = (graded: boolean): RunDetail => ({
    run: run(5, 'completed'), settings: {}, device: {}, app_version: '0.1.0', llama_version: 'b1', loads: [],
    aggregates: [
      { dataset: 'starter_mmlu', task: 'mcq', figure: 'letter', stat: 'mean', value: 0.5, n: 2, missing_reason: null, grader: 'letter' },
      ...(graded ? [{ dataset: 'starter_mmlu', task: 'mcq', figure: 'judge_em@mobench-tiny.ab12', stat: 'mean', value: 0.75, n: 2, missing_reason: null, grader: 'judge:local:mobench-tiny:0123' }] : []),
    ],
    resources: [], datasets: [], speed: [], sustained: null,
  });

  it('starts grading with the chosen judge, shows progress, cancels, and refreshes the figures when done', async () => {
    clearGrade();
    const calls: Call[] = [];
    let graded = false;
    mockIPC((cmd, a) => {
      const args = (a ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      switch (cmd) {
        case 'get_run': return detail(graded);
        case 'get_samples': return [sample(1)];
        case 'get_readings': return [];
        case 'get_settings': return withGraders;
        case 'grading_plan': return { run_id: 5, judge: ['starter_mmlu'], embedder: [] };
        case 'attach_grading': return null;
        case 'start_grading': return null;
        case 'cancel_grading': return true;
        default: return null;
      }
    });
    render(RunDetailScreen, { id: 5 });
    await fireEvent.click(await screen.findByTestId('grade-run'));
    const panel = await screen.findByTestId('grade-panel');
    await waitFor(() => expect(within(panel).getByTestId('grade-plan').textContent).toContain('A judge grades starter_mmlu.'));
    expect((within(panel).getByTestId('grade-embedder') as HTMLSelectElement).disabled).toBe(true);
    await fireEvent.change(within(panel).getByTestId('grade-judge'), { target: { value: 'g-tiny' } });
    await fireEvent.click(within(panel).getByTestId('grade-start'));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'start_grading')).toBe(true));
    const start = calls.find((c) => c.cmd === 'start_grading')!.args;
    expect([start.runId, start.judge, start.embedder]).toEqual([5, 'g-tiny', null]);
    expect(typeof (start.onEvent as { id: number }).id).toBe('number'); // the events' channel

    dispatchGrade({ event: 'progress', run_id: 5, stage: 'judge', done: 1, total: 2 });
    await waitFor(() => expect(screen.getByTestId('grade-progress-text').textContent).toBe('Judge Builtin: 1 of 2 requests'));
    expect(screen.getByTestId('grade-progress-bar').getAttribute('aria-valuenow')).toBe('1');
    expect((screen.getByTestId('grade-start') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('grade-cancel'));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'cancel_grading')).toBe(true));
    expect(screen.getByTestId('grade-progress-text').textContent).toBe('Cancelling after the requests in flight…');
    dispatchGrade({ event: 'cancelled', run_id: 5 });
    await screen.findByTestId('grade-cancelled');

    // Again, to the end: the run's figures are loaded again and the judge's shows, labelled.
    await fireEvent.click(screen.getByTestId('grade-start'));
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'start_grading')).toHaveLength(2));
    const before = calls.filter((c) => c.cmd === 'get_run').length;
    graded = true;
    dispatchGrade({ event: 'progress', run_id: 5, stage: 'judge', done: 2, total: 2 });
    dispatchGrade({ event: 'finished', result: { run_id: 5, graded: 2, asked: 1, cached: 1, unparsed: 0, missing: [], figures: [{ dataset: 'starter_mmlu', figure: 'judge_em@mobench-tiny.ab12', value: 0.75 }] } });
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'get_run').length).toBe(before + 1));
    const result = await screen.findByTestId('grade-result');
    expect(result.textContent).toContain('Graded 2 samples · 1 asked · 1 from earlier passes');
    expect(result.textContent).toContain('Judge exact match (mobench-tiny.ab12) 0.750');
    await waitFor(() => expect(within(screen.getByTestId('quality-table')).getByText('Judge exact match (mobench-tiny.ab12)')).toBeTruthy());
    expect(grading.state.phase).toBe('finished');
  });

  it('shows a failed pass as {code, message} with what to do', async () => {
    clearGrade();
    mockIPC((cmd) => {
      switch (cmd) {
        case 'get_run': return detail(false);
        case 'get_samples': return [];
        case 'get_readings': return [];
        case 'get_settings': return withGraders;
        case 'grading_plan': return { run_id: 5, judge: ['starter_mmlu'], embedder: [] };
        case 'start_grading': return null;
        default: return null;
      }
    });
    render(RunDetailScreen, { id: 5 });
    await fireEvent.click(await screen.findByTestId('grade-run'));
    await fireEvent.click(await screen.findByTestId('grade-start'));
    await waitFor(() => expect(grading.state.phase).toBe('grading'));
    dispatchGrade({ event: 'failed', run_id: 5, error: { code: 'grader', message: 'the endpoint answered HTTP 401 Unauthorized' } });
    const box = await screen.findByTestId('error-box');
    expect(box.textContent).toContain('the endpoint answered HTTP 401 Unauthorized');
    expect(box.textContent).toContain('API key');
  });
});
