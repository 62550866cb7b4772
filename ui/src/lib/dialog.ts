import { open, save } from '@tauri-apps/plugin-dialog';
import { toAppError } from './api';

/** Ask for a GGUF file. null = cancelled. */
export async function pickModelFile(): Promise<string | null> {
  try {
    const r = await open({ multiple: false, directory: false, filters: [{ name: 'GGUF model', extensions: ['gguf'] }] });
    if (r === null || r === undefined) return null;
    return Array.isArray(r) ? (r[0] ?? null) : r;
  } catch (e) {
    throw toAppError(e);
  }
}

/** Ask for a vision projector (mmproj GGUF). null = cancelled. */
export async function pickProjectorFile(): Promise<string | null> {
  try {
    const r = await open({ multiple: false, directory: false, filters: [{ name: 'Vision projector (mmproj GGUF)', extensions: ['gguf'] }] });
    if (r === null || r === undefined) return null;
    return Array.isArray(r) ? (r[0] ?? null) : r;
  } catch (e) {
    throw toAppError(e);
  }
}

/** Ask where to write a CSV. null = cancelled. */
export async function pickCsvTarget(defaultPath: string): Promise<string | null> {
  try {
    const r = await save({ defaultPath, filters: [{ name: 'CSV', extensions: ['csv'] }] });
    return r ?? null;
  } catch (e) {
    throw toAppError(e);
  }
}

/** Ask where to write a bundle of runs. null = cancelled. */
export async function pickBundleTarget(defaultPath: string): Promise<string | null> {
  try {
    const r = await save({ defaultPath, filters: [{ name: 'MobileAIBench runs', extensions: ['mobench'] }] });
    return r ?? null;
  } catch (e) {
    throw toAppError(e);
  }
}

/** Ask for bundles of runs to import. [] = cancelled. */
export async function pickBundleFiles(): Promise<string[]> {
  try {
    const r = await open({ multiple: true, directory: false, filters: [{ name: 'MobileAIBench runs', extensions: ['mobench'] }] });
    if (r === null || r === undefined) return [];
    return Array.isArray(r) ? r : [r];
  } catch (e) {
    throw toAppError(e);
  }
}
