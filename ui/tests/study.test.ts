import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import Models from '../src/screens/Models.svelte';
import { models } from './fixtures';
import { paretoLine, quantizable, studyPoints, taskColumns } from '../src/lib/study';
import { parseHash, href } from '../src/lib/routes';
import type { StudyTable } from '../src/bindings/StudyTable';
import type { LevelRow } from '../src/bindings/LevelRow';

function level(label: string, size: number | null, quality: number | null, pareto: boolean): LevelRow {
  return {
    position: 0,
    label,
    source: label === 'base' ? 'base' : 'quantized',
    path: `/m/${label}.gguf`,
    size_bytes: size,
    sha256: null,
    quantize_s: null,
    peak_memory_bytes: { value: null, missing_reason: 'not measured' },
    pp_tokens_per_s: null,
    tg_tokens_per_s: null,
    ttft_ms: null,
    energy_j_per_token: { value: null, missing_reason: 'no battery' },
    perplexity: null,
    divergence: null,
    tasks: [{ dataset: 'starter_mmlu', metric: 'accuracy', value: quality, share_of_base: quality }],
    quality_retained: quality,
    fits_memory: true,
    suite_run_id: 1,
    speed_run_id: null,
    pareto,
  };
}

const table: StudyTable = {
  study_id: 3,
  status: 'completed',
  reason: null,
  base: '/m/base.gguf',
  settings: {},
  levels: [level('base', 100e6, 1, true), level('Q8_0', 50e6, 0.99, false), level('Q4_0', 30e6, 0.995, true), level('Q2_K', 40e6, 0.5, false), level('IQ4_NL', null, null, false)],
  recommendation: { level: 'Q4_0', reason: 'smallest', keep_share: 0.98 },
};

describe('study view', () => {
  it('plots levels with a size and a quality, in MB and percent', () => {
    const p = studyPoints(table);
    expect(p.map((x) => x.label)).toEqual(['base', 'Q8_0', 'Q4_0', 'Q2_K']);
    expect(p[2]).toEqual({ label: 'Q4_0', x: 30, y: 99.5, pareto: true, recommended: true });
  });
  it('draws the Pareto front from the smallest level up, leaving dominated levels out', () => {
    expect(paretoLine(studyPoints(table)).map((x) => x.label)).toEqual(['Q4_0', 'base']);
  });
  it('lists each task once', () => {
    expect(taskColumns(table.levels)).toEqual([{ dataset: 'starter_mmlu', metric: 'accuracy' }]);
  });
  it('offers a study only for types llama.cpp quantizes from', () => {
    expect(['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', null].map((q) => quantizable(q))).toEqual([true, true, true, true, false, false]);
  });
  it('routes to a study and back', () => {
    expect(parseHash('#/studies/4')).toEqual({ name: 'study', id: 4 });
    expect(parseHash('#/studies')).toEqual({ name: 'study', id: null });
    expect(href({ name: 'study', id: 4 })).toBe('#/studies/4');
  });
});

describe('Study quantization from Models', () => {
  it('asks only for levels and a suite, and sends the request', async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'list_models') return models;
      if (cmd === 'quant_types') return { usual: ['Q8_0', 'Q6_K', 'Q4_K_M', 'Q4_0'], all: [] };
      if (cmd === 'start_study') {
        sent.push((args as { request: unknown }).request);
        return null;
      }
      return null;
    });
    render(Models);
    const rows = await screen.findAllByTestId('model-row');
    // Offered for a model llama.cpp quantizes from (Q8_0), not for a Q4_K_M one.
    expect(within(rows[1]).queryByTestId('study-model')).toBeNull();
    await fireEvent.click(within(rows[0]).getByTestId('study-model'));
    const q8 = (await screen.findByTestId('study-type-Q8_0')) as HTMLInputElement;
    expect(q8.checked).toBe(true);
    await fireEvent.click(q8);
    await fireEvent.click(screen.getByTestId('study-speed'));
    await fireEvent.click(screen.getByTestId('study-start'));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual({
      base: '/m/builtin.gguf',
      types: ['Q4_K_M', 'Q4_0'],
      suite: 'starter',
      datasets: [],
      limit: 10,
      keep_pct: null,
      speed: false,
      probe_ctx: null,
    });
  });
});
