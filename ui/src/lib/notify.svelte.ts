// App-wide error banners and toasts.
import { nextStep, toAppError, type AppError } from './api';

export type Banner = { id: number; title: string; err: AppError; hint: string };
export type Toast = { id: number; text: string };

let seq = 0;
let banners = $state<Banner[]>([]);
let toasts = $state<Toast[]>([]);

export const notify = {
  get banners() {
    return banners;
  },
  get toasts() {
    return toasts;
  },
};

export function showError(title: string, e: unknown): AppError {
  const err = toAppError(e);
  banners = [...banners.slice(-3), { id: ++seq, title, err, hint: nextStep(err) }];
  return err;
}

export function dismissError(id: number): void {
  banners = banners.filter((b) => b.id !== id);
}

export function toast(text: string, ms = 5000): void {
  const id = ++seq;
  toasts = [...toasts, { id, text }];
  setTimeout(() => {
    toasts = toasts.filter((t) => t.id !== id);
  }, ms);
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
}
