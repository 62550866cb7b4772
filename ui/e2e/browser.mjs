// Real-browser end-to-end test: vite preview + chromium (playwright-core) + a Tauri IPC stub.
// Usage: npm run build && npm run test:browser
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startPreview, BASE, UI_DIR } from './serve.mjs';

const SHOTS = path.resolve(UI_DIR, '..', 'target', 'ui-screenshots');
mkdirSync(SHOTS, { recursive: true });
const STUB = readFileSync(path.join(UI_DIR, 'e2e', 'ipc-stub.js'), 'utf8');
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
];

const failures = [];
let checks = 0;
function check(cond, msg) {
  checks++;
  if (!cond) {
    failures.push(msg);
    console.log(`  ✗ ${msg}`);
  }
}

async function noOverflow(page, vp, screen) {
  const r = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  check(r.sw <= r.cw, `[${vp}] ${screen}: horizontal overflow (scrollWidth ${r.sw} > clientWidth ${r.cw})`);
}
async function unlabelled(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea, button, [role=link], a[href]')) {
      if (el.closest('[hidden], dialog:not([open])')) continue;
      const name = (el.getAttribute('aria-label') || '').trim()
        || (el.getAttribute('aria-labelledby') ? document.getElementById(el.getAttribute('aria-labelledby'))?.textContent.trim() : '')
        || (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent.trim() : '')
        || el.closest('label')?.textContent.trim()
        || (['BUTTON', 'A'].includes(el.tagName) ? (el.textContent.trim() || el.getAttribute('title') || '') : '');
      if (!name) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}
async function shot(page, vp, screen) {
  await noOverflow(page, vp, screen);
  const bad = await unlabelled(page);
  check(bad.length === 0, `[${vp}] ${screen}: controls without a label:\n    ${bad.join('\n    ')}`);
  await page.screenshot({ path: path.join(SHOTS, `${vp}-${screen}.png`), fullPage: true });
}
async function calls(page, cmd) {
  return page.evaluate((c) => window.__calls.filter((x) => x.cmd === c), cmd);
}
async function text(page, testid) {
  return (await page.getByTestId(testid).first().textContent())?.trim() ?? '';
}
async function step(name, fn) {
  process.stdout.write(`• ${name}\n`);
  try {
    await fn();
  } catch (e) {
    failures.push(`${name}: ${e.message.split('\n')[0]}`);
    console.log(`  ✗ ${name}: ${e.message.split('\n').slice(0, 3).join(' | ')}`);
  }
}

