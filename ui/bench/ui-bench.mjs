// UI performance bench (never fails on speed): Compare with 10 runs, History with 1,000 runs.
// Usage: npm run build && npm run bench
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startPreview, BASE, UI_DIR } from '../e2e/serve.mjs';

const STUB = readFileSync(path.join(UI_DIR, 'e2e', 'ipc-stub.js'), 'utf8');
const CFG = { runs: 1000, samplesPerRun: 1000, compareDatasets: 12, compareFigures: 10, diffRows: 1000 };
const RUNS = Array.from({ length: 10 }, (_, i) => i + 1);
const EXPECTED_ROWS = CFG.compareDatasets * CFG.compareFigures;

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function pct(a, p) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const server = await startPreview();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const results = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript({ content: `window.__STUB_CONFIG__ = ${JSON.stringify(CFG)};\n${STUB}\n// like tauri.conf.json app.security.freezePrototype\nObject.freeze(Object.prototype);` });
  await page.goto(`${BASE}/#/settings`);
  await page.getByTestId('save-settings').waitFor();

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const busy = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return (m.TaskDuration ?? 0) * 1000;
  };

  // ---- Compare: navigation → table rendered (data load + render), 1 warm-up + 5 measured
  const compareMs = [];
  const compareBusy = [];
  for (let i = 0; i < 6; i++) {
    await page.evaluate(() => (location.hash = '#/settings'));
    await page.getByTestId('save-settings').waitFor();
    await page.waitForTimeout(300);
    const b0 = await busy();
    const ms = await page.evaluate(({ runs, expected }) => new Promise((resolve, reject) => {
      const t0 = performance.now();
      location.hash = `#/compare?runs=${runs.join(',')}`;
      const deadline = t0 + 20000;
      const poll = () => {
        const t = document.querySelector('[data-testid=compare-table]');
        const n = t ? t.querySelectorAll('tbody tr:not(.group)').length : 0;
        if (t && t.querySelectorAll('[data-testid=delta]').length > 0 && n >= expected) {
          // wait for the frame that paints it
          requestAnimationFrame(() => resolve(performance.now() - t0));
        } else if (performance.now() > deadline) reject(new Error('compare table did not render'));
        else requestAnimationFrame(poll);
      };
      poll();
    }), { runs: RUNS, expected: EXPECTED_ROWS });
    const b1 = await busy();
    if (i > 0) {
      compareMs.push(ms);
      compareBusy.push(b1 - b0);
    }
  }
  const cells = await page.evaluate(() => document.querySelectorAll('[data-testid=compare-table] td').length);
  results.push({ name: `Compare 10 runs (${EXPECTED_ROWS} figure rows, ${cells} cells): navigation → table painted, median of 5`, value: median(compareMs), unit: 'ms', target: '< 200 ms', extra: `runs: ${compareMs.map((x) => x.toFixed(0)).join(', ')}` });
  results.push({ name: 'Compare: main-thread busy time for the same (CDP TaskDuration, includes charts drawn right after), median of 5', value: median(compareBusy), unit: 'ms', target: '< 200 ms' });

  // ---- Sample diff: 1,000 differing rows
  const diffMs = [];
  for (let i = 0; i < 3; i++) {
    await page.getByTestId('diff-dataset').selectOption('');
    const ms = await page.evaluate(() => new Promise((resolve) => {
      const sel = document.querySelector('[data-testid=diff-dataset]');
      const t0 = performance.now();
      sel.value = 'arith';
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      const poll = () => {
        if (document.querySelector('[data-testid=diff-row]') && document.querySelector('[data-testid=diff-count]')?.textContent.startsWith('1,000')) requestAnimationFrame(() => resolve(performance.now() - t0));
        else requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
    }));
    diffMs.push(ms);
  }
  results.push({ name: 'Sample diff, 1,000 rows × 10 runs: select → first page painted, median of 3', value: median(diffMs), unit: 'ms', target: '—' });

  // ---- History: 1,000 runs, initial render
  await page.evaluate(() => (location.hash = '#/settings'));
  await page.getByTestId('save-settings').waitFor();
  const histMs = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    location.hash = '#/history';
    const poll = () => {
      if (document.querySelectorAll('[data-testid=run-row]').length > 0) requestAnimationFrame(() => resolve(performance.now() - t0));
      else requestAnimationFrame(poll);
    };
    poll();
  }));
  results.push({ name: 'History 1,000 runs: navigation → list painted', value: histMs, unit: 'ms', target: '—' });

  // ---- History: scroll top → bottom in rAF steps
  const scroll = await page.evaluate(() => new Promise((resolve) => {
    const el = document.querySelector('[data-testid=runs-list]');
    const step = 200;
    const frames = [];
    const longTasks = [];
    const po = new PerformanceObserver((l) => longTasks.push(...l.getEntries().map((e) => e.duration)));
    try { po.observe({ type: 'longtask' }); } catch { /* not supported */ }
    let last = performance.now();
    let maxRows = 0;
    const tick = () => {
      const now = performance.now();
      frames.push(now - last);
      last = now;
      maxRows = Math.max(maxRows, el.querySelectorAll('[data-testid=run-row]').length);
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) {
        const lastRow = [...el.querySelectorAll('[data-testid=run-row]')].pop();
        po.disconnect();
        resolve({ frames: frames.slice(1), maxRows, lastId: lastRow?.dataset.runId, height: el.scrollHeight, longTasks });
        return;
      }
      el.scrollTop += step;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }));
  const f = scroll.frames;
  const dropped = f.filter((x) => x > 16.7).length;
  results.push({ name: `History scroll, ${f.length} steps of 200 px: frame time p50`, value: pct(f, 50), unit: 'ms', target: '≤ 16.7 ms' });
  results.push({ name: 'History scroll: frame time p95', value: pct(f, 95), unit: 'ms', target: '≤ 16.7 ms' });
  results.push({ name: 'History scroll: frame time max', value: Math.max(...f), unit: 'ms', target: '—' });
  results.push({ name: 'History scroll: dropped frames (> 16.7 ms)', value: dropped, unit: `of ${f.length}`, target: '0' });
  results.push({ name: 'History scroll: missed vsync (> 25 ms, i.e. > 1.5 frames)', value: f.filter((x) => x > 25).length, unit: `of ${f.length}`, target: '0' });
  results.push({ name: 'History scroll: long tasks (> 50 ms) on the main thread', value: scroll.longTasks.length, unit: 'tasks', target: '0' });
  results.push({ name: 'History: most rows in the DOM at once (windowing)', value: scroll.maxRows, unit: 'rows', target: '≪ 1,000', extra: `reached run #${scroll.lastId} at the bottom` });
  if (errors.length) console.log(`page errors during the bench:\n  ${errors.join('\n  ')}`);
} finally {
  await browser.close();
  server.stop();
}

console.log('\n| figure | value | target |\n|---|---:|---|');
for (const r of results) {
  const v = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(1);
  console.log(`| ${r.name}${r.extra ? ` (${r.extra})` : ''} | ${v} ${r.unit} | ${r.target} |`);
}
console.log('\n(2-core machine shared with other builds; headless Chromium; figures are indicative.)');
