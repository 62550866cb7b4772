// Runs between devices: share a bundle of runs (the save dialog: on iOS the dialog plugin's
// document picker, which saves to Files or iCloud; the share sheet itself is not wired yet), import
// bundles (file picker, or a `.mobench` file the OS opened the app with: AirDrop, "Open in"), and
// the history's filters by device, model and quantization (pure, tested with Vitest).
import { listen } from '@tauri-apps/api/event';
import { api } from './api';
import { pickBundleFiles, pickBundleTarget } from './dialog';
import { appData } from './appdata.svelte';
import { fixedExportPath } from './exporter';
import { showError, toast } from './notify.svelte';
import type { RunSummary } from '../bindings/RunSummary';
import type { ImportReport } from '../bindings/ImportReport';

/** The history's filters: '' = any. */
export type HistoryFilter = { device: string; model: string; quant: string };
export const NO_FILTER: HistoryFilter = { device: '', model: '', quant: '' };

export function filterRuns(runs: RunSummary[], f: HistoryFilter): RunSummary[] {
  return runs.filter(
    (r) =>
      (!f.device || r.device_id === f.device) &&
      (!f.model || r.model_name === f.model) &&
      (!f.quant || (r.model.quantization ?? '') === f.quant),
  );
}

/** The choices each filter offers: what the runs hold, devices by name. */
export function filterChoices(runs: RunSummary[]) {
  const devices = new Map<string, string>();
  const models = new Set<string>();
  const quants = new Set<string>();
  for (const r of runs) {
    devices.set(r.device_id, r.device_label);
    models.add(r.model_name);
    if (r.model.quantization) quants.add(r.model.quantization);
  }
  return {
    devices: [...devices].map(([id, label]) => ({ id, label })).sort((a, b) => a.label.localeCompare(b.label)),
    models: [...models].sort(),
    quants: [...quants].sort(),
  };
}

/** Save dialog → bundle → toast. Returns true when written. */
export async function shareRuns(runIds: number[]): Promise<boolean> {
  try {
    const name = `mobench-runs-${runIds.join('-')}.mobench`;
    const dir = appData.info?.export_dir ?? null;
    const path = dir ? fixedExportPath(dir, name) : await pickBundleTarget(name);
    if (path === null) return false;
    const rep = await api.exportBundle(runIds, path);
    toast(`Wrote ${rep.runs} run${rep.runs === 1 ? '' : 's'} to ${rep.path}`);
    return true;
  } catch (e) {
    showError('Could not share the runs', e);
    return false;
  }
}

export function importSummary(rep: ImportReport): string {
  const added = rep.added.length;
  const present = rep.present.length;
  const parts = [`Imported ${added} run${added === 1 ? '' : 's'}`];
  if (present) parts.push(`${present} already here`);
  return parts.join(', ');
}

/** Imports `paths`, or asks for them in the file picker; the report, or null when cancelled or failed. */
export async function importRuns(paths?: string[]): Promise<ImportReport | null> {
  try {
    const files = paths ?? (await pickBundleFiles());
    if (!files.length) return null;
    const rep = await api.importBundles(files);
    toast(importSummary(rep));
    return rep;
  } catch (e) {
    showError('Could not import the runs', e);
    return null;
  }
}

/** Imports the `.mobench` files the OS opens the app with, now and later; `done` after each import. */
export async function watchOpenedBundles(done: () => void = () => {}): Promise<void> {
  const take = async (paths: string[]) => {
    if (paths.length && (await importRuns(paths))) done();
  };
  await listen<string[]>('bundles-opened', () => {
    api.takeOpenedBundles().then(take).catch((e) => showError('Could not import the opened runs', e));
  });
  await take(await api.takeOpenedBundles());
}

/** A device's label cut to `max` characters, keeping its id's tag (`[0193a1b2]`): two machines of one
 *  kind read the same up to it. */
export function deviceShort(label: string, max = 26): string {
  const at = label.lastIndexOf(' [');
  if (label.length <= max || at < 0) return label;
  const tag = label.slice(at);
  return label.slice(0, Math.max(1, max - tag.length - 1)) + '…' + tag;
}
