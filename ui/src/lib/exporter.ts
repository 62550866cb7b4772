import { api } from './api';
import { pickCsvTarget } from './dialog';
import { appData } from './appdata.svelte';
import { showError, toast } from './notify.svelte';
import type { ExportKind } from '../bindings/ExportKind';

/** Where to write when the backend has a fixed export folder (AppInfo.export_dir): no dialog then. */
export function fixedExportPath(exportDir: string, fileName: string): string {
  const sep = exportDir.includes('\\') && !exportDir.includes('/') ? '\\' : '/';
  return exportDir.replace(/[\\/]+$/, '') + sep + fileName;
}

/**
 * save() → cancelled (null) does nothing → export_csv → toast. Returns true when written.
 * With a fixed export folder (AppInfo.export_dir) the file goes there without a dialog.
 */
export async function exportFlow(kind: ExportKind, runIds: number[], baseline: number | null, defaultPath: string): Promise<boolean> {
  try {
    const dir = appData.info?.export_dir ?? null;
    const path = dir ? fixedExportPath(dir, defaultPath) : await pickCsvTarget(defaultPath);
    if (path === null) return false;
    const rep = await api.exportCsv(kind, runIds, baseline, path);
    toast(`Wrote ${rep.rows} rows to ${rep.path}`);
    return true;
  } catch (e) {
    showError('Export failed', e);
    return false;
  }
}
