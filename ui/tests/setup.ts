import '@testing-library/svelte/vitest';
import { afterEach, vi } from 'vitest';
import { clearMocks } from '@tauri-apps/api/mocks';

// jsdom has no canvas: replace Chart.js with a recorder.
vi.mock('../src/lib/chart', () => {
  class Chart {
    static instances: Chart[] = [];
    data: { labels?: unknown[]; datasets: { data: unknown; backgroundColor?: unknown }[] };
    constructor(_el: unknown, cfg: { data: Chart['data'] }) {
      this.data = cfg.data;
      Chart.instances.push(this);
    }
    update() {}
    destroy() {}
  }
  return { Chart, cssVar: (_n: string, f: string) => f, PALETTE: ['#000'] };
});

afterEach(() => {
  clearMocks();
  location.hash = '';
});

// jsdom lacks ResizeObserver (used by bind:clientHeight) and <dialog> methods.
if (!('ResizeObserver' in globalThis)) {
  class RO {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = RO;
}
if (typeof HTMLDialogElement !== 'undefined' && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
}
