import type { ErrorCode } from '../src/bindings/ErrorCode';
import { describe, expect, it } from 'vitest';
import { mockIPC } from '@tauri-apps/api/mocks';
import { api, toAppError, nextStep } from '../src/lib/api';
import { exportFlow, fixedExportPath } from '../src/lib/exporter';
import { notify } from '../src/lib/notify.svelte';

describe('api error normalisation', () => {
  it('passes an AppError from the backend through unchanged', async () => {
    mockIPC(() => Promise.reject({ code: 'busy', message: 'A run is already going.' }));
    await expect(api.listRuns()).rejects.toEqual({ code: 'busy', message: 'A run is already going.' });
  });

  it('turns a plain string rejection into an internal AppError', async () => {
    mockIPC(() => Promise.reject('database is locked'));
    await expect(api.getRun(1)).rejects.toEqual({ code: 'internal', message: 'database is locked' });
  });

  it('turns a thrown Error into an AppError', async () => {
    mockIPC(() => {
      throw new Error('boom');
    });
    await expect(api.appInfo()).rejects.toEqual({ code: 'internal', message: 'boom' });
  });

  it('never produces "[object Object]" for odd shapes', () => {
    for (const e of [{}, { foo: 1 }, null, undefined, 42, { code: 'x', message: '' }]) {
      const err = toAppError(e);
      expect(typeof err.code).toBe('string');
      expect(err.message).not.toMatch(/object Object/);
      expect(err.message.length).toBeGreaterThan(5);
    }
    expect(toAppError({ code: 'export', message: 'Disk full.' })).toEqual({ code: 'export', message: 'Disk full.' });
  });

  it('reports a missing backend in words', () => {
    const err = toAppError(new TypeError("Cannot read properties of undefined (reading 'invoke')"));
    expect(err.code).toBe('tauri');
    expect(nextStep(err)).toMatch(/MobileAIBench app/);
  });

  it('gives a next step for every contract error code', () => {
    const codes: ErrorCode[] = ['model_file', 'model_load', 'engine', 'dataset', 'checksum', 'download', 'settings', 'busy', 'not_found', 'builtin_model', 'resume', 'export', 'not_chosen', 'store', 'io', 'internal'];
    const fallback = nextStep({ code: 'internal', message: 'm' });
    for (const c of codes.filter((c) => c !== 'internal')) {
      expect(nextStep({ code: c, message: 'm' }), c).not.toBe(fallback);
    }
    expect(nextStep({ code: 'not_chosen', message: 'm' })).toMatch(/file dialog/);
    expect(nextStep({ code: 'export', message: 'm' })).toMatch(/space|permission/);
  });

  it('sends camelCase arguments and a Channel for streaming commands', async () => {
    const seen: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      seen.push({ cmd, args });
      if (cmd === 'compare_runs') return { baseline: 2, runs: [], rows: [] };
      if (cmd === 'start_run') return { queue_id: 3 };
      return null;
    });
    await api.compareRuns([1, 2], 2);
    expect(seen[0]).toEqual({ cmd: 'compare_runs', args: { runIds: [1, 2], baseline: 2 } });
    const t = await api.startRun(
      { models: ['/m'], suite: 'starter', datasets: [], examples: null, sample_seed: null, preset: 'mobile', threads: 1, n_ctx: 512, gpu_layers: 0, max_tokens: null, template: null, ignore_memory_limit: false },
      () => {},
    );
    expect(t.queue_id).toBe(3);
    const a = seen[1].args as { request: unknown; onEvent: { id: number } };
    expect(typeof a.onEvent.id).toBe('number');
    await api.exportCsv('runs', [4], null, '/tmp/x.csv');
    expect(seen[2]).toEqual({ cmd: 'export_csv', args: { kind: 'runs', runIds: [4], baseline: null, path: '/tmp/x.csv' } });
  });
});

describe('export flow', () => {
  it('builds a path in a fixed export folder', () => {
    expect(fixedExportPath('/sdcard/Download/', 'a.csv')).toBe('/sdcard/Download/a.csv');
    expect(fixedExportPath('C:\\Users\\me', 'a.csv')).toBe('C:\\Users\\me\\a.csv');
  });

  it('does nothing when the save dialog is cancelled', async () => {
    const cmds: string[] = [];
    mockIPC((cmd) => {
      cmds.push(cmd);
      return null;
    });
    expect(await exportFlow('runs', [1], null, 'mobench-run-1.csv')).toBe(false);
    expect(cmds).toEqual(['plugin:dialog|save']);
  });

  it('writes to the picked path and reports the row count', async () => {
    const seen: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      seen.push({ cmd, args });
      if (cmd === 'plugin:dialog|save') return '/home/u/mobench-run-12.csv';
      if (cmd === 'export_csv') return { path: '/home/u/mobench-run-12.csv', rows: 7 };
      return null;
    });
    expect(await exportFlow('runs', [12], null, 'mobench-run-12.csv')).toBe(true);
    const opts = (seen[0].args as { options: { defaultPath: string; filters: { extensions: string[] }[] } }).options;
    expect(opts.defaultPath).toBe('mobench-run-12.csv');
    expect(opts.filters[0].extensions).toEqual(['csv']);
    expect(seen[1]).toEqual({ cmd: 'export_csv', args: { kind: 'runs', runIds: [12], baseline: null, path: '/home/u/mobench-run-12.csv' } });
    expect(notify.toasts.map((t) => t.text)).toContain('Wrote 7 rows to /home/u/mobench-run-12.csv');
  });

  it('shows an export error as a banner with the message and what to do', async () => {
    mockIPC((cmd) => {
      if (cmd === 'plugin:dialog|save') return '/full/disk.csv';
      return Promise.reject({ code: 'export', message: 'No space left on the device.' });
    });
    expect(await exportFlow('comparison', [1, 2], 1, 'c.csv')).toBe(false);
    const b = notify.banners[notify.banners.length - 1];
    expect(b.title).toBe('Export failed');
    expect(b.err).toEqual({ code: 'export', message: 'No space left on the device.' });
    expect(b.hint).toMatch(/free space/);
  });
});
