import { describe, expect, it } from 'vitest';
import { render, screen, within, fireEvent } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import History from '../src/screens/History.svelte';
import Devices from '../src/screens/Devices.svelte';
import { deviceShort, filterChoices, filterRuns, importSummary, NO_FILTER } from '../src/lib/sharing';
import { run } from './fixtures';

const PHONE = { device_id: 'bbbb2222-0000-4000-8000-000000000000', device_label: 'iPhone 15 Pro (iPhone16,1) [bbbb2222]', origin: 'bundle phone.mobench' };

describe('one history of many devices', () => {
  const mac = run(1, 'completed');
  const phone = run(2, 'completed', { ...PHONE, model: { ...mac.model, quantization: 'Q4_0' } });

  it('filters by device, model and quantization, and offers what the runs hold', () => {
    expect(filterRuns([mac, phone], { ...NO_FILTER, device: PHONE.device_id }).map((r) => r.id)).toEqual([2]);
    expect(filterRuns([mac, phone], { ...NO_FILTER, quant: 'Q8_0' }).map((r) => r.id)).toEqual([1]);
    expect(filterRuns([mac, phone], { ...NO_FILTER, model: 'Other' })).toEqual([]);
    const c = filterChoices([mac, phone]);
    expect(c.devices.map((d) => d.label)).toEqual([PHONE.device_label, mac.device_label]);
    expect(c.quants).toEqual(['Q4_0', 'Q8_0']);
    expect(deviceShort('Debian GNU/Linux x86_64 AMD EPYC 7B13 [5ed208b0]')).toBe('Debian GNU/Lin… [5ed208b0]');
    expect(deviceShort('Mac [aaaa1111]')).toBe('Mac [aaaa1111]');
    expect(importSummary({ added: [[3, 'u']], present: [[1, 'v'], [2, 'w']] })).toBe('Imported 1 run, 2 already here');
  });

  it('History shows each run’s device and narrows to one device', async () => {
    mockIPC((cmd) => (cmd === 'list_runs' ? [phone, mac] : null));
    render(History);
    const rows = await screen.findAllByTestId('run-row');
    expect(rows.map((r) => within(r).getByTestId('run-device').textContent)).toEqual([PHONE.device_label, mac.device_label]);
    const select = screen.getByTestId('filter-device') as HTMLSelectElement;
    select.value = PHONE.device_id;
    await fireEvent.change(select);
    const left = await screen.findAllByTestId('run-row');
    expect(left.map((r) => r.dataset.runId)).toEqual(['2']);
    expect((screen.getByTestId('share-selected') as HTMLButtonElement).disabled).toBe(true);
  });

  it('Devices puts each device side by side with why a figure is missing', async () => {
    mockIPC((cmd) =>
      cmd === 'list_devices'
        ? [{ model_name: 'Tiny', quantization: 'Q8_0', devices: [
            { device_id: 'a', device_label: 'Mac [aaaa1111]', runs: 2, figures: [
              { figure: 'tg128', value: 95.25, missing_reason: null, run_id: 2 },
              { figure: 'energy_j_per_token', value: null, missing_reason: 'no battery on this device', run_id: 1 } ] },
            { device_id: 'b', device_label: 'iPhone [bbbb2222]', runs: 1, figures: [
              { figure: 'tg', value: null, missing_reason: 'no completed speed run on this device', run_id: null },
              { figure: 'energy_j_per_token', value: 0.0125, missing_reason: null, run_id: 3 } ] } ] }]
        : null,
    );
    render(Devices);
    const rows = await screen.findAllByTestId('device-row');
    expect(rows.map((r) => r.querySelector('th')?.textContent)).toEqual([expect.stringContaining('Mac'), expect.stringContaining('iPhone')]);
    const missing = within(rows[0]).getAllByRole('cell')[1];
    expect(missing.textContent?.trim()).toBe('n/a');
    expect(within(missing).getByText('n/a').getAttribute('title')).toBe('no battery on this device');
  });
});
