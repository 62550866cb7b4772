// App info + settings, loaded once and shared.
import { api } from './api';
import type { AppInfo } from '../bindings/AppInfo';
import type { AppSettings } from '../bindings/AppSettings';

let info = $state.raw<AppInfo | null>(null);
let settings = $state.raw<AppSettings | null>(null);

export const appData = {
  get info() {
    return info;
  },
  get settings() {
    return settings;
  },
};

let infoLoading: Promise<AppInfo> | null = null;

export async function loadInfo(): Promise<AppInfo> {
  if (info) return info;
  infoLoading ??= api.appInfo().then(
    (i) => {
      // An empty answer (no backend behind the page) is not kept: ask again next time.
      if (!i) infoLoading = null;
      return (info = i);
    },
    (e) => {
      infoLoading = null;
      throw e;
    },
  );
  return infoLoading;
}

export async function loadSettings(force = false): Promise<AppSettings> {
  if (!settings || force) settings = await api.getSettings();
  return settings;
}

export function setSettings(s: AppSettings): void {
  settings = s;
}