async function flow(browser, vp) {
  const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.setDefaultTimeout(8000);
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => consoleErrors.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.addInitScript({ content: `window.__STUB_CONFIG__ = { runs: 3, samplesPerRun: 24 };\n${STUB}\n// like tauri.conf.json app.security.freezePrototype\nObject.freeze(Object.prototype);` });
  const V = vp.name;

  await step(`[${V}] models screen`, async () => {
    await page.goto(`${BASE}/#/models`);
    await page.getByTestId('model-row').nth(2).waitFor();
    check((await page.getByTestId('model-row').count()) === 3, `[${V}] expected 3 model rows`);
    const body = await page.locator('main').textContent();
    check(body.includes('1.4 M'), `[${V}] parameters not human-formatted (1.4 M)`);
    check(body.includes('the file is gone'), `[${V}] model problem not shown`);
    check(body.includes('built-in'), `[${V}] built-in badge missing`);
    check((await calls(page, 'ui_ready')).length === 1, `[${V}] ui_ready not called exactly once`);
    await shot(page, V, 'models');
    await page.getByTestId('import-model').click();
    await page.getByTestId('import-confirm').click();
    await page.getByTestId('model-row').nth(3).waitFor();
    const imp = await calls(page, 'import_model');
    check(imp.length === 1 && imp[0].args.mode === 'copy' && imp[0].args.path === '/home/me/Downloads/tiny.gguf' && imp[0].args.onProgress?.channel > 0,
      `[${V}] import_model args wrong: ${JSON.stringify(imp)}`);
    // delete the imported copy, with confirmation
    const row = page.getByTestId('model-row').filter({ hasText: 'Tiny Imported' });
    await row.getByRole('button', { name: /Delete/ }).click();
    await page.getByTestId('confirm-ok').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=model-row]').length === 3);
    const del = await calls(page, 'delete_model');
    check(del.length === 1 && del[0].args.path === '/data/models/tiny.gguf', `[${V}] delete_model args wrong`);
    check((await page.getByTestId('model-row').first().getByRole('button', { name: /Delete|Forget/ }).count()) === 0, `[${V}] built-in model must not be deletable`);
  });

  await step(`[${V}] keyboard: Tab reaches nav, Enter activates`, async () => {
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.locator('body').focus();
    let found = false;
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
      if (id === 'nav-history') {
        found = true;
        break;
      }
    }
    check(found, `[${V}] Tab never reached nav-history`);
    if (found) {
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      check(ring !== 'none', `[${V}] focused nav item has no visible focus ring`);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#/history');
    }
  });

  await step(`[${V}] new run: datasets, download, validation, start`, async () => {
    await page.getByTestId('nav-new-run').click();
    await page.getByTestId('start-run').waitFor();
    check((await page.getByTestId('dataset-checkbox').count()) === 2, `[${V}] starter suite should list 2 datasets`);
    await page.getByTestId('suite-select').selectOption('mobileaibench');
    await page.getByTestId('download-dataset').first().click();
    await page.getByTestId('fetch-report').first().waitFor();
    check((await text(page, 'fetch-report')).includes('verified'), `[${V}] gsm8k fetch report missing`);
    await page.getByTestId('download-dataset').first().click();
    await page.locator('[data-testid=fetch-report].problem').waitFor();
    check((await page.locator('[data-testid=fetch-report].problem').textContent()).includes('checksum'), `[${V}] checksum failure not shown`);
    await shot(page, V, 'new-run-downloads');
    await page.getByTestId('suite-select').selectOption('starter');
    // deselect the only model: start disabled with a hint
    await page.getByTestId('model-checkbox').first().uncheck();
    check(await page.getByTestId('start-run').isDisabled(), `[${V}] start-run should be disabled with no model`);
    check((await text(page, 'start-hints')).includes('Select at least one model'), `[${V}] no hint for missing model`);
    await page.getByTestId('model-checkbox').first().check();
    check(await page.getByTestId('start-run').isEnabled(), `[${V}] start-run should be enabled`);
    await shot(page, V, 'new-run');
    await page.getByTestId('start-run').click();
    await page.waitForFunction(() => location.hash === '#/live');
    await page.getByTestId('nav-new-run').click();
    await page.getByTestId('run-active-note').waitFor(); // one run at a time: New run points to it
    await page.getByTestId('nav-live').click();
    const sr = await calls(page, 'start_run');
    const req = sr[0]?.args?.request;
    check(!!req && req.models.length === 1 && req.suite === 'starter' && req.datasets.join() === 'arith,capitals' && req.examples === 10 && req.preset === 'mobile' && req.threads === 4,
      `[${V}] start_run request wrong: ${JSON.stringify(sr)}`);
  });

  await step(`[${V}] live run: progress, tokens, persistence, cancel`, async () => {
    const model = '/data/models/builtin/smollm2-135m-instruct-q8_0.gguf';
    await page.evaluate((m) => window.__emitLive([
      { event: 'queue_started', queue_id: 7, models: [m] },
      { event: 'model_started', index: 0, total: 1, model: m },
      { event: 'run_started', run_id: 4, model: m, resumed: false, total: 4, already_done: 0, datasets: [{ dataset: 'arith', task: 'math', samples: 2, already_done: 0 }, { dataset: 'capitals', task: 'qa', samples: 2, already_done: 0 }] },
    ]), model);
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent.includes('Loading model'));
    check(await page.getByTestId('cancel-run').isEnabled(), `[${V}] cancel must be enabled while loading`);
    await page.evaluate(() => {
      const ev = [{ event: 'model_loaded', cold: true, model_load_ms: 812.5, projector_load_ms: null, context_ms: 30.1, n_ctx: 2048, n_params: 134515008, backend: 'CPU', gpu_layers_offloaded: 0, layers_total: 31 },
        { event: 'sample_started', dataset: 'arith', row: 0, prompt: 'What is 2 + 2? Answer with a number only.', image: null }];
      for (const t of ['The', ' answer', ' is', ' 4']) ev.push({ event: 'token', text: t });
      ev.push({ event: 'sample_finished', dataset: 'arith', row: 0, done: 1, total: 4, prompt_tokens: 14, output_tokens: 4, ttft_ms: 84.26, decode_tokens_per_s: 41.77, truncated: false, error: null, scores: [{ metric: 'em', value: 1 }] });
      // A sample with an image: the backend hands it over as a data: URL.
      ev.push({ event: 'sample_started', dataset: 'arith', row: 1, prompt: 'What is 3 + 5?', image: '/data/datasets/vqav2/images/1.jpg' });
      ev.push({ event: 'token', text: 'Eight' });
      for (let i = 0; i < 30; i++) ev.push({ event: 'resource', unix_ms: 1e12 + i * 500, elapsed_ms: i * 500, phase: 'decode', sample_index: 1, process_cpu_pct: 120 + i, system_cpu_pct: 50, rss_bytes: (300 + i) * 1048576, peak_rss_bytes: null, footprint_bytes: null, headroom_bytes: null, system_memory_used_bytes: null, system_memory_available_bytes: null, battery_level_pct: null, battery_state: null, power_w: null, thermal_state: null, temperature_c: null });
      window.__emitLive(ev);
    });
    await page.waitForFunction(() => document.querySelector('[data-testid=live-prediction]')?.textContent === 'Eight');
    await page.waitForFunction(() => document.querySelector('[data-testid=live-image-img]')?.naturalWidth === 1);
    check((await text(page, 'run-status')) === 'Running', `[${V}] status should be Running, got "${await text(page, 'run-status')}"`);
    check((await page.getByTestId('run-progress').first().getAttribute('aria-valuenow')) === '1', `[${V}] run-progress aria-valuenow should be 1`);
    check((await text(page, 'last-ttft')) === '84.3 ms', `[${V}] live TTFT wrong: ${await text(page, 'last-ttft')}`);
    check((await text(page, 'last-tps')) === '41.8 t/s', `[${V}] live decode t/s wrong`);
    check(/ETA \d/.test(await text(page, 'eta')), `[${V}] ETA missing: ${await text(page, 'eta')}`);
    check((await page.getByTestId('live-screen').textContent()).includes('Model 1 of 1'), `[${V}] queue position missing`);
    check((await page.locator('[data-testid=live-cpu-chart] canvas').count()) === 1, `[${V}] live CPU chart missing`);
    await shot(page, V, 'live-run');
    // navigate away and back: state is kept
    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-row').first().waitFor();
    await page.getByTestId('nav-live').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=live-prediction]')?.textContent === 'Eight');
    await page.getByTestId('cancel-run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent.includes('Cancelling'));
    check((await calls(page, 'cancel_run')).length === 1, `[${V}] cancel_run not invoked`);
    check(await page.getByTestId('cancel-run').isEnabled(), `[${V}] cancel-run should stay enabled while cancelling`);
    await page.evaluate(() => window.__emitLive([
      { event: 'run_finished', run_id: 4, status: 'interrupted', reason: 'cancelled by the user' },
      { event: 'queue_finished', run_ids: [4], cancelled: true, paused: false },
    ]));
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'Interrupted: cancelled by the user');
    check((await page.getByTestId('finished-run-link').count()) === 1, `[${V}] link to finished run missing`);
    await shot(page, V, 'live-run-finished');
  });

  await step(`[${V}] history: rows, resume buttons, open detail with keyboard`, async () => {
    await page.getByTestId('nav-history').click();
    await page.getByTestId('runs-list').waitFor();
    await page.getByTestId('run-row').nth(2).waitFor();
    check((await page.getByTestId('run-row').count()) === 3, `[${V}] expected 3 run rows`);
    check((await page.getByTestId('resume-run').count()) === 2, `[${V}] expected 2 resume buttons (interrupted + failed)`);
    const listText = await page.getByTestId('runs-list').textContent();
    check(listText.includes('out of memory'), `[${V}] failure reason not shown in history`);
    await shot(page, V, 'history');
    // resume the interrupted run → live screen, resume_run called, then finish it
    await page.locator('[data-testid=run-row][data-run-id="2"]').getByTestId('resume-run').click();
    await page.waitForFunction(() => location.hash === '#/live');
    const rr = await calls(page, 'resume_run');
    check(rr.length === 1 && rr[0].args.runId === 2 && rr[0].args.onEvent?.channel > 0, `[${V}] resume_run args wrong: ${JSON.stringify(rr)}`);
    await page.evaluate(() => window.__emitLive([
      { event: 'queue_started', queue_id: 8, models: ['/data/models/builtin/smollm2-135m-instruct-q8_0.gguf'] },
      { event: 'run_started', run_id: 2, model: '/data/models/builtin/smollm2-135m-instruct-q8_0.gguf', resumed: true, total: 24, already_done: 12, datasets: [] },
    ]));
    await page.waitForFunction(() => document.querySelector('[data-testid=run-progress]')?.getAttribute('aria-valuenow') === '12');
    await page.evaluate(() => window.__emitLive([
      { event: 'run_finished', run_id: 2, status: 'failed', reason: 'model load failed: out of memory' },
      { event: 'queue_finished', run_ids: [2], cancelled: false, paused: false },
    ]));
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'Failed: model load failed: out of memory');
    await page.getByTestId('nav-history').click();
    await page.getByTestId('run-row').nth(2).waitFor();
    await page.locator('[data-testid=run-row][data-run-id="1"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#/runs/1');
  });

  await step(`[${V}] run detail: tables, n/a reason, search, expand, export`, async () => {
    await page.getByTestId('run-detail').waitFor();
    await page.getByTestId('sample-row').first().waitFor();
    const na = page.locator('[data-testid=efficiency-table] .na').first();
    check((await na.getAttribute('title'))?.includes('prompts too short'), `[${V}] n/a without reason tooltip`);
    check((await page.getByTestId('device-card').textContent()).includes('AMD EPYC'), `[${V}] device cpu not shown`);
    await page.waitForSelector('[data-testid=detail-cpu-chart] canvas');
    await shot(page, V, 'run-detail');
    await page.getByTestId('sample-search').fill('capital');
    await page.waitForFunction(() => document.querySelector('[data-testid=sample-count]')?.textContent.startsWith('12 of 24'));
    const rowsText = await page.getByTestId('sample-row').allTextContents();
    check(rowsText.length === 12 && rowsText.every((t) => t.toLowerCase().includes('capital')), `[${V}] search did not filter rows`);
    await page.getByTestId('sample-row').first().click();
    await page.getByTestId('sample-expanded').waitFor();
    await page.getByTestId('sample-errors-only').check();
    await page.waitForFunction(() => /^\d+ of 24/.test(document.querySelector('[data-testid=sample-count]')?.textContent ?? ''));
    await page.getByTestId('export-csv').click();
    await page.getByTestId('toast').filter({ hasText: 'Wrote 12 rows to /home/me/Documents/mobench-run-1.csv' }).waitFor();
    const ex = await calls(page, 'export_csv');
    check(ex.length === 1 && ex[0].args.path === '/home/me/Documents/mobench-run-1.csv' && ex[0].args.kind === 'runs' && ex[0].args.runIds[0] === 1,
      `[${V}] export_csv args wrong: ${JSON.stringify(ex)}`);
    const sv = await calls(page, 'plugin:dialog|save');
    check(sv[0]?.args?.options?.filters?.[0]?.extensions?.[0] === 'csv', `[${V}] save dialog without CSV filter`);
    // a failing export (disk full) shows the message in words, with what to do, and can be dismissed
    await page.evaluate(() => (window.__stub.failExport = true));
    await page.getByTestId('export-samples').click();
    const banner = page.getByTestId('error-banner');
    await banner.waitFor();
    const bt = await banner.textContent();
    check(bt.includes('Export failed') && bt.includes('No space left on the device') && bt.includes('free space') && !bt.includes('[object'), `[${V}] export error banner wrong: ${bt}`);
    await shot(page, V, 'run-detail-export-error');
    await banner.getByRole('button', { name: 'Dismiss error' }).click();
    await banner.waitFor({ state: 'detached' });
  });

  await step(`[${V}] unknown run shows a readable error`, async () => {
    await page.goto(`${BASE}/#/runs/999`);
    await page.getByTestId('error-box').waitFor();
    const t = await page.getByTestId('error-box').textContent();
    check(t.includes('Run 999 does not exist') && !t.includes('[object Object]'), `[${V}] error box text wrong: ${t}`);
  });

  await step(`[${V}] compare: pick, coloured deltas, diff, export`, async () => {
    await page.getByTestId('nav-compare').click();
    await page.getByTestId('compare-pick').waitFor();
    await shot(page, V, 'compare-pick');
    const boxes = page.getByTestId('compare-pick-checkbox');
    await boxes.nth(1).check();
    await boxes.nth(2).check();
    await page.getByTestId('compare-go').click();
    await page.waitForFunction(() => location.hash === '#/compare?runs=1,2');
    await page.getByTestId('compare-table').waitFor();
    const better = page.locator('[data-testid=delta][data-tone=better]').first();
    const worse = page.locator('[data-testid=delta][data-tone=worse]').first();
    check((await better.count()) === 1 && (await worse.count()) === 1, `[${V}] expected both better and worse deltas`);
    const col = await better.evaluate((el) => getComputedStyle(el).color);
    const [r, g] = col.match(/\d+/g).map(Number);
    check(g > r, `[${V}] "better" delta is not green (${col})`);
    check(/^[+−][\d.]+.* better$/.test((await better.textContent()).trim()), `[${V}] delta lacks +/- and "better" text: ${await better.textContent()}`);
    check(/^[+−][\d.]+.* worse$/.test((await worse.textContent()).trim()), `[${V}] delta lacks +/- and "worse" text`);
    await page.locator('[data-testid=compare-tps-chart] canvas').waitFor();
    await page.getByTestId('diff-dataset').selectOption('arith');
    await page.getByTestId('diff-row').first().waitFor();
    await shot(page, V, 'compare');
    await page.getByTestId('baseline-radio').nth(1).check();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'compare_runs').some((c) => c.args.baseline === 2));
    await page.getByTestId('export-csv').click();
    await page.getByTestId('toast').filter({ hasText: 'mobench-compare-1-2.csv' }).waitFor();
    const ex = (await calls(page, 'export_csv')).pop();
    check(ex?.args.kind === 'comparison' && ex.args.baseline === 2 && ex.args.path === '/home/me/Documents/mobench-compare-1-2.csv', `[${V}] comparison export args wrong: ${JSON.stringify(ex)}`);
  });

  await step(`[${V}] settings`, async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('save-settings').waitFor();
    check((await page.locator('main').textContent()).includes('b4600'), `[${V}] llama.cpp version missing`);
    await page.getByTestId('cooldown-input').fill('20');
    await page.getByTestId('save-settings').click();
    await page.getByTestId('toast').filter({ hasText: 'Settings saved' }).waitFor();
    const sv = (await calls(page, 'save_settings')).pop();
    check(sv?.args.settings.cooldown_s === 20 && sv.args.settings.defaults.threads === 4, `[${V}] save_settings args wrong`);
    await shot(page, V, 'settings');
  });

  await step(`[${V}] judges: an endpoint with its key in Settings, then grading a run with it`, async () => {
    const key = 'sk-browser-test-5e0c';
    await page.getByTestId('grader-kind').selectOption('endpoint');
    await page.getByTestId('grader-name').fill('OpenAI');
    await page.getByTestId('grader-endpoint-model').fill('gpt-4o');
    await page.getByTestId('grader-key').fill(key);
    await page.getByTestId('add-grader').click();
    await page.getByTestId('key-status').filter({ hasText: 'kept in the keychain' }).waitFor();
    const sk = await calls(page, 'set_grader_key');
    check(sk.length === 1 && sk[0].args.key === key && sk[0].args.graderId === 'g-1', `[${V}] set_grader_key args wrong: ${JSON.stringify(sk)}`);
    const ad = await calls(page, 'add_grader');
    check(ad.length === 1 && !JSON.stringify(ad).includes(key), `[${V}] the key went to add_grader`);
    check(!(await page.content()).includes(key), `[${V}] the key is shown in the page`);
    await shot(page, V, 'settings-graders');
    await page.evaluate(() => (location.hash = '#/runs/1'));
    await page.getByTestId('grade-run').click();
    await page.getByTestId('grade-plan').waitFor();
    await page.getByTestId('grade-start').click();
    await page.getByTestId('grade-progress-text').filter({ hasText: '12 of 24 requests' }).waitFor();
    const st = (await calls(page, 'start_grading')).pop();
    check(st?.args.runId === 1 && st.args.judge === 'g-1' && st.args.embedder === null, `[${V}] start_grading args wrong: ${JSON.stringify(st)}`);
    await shot(page, V, 'run-detail-grading');
    await page.evaluate(() => window.__stub.finishGrading());
    await page.getByTestId('grade-result').waitFor();
    await page.locator('[data-testid=quality-table]').filter({ hasText: 'Judge exact match (gpt-4o.3fa2)' }).waitFor();
    check((await text(page, 'grade-result')).includes('Graded 24 samples'), `[${V}] grading result not shown`);
    await shot(page, V, 'run-detail-graded');
  });

  await step(`[${V}] empty states`, async () => {
    await page.evaluate(() => window.__TAURI_INTERNALS__.invoke('clear_data', { scope: 'runs' }));
    await page.getByTestId('nav-history').click();
    await page.getByTestId('history-empty').waitFor();
    check((await text(page, 'history-empty')).includes('No runs yet'), `[${V}] history empty text`);
    await page.getByTestId('nav-live').click();
    await page.getByTestId('clear-live').click(); // the finished queue stays on screen until cleared
    await page.getByTestId('live-empty').waitFor();
    await shot(page, V, 'history-empty');
  });

  const errs = consoleErrors;
  check(errs.length === 0, `[${V}] console errors/warnings:\n    ${errs.join('\n    ')}`);
  await ctx.close();
}

