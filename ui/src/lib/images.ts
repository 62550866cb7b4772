// Sample images reach the web view as data: URLs from the backend (it reads no files itself);
// each is asked for once and kept while the screens show it.
import { api } from './api';

const MAX_KEPT = 200;
const kept = new Map<string, Promise<string>>();

/** The image at `path` (shown by run `runId`, or in the datasets folder) as a data: URL. */
export function imageUrl(path: string, runId: number | null): Promise<string> {
  const key = `${runId ?? ''}\n${path}`;
  let url = kept.get(key);
  if (!url) {
    url = api.imageDataUrl(path, runId);
    kept.set(key, url);
    url.catch(() => kept.delete(key)); // asked again next time
    if (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value as string);
  }
  return url;
}

/** The file name of an image path, for its alt text. */
export function imageName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
