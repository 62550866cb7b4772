import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import { deltaTone, groupByDataset } from '../src/lib/compare';
import { fmtDelta } from '../src/lib/format';
import Compare from '../src/screens/Compare.svelte';
import { run } from './fixtures';
import type { Comparison } from '../src/bindings/Comparison';

describe('compare colouring', () => {
  it('higher is better', () => {
    expect(deltaTone(0.1, true)).toBe('better');
    expect(deltaTone(-0.1, true)).toBe('worse');
  });
  it('lower is better', () => {
    expect(deltaTone(12, false)).toBe('worse');
    expect(deltaTone(-12, false)).toBe('better');
  });
  it('null / zero deltas', () => {
    expect(deltaTone(null, true)).toBe('none');
    expect(deltaTone(undefined, false)).toBe('none');
    expect(deltaTone(NaN, false)).toBe('none');
    expect(deltaTone(0, true)).toBe('same');
  });
  it('formats deltas with an explicit sign', () => {
    expect(fmtDelta('em', 0.1234)).toBe('+0.123');
    expect(fmtDelta('ttft_ms', -12.34)).toBe('−12.3');
    expect(fmtDelta('ttft_ms', null)).toBe('');
    expect(fmtDelta('errors', -2)).toBe('−2');
    expect(fmtDelta('peak_memory_bytes', 2 * 1048576)).toBe('+2.0 MiB');
    expect(fmtDelta('cpu_mean_pct', 1.25)).toBe('+1.3 %');
    expect(fmtDelta('pp512 t/s', 3.21)).toBe('+3.2');
  });
  it('groups rows by dataset in order', () => {
    const g = groupByDataset([
      { dataset: 'a', figure: 'x', stat: 'mean', higher_is_better: true, values: [], deltas: [] },
      { dataset: 'b', figure: 'x', stat: 'mean', higher_is_better: true, values: [], deltas: [] },
      { dataset: 'a', figure: 'y', stat: 'mean', higher_is_better: true, values: [], deltas: [] },
    ]);
    expect(g.map((x) => [x.dataset, x.rows.length])).toEqual([['a', 2], ['b', 1]]);
  });

  it('renders the compare table with coloured, worded deltas', async () => {
    const cmp: Comparison = {
      baseline: 1,
      runs: [run(1, 'completed'), run(2, 'completed'), run(3, 'completed')],
      rows: [
        { dataset: 'arith', figure: 'em', stat: 'mean', higher_is_better: true, values: [0.5, 0.7, null], deltas: [null, 0.2, null] },
        { dataset: 'arith', figure: 'ttft_ms', stat: 'mean', higher_is_better: false, values: [100, 120, 80], deltas: [null, 20, -20] },
      ],
    };
    let asked: unknown = null;
    mockIPC((cmd, args) => {
      if (cmd === 'compare_runs') {
        asked = args;
        return cmp;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(Compare, { runs: [1, 2, 3] });
    const table = await screen.findByTestId('compare-table');
    expect(asked).toEqual({ runIds: [1, 2, 3], baseline: 1 });
    const deltas = within(table).getAllByTestId('delta');
    expect(deltas.map((d) => [d.dataset.tone, d.textContent?.trim()])).toEqual([
      ['better', '+0.200 better'],
      ['worse', '+20.0 worse'],
      ['better', '−20.0 better'],
    ]);
    expect(deltas[0].classList.contains('tone-better')).toBe(true);
    expect(deltas[1].classList.contains('tone-worse')).toBe(true);
    expect(table.textContent).toContain('n/a');
  });
});
