import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import { downsample, emptyFilter, filterSamples, histogram } from '../src/lib/samples';
import SampleTable from '../src/components/SampleTable.svelte';
import { sample } from './fixtures';

const rows = [
  sample(1),
  sample(2, { dataset: 'capitals', prompt: 'Capital of France?', reference: 'Paris', prediction: 'Lyon' }),
  sample(3, { error: 'decode failed' }),
  sample(4, { truncated: true, prediction: 'a very long answer' }),
];

describe('sample filtering', () => {
  it('search matches prompt, reference and prediction, case-insensitive', () => {
    expect(filterSamples(rows, { ...emptyFilter(), query: 'paris' }).map((r) => r.id)).toEqual([2]);
    expect(filterSamples(rows, { ...emptyFilter(), query: 'LYON' }).map((r) => r.id)).toEqual([2]);
    expect(filterSamples(rows, { ...emptyFilter(), query: 'what is' }).map((r) => r.id)).toEqual([1, 3, 4]);
  });
  it('dataset, errors-only and truncated-only filters', () => {
    expect(filterSamples(rows, { ...emptyFilter(), dataset: 'capitals' }).map((r) => r.id)).toEqual([2]);
    expect(filterSamples(rows, { ...emptyFilter(), errorsOnly: true }).map((r) => r.id)).toEqual([3]);
    expect(filterSamples(rows, { ...emptyFilter(), truncatedOnly: true }).map((r) => r.id)).toEqual([4]);
    expect(filterSamples(rows, { ...emptyFilter(), truncatedOnly: true, errorsOnly: true })).toEqual([]);
    expect(filterSamples(rows, emptyFilter())).toHaveLength(4);
  });
  it('downsamples long series and keeps the last point', () => {
    const pts = Array.from({ length: 10001 }, (_, i) => i);
    const d = downsample(pts, 2000);
    expect(d.length).toBeLessThanOrEqual(2001);
    expect(d[0]).toBe(0);
    expect(d[d.length - 1]).toBe(10000);
    expect(downsample([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });
  it('histogram bins every value', () => {
    const h = histogram([1, 2, 3, 4, 10], 3);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(histogram([], 3).counts).toEqual([]);
    expect(histogram([5, 5], 4).counts).toEqual([2]);
  });

  it('the sample table filters as you type and expands a row', async () => {
    render(SampleTable, { samples: rows });
    expect(screen.getAllByTestId('sample-row')).toHaveLength(4);
    await fireEvent.input(screen.getByTestId('sample-search'), { target: { value: 'paris' } });
    expect(screen.getAllByTestId('sample-row')).toHaveLength(1);
    expect(screen.getByTestId('sample-count').textContent).toContain('1 of 4');
    await fireEvent.input(screen.getByTestId('sample-search'), { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('sample-errors-only'));
    expect(screen.getAllByTestId('sample-row').map((r) => r.textContent)).toEqual([expect.stringContaining('What is 3+3?')]);
    await fireEvent.click(screen.getByTestId('sample-row'));
    expect(screen.getByTestId('sample-expanded').textContent).toContain('decode failed');
  });
});
