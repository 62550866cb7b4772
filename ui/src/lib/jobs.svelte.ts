// Long-running model imports and dataset downloads live here (module state), so leaving the
// screen while a big file copies or downloads does not lose the progress.
import { api } from './api';
import { showError, toast } from './notify.svelte';
import type { ImportMode } from '../bindings/ImportMode';
import type { ImportProgress } from '../bindings/ImportProgress';
import type { ModelEntry } from '../bindings/ModelEntry';
import type { DownloadProgress } from '../bindings/DownloadProgress';
import type { FetchReport } from '../bindings/FetchReport';

type ImportState = { path: string | null; importing: boolean; progress: ImportProgress | null; lastImported: string | null };

const imp = $state<ImportState>({ path: null, importing: false, progress: null, lastImported: null });
const downloads = $state<Record<string, DownloadProgress | null>>({});
const reports = $state<Record<string, FetchReport>>({});

export const jobs = {
  get import(): ImportState {
    return imp;
  },
  get downloads(): Record<string, DownloadProgress | null> {
    return downloads;
  },
  get reports(): Record<string, FetchReport> {
    return reports;
  },
};

export function setImportPath(path: string | null): void {
  if (!imp.importing) imp.path = path;
}

/** Import the chosen file; resolves to the new entry, or null on failure (shown as a banner). */
export async function runImport(mode: ImportMode): Promise<ModelEntry | null> {
  if (!imp.path || imp.importing) return null;
  imp.importing = true;
  imp.progress = null;
  try {
    const m = await api.importModel(imp.path, mode, (p) => (imp.progress = p));
    imp.path = null;
    imp.lastImported = m.path;
    toast(`Imported ${m.name ?? m.file_name}`);
    return m;
  } catch (e) {
    showError('Import failed', e);
    return null;
  } finally {
    imp.importing = false;
    imp.progress = null;
  }
}

/** Download datasets; every name gets a report (ok or the reason). */
export async function runDownload(names: string[]): Promise<FetchReport[]> {
  const todo = names.filter((n) => !(n in downloads));
  if (!todo.length) return [];
  for (const n of todo) {
    downloads[n] = null;
    delete reports[n];
  }
  try {
    const reps = await api.fetchDatasets(todo, (p) => {
      if (p.dataset in downloads) downloads[p.dataset] = p;
    });
    for (const r of reps) reports[r.dataset] = r;
    return reps;
  } catch (e) {
    const err = showError('Download failed', e);
    const reps = todo.map((n) => ({ dataset: n, ok: false, message: err.message }));
    for (const r of reps) reports[r.dataset] = r;
    return reps;
  } finally {
    for (const n of todo) delete downloads[n];
  }
}