// After a reload during a run the window attaches to it: progress so far, then live events.
async function attachedRun(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(8000);
  const errs = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && errs.push(m.text()));
  page.on('pageerror', (e) => errs.push(e.message));
  const cfg = { runs: 3, samplesPerRun: 24, attach: true, activeRun: { queue_id: 5, models: ['/m/a.gguf', '/m/b.gguf'], index: 1, run_id: 9, cancelling: false } };
  await page.addInitScript({ content: `window.__STUB_CONFIG__ = ${JSON.stringify(cfg)};\n${STUB}\nObject.freeze(Object.prototype);` });
  await step('[attached] run in progress after reload', async () => {
    await page.goto(`${BASE}/#/live`);
    const bar = page.getByTestId('run-progress');
    await bar.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-progress]')?.getAttribute('aria-valuenow') === '3');
    check((await page.getByTestId('detached-run').count()) === 0, '[attached] shown as detached');
    check((await calls(page, 'attach_run')).length === 1, '[attached] attach_run not invoked');
  });
  check(errs.length === 0, `[attached] console errors: ${errs.join(' | ')}`);
  await ctx.close();
}

// After a reload during a run the window has no event stream: Live shows the background run,
// can cancel it, and notices when it ends.
async function detachedRun(browser) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(8000);
  const errs = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && errs.push(m.text()));
  page.on('pageerror', (e) => errs.push(e.message));
  const cfg = { runs: 3, samplesPerRun: 24, activeRun: { queue_id: 5, models: ['/m/a.gguf', '/m/b.gguf'], index: 1, run_id: 9, cancelling: false } };
  await page.addInitScript({ content: `window.__STUB_CONFIG__ = ${JSON.stringify(cfg)};\n${STUB}\nObject.freeze(Object.prototype);` });
  await step('[detached] background run after reload', async () => {
    await page.goto(`${BASE}/#/live`);
    await page.getByTestId('detached-run').waitFor();
    check((await page.getByTestId('detached-run').textContent()).includes('model 2 of 2, run #9'), '[detached] queue position missing');
    await page.getByTestId('nav-new-run').click();
    await page.getByTestId('run-active-note').waitFor();
    await page.getByTestId('nav-live').click();
    await page.getByTestId('cancel-run').click();
    check((await calls(page, 'cancel_run')).length === 1, '[detached] cancel_run not invoked');
    await page.getByTestId('live-empty').waitFor({ timeout: 6000 });
  });
  check(errs.length === 0, `[detached] console errors: ${errs.join(' | ')}`);
  await ctx.close();
}

const server = await startPreview();
let browser;
try {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  for (const vp of VIEWPORTS) {
    console.log(`\n== ${vp.name} ${vp.width}×${vp.height}`);
    await flow(browser, vp);
  }
  console.log('\n== detached run');
  await detachedRun(browser);
  console.log('\n== attached run');
  await attachedRun(browser);
} catch (e) {
  failures.push(`fatal: ${e.stack || e}`);
} finally {
  await browser?.close();
  server.stop();
}

console.log(`\n${checks} checks, ${failures.length} failure(s); screenshots in ${SHOTS}`);
if (failures.length) {
  console.error('FAILED:\n- ' + failures.join('\n- '));
  process.exit(1);
}
console.log('browser e2e: OK');
