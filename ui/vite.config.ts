import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Same CSP as the Tauri app, so `vite preview` (browser tests, bench) catches violations.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src ipc: http://ipc.localhost; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

// `tauri ios dev` on a physical device serves the UI over the network: the CLI says where in
// TAURI_DEV_HOST (Tauri docs, "Develop", iOS). Elsewhere the dev server stays on localhost.
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const host = env.TAURI_DEV_HOST;

export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: 'ws', host, port: 5183 } : undefined,
  },
  preview: { port: 4173, strictPort: true, headers: { 'Content-Security-Policy': CSP } },
  build: { outDir: 'dist', target: 'es2022', emptyOutDir: true },
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
  },
}));
