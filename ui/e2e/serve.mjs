// Start/stop `vite preview` on 127.0.0.1:4173 for the browser tests and the bench.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BASE = 'http://127.0.0.1:4173';

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: UI_DIR, stdio: 'inherit' });
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${c}`))));
  });
}

export async function ensureBuilt() {
  if (!existsSync(path.join(UI_DIR, 'dist', 'index.html'))) {
    console.log('dist/ missing: building first (npm run build)…');
    await run(process.execPath, [path.join(UI_DIR, 'node_modules/vite/bin/vite.js'), 'build']);
  }
}

export async function startPreview() {
  await ensureBuilt();
  const proc = spawn(process.execPath, [path.join(UI_DIR, 'node_modules/vite/bin/vite.js'), 'preview', '--port', '4173', '--strictPort', '--host', '127.0.0.1'], {
    cwd: UI_DIR, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`vite preview exited early (${proc.exitCode}):\n${out}`);
    try {
      const r = await fetch(BASE + '/');
      if (r.ok) return { proc, stop: () => stop(proc) };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop(proc);
  throw new Error(`vite preview did not answer on ${BASE} within 30 s:\n${out}`);
}

function stop(proc) {
  if (proc.exitCode === null) proc.kill('SIGTERM');
}
