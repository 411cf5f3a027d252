// UI smoke test: Runwatch installed in a real VS Code (code-server 1.139.1), driven like a person would in
// headless Chromium, against the provider simulator running as its own process.
//
//   1. installs the packaged runwatch-<version>.vsix (packaged first when it is missing or older than its sources)
//      into a fresh extensions dir with code-server's --install-extension: what is tested is what ships;
//   2. starts `node out/test/simulator/main.js --port 0` (seeded with demo brands and runs) and reads its
//      JSON ready line for the base URLs; the base URLs stay at their defaults and user settings point
//      VS Code's http.proxy at a proxy that plays the providers' real hosts with the simulator (providerHosts.js),
//      so the provider rows read as a user's do; the last check asserts every provider went through it;
//   3. opens the workbench, opens the Runwatch view (welcome view: no key yet);
//   4. F1 → "Runwatch: Set API Key" → Boring Marketing → types the simulator key into the password box (keys
//      live only in SecretStorage; there is no other way in);
//   5. expands Boring Marketing and its brands, waits for run rows and the status bar, checks them against what
//      the simulator's API says, saves docs/screenshot-runs.png; watches the status bar and the run row move to
//      the next stage; expands the running run's stages and saves docs/screenshot-stages.png; runs a runwatch task
//      from tasks.json that follows the running run and saves its terminal as docs/screenshot-task.png;
//   6. sets the other four providers' keys the same way and checks each shows its accounts
//      (.vscode-test/ui/screenshot-providers.png);
//   7. starts a run on GloriaMundo ("Add workflow…" by id first), Automindz and Adlyse from the palette as a
//      person would (Talonic's seeded pipelines are listed by its API), checks one run row per provider as it
//      reads on screen, saving docs/screenshot-start-run.png (a step of Automindz's Start Run, Back button and
//      "3/7"); starts an Adlyse run that fails and saves its notification (docs/screenshot-notification.png) and
//      the Show Error document (docs/screenshot-error.png); saves docs/screenshot-runs.png: all five providers,
//      their accounts and runs; clicks the status bar item and saves its quick pick (docs/screenshot-statusbar.png).
// Every picture but the task's is cropped to what it is about (Playwright clip): the tree, the toast, the pick.
// Prints every check and ends with "N passed, N failed". Exit 0 only when every check passed.
//
// Env: RUNWATCH_UI_PROVIDERS (comma-separated provider ids to key, default all five), RUNWATCH_UI_SCALE
// (simulator time scale, default 0.5: the seeded full run then takes about two minutes), RUNWATCH_UI_KEEP=1 (keep the Chromium profile), SHOTS_DIR.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const tools = require('../../scripts/vscode-offline/tools');
const { ensureVsix } = require('../../scripts/vsix');
const { startProviderHosts } = require('./providerHosts');

const ROOT = tools.ROOT;
const WORK = path.join(ROOT, '.vscode-test', 'ui');
const SHOTS = process.env.SHOTS_DIR || path.join(ROOT, 'docs');
const ALL_PROVIDERS = ['boringMarketing', 'gloriaMundo', 'automindz', 'talonic', 'adlyse'];
const DISPLAY_NAMES = { boringMarketing: 'Boring Marketing', gloriaMundo: 'GloriaMundo', automindz: 'Automindz', talonic: 'Talonic', adlyse: 'Adlyse' };
const BM_STAGES = ['brand_enrichment', 'competitor_discovery', 'family_discovery', 'evidence_collection', 'leverage_scoring', 'queue_building'];
/** The same stages as rows, descriptions and the status bar name them (the raw ids are in the tooltips). */
const BM_STAGE_LABELS = ['Brand enrichment', 'Competitor discovery', 'Family discovery', 'Evidence collection', 'Leverage scoring', 'Queue building'];
const PROVIDERS = (process.env.RUNWATCH_UI_PROVIDERS || ALL_PROVIDERS.join(',')).split(',').map(s => s.trim()).filter(Boolean);

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const results = [];

/** One named check: prints ✔/✘ with what it saw. Later checks depend on earlier ones, so the first failure stops the run. */
async function check(name, body) {
  try {
    const saw = await body();
    results.push({ name, ok: true });
    console.log(`  ✔ ${name}${saw ? `: ${saw}` : ''} (${elapsed()})`);
    return saw;
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  ✘ ${name}: ${e.message.split('\n')[0]} (${elapsed()})`);
    throw e;
  }
}

/** Polls `fn` until it returns something truthy. */
async function until(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

const normalise = s => String(s).toLowerCase().replace(/[_\s-]+/g, ' ').trim();

// ---------------------------------------------------------------------------------------------------------
// The simulator, as its own process

async function startSimulator() {
  const main = path.join(ROOT, 'out', 'test', 'simulator', 'main.js');
  if (!fs.existsSync(main)) throw new Error('out/test/simulator/main.js is missing: run npm run compile-tests');
  const child = spawn(process.execPath, [main, '--port', '0', '--scale', process.env.RUNWATCH_UI_SCALE || '0.5'], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = [];
  child.stderr.on('data', d => stderr.push(d));
  const ready = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('the simulator printed no ready line within 20 s')), 20000);
    lines.on('line', line => {
      if (!line.startsWith('{')) return;
      try {
        const msg = JSON.parse(line);
        if (msg.ready) {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch { /* not the ready line */ }
    });
    child.on('exit', code => reject(new Error(`the simulator exited (${code}): ${Buffer.concat(stderr).toString().slice(-2000)}`)));
  });
  return { child, ...ready, stop: () => tools.killGroup(child.pid) };
}

/** Asks the simulator's Boring Marketing API what a person should then see in the tree. */
async function bmGet(sim, apiPath) {
  const { SIM_KEYS } = require(path.join(ROOT, 'out', 'test', 'simulator', 'keys.js'));
  const res = await fetch(`${sim.baseUrls.boringMarketing}${apiPath}`, { headers: { 'X-API-Key': SIM_KEYS.boringMarketing } });
  if (!res.ok) throw new Error(`simulator GET ${apiPath}: HTTP ${res.status}`);
  return res.json();
}

// ---------------------------------------------------------------------------------------------------------
// The workbench, as a person sees it

/** Visible rows of the side bar's tree: what each row shows. */
/** Each built-in provider's default base URL, from the adapters' descriptors (the compiled source). */
function defaultBaseUrls() {
  const { BUILTIN_PROVIDERS } = require(path.join(ROOT, 'out', 'src', 'providers', 'index.js'));
  return Object.fromEntries(BUILTIN_PROVIDERS.map(d => [d.id, d.defaultBaseUrl]));
}

function treeRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.part.sidebar .monaco-list-row')].map(row => ({
      level: Number(row.getAttribute('aria-level') || 0),
      expanded: row.getAttribute('aria-expanded'),
      label: (row.querySelector('.label-name')?.textContent || '').trim(),
      description: (row.querySelector('.label-description')?.textContent || '').trim(),
      spinning: !!row.querySelector('.codicon-modifier-spin, [class*="codicon-loading"], [class*="codicon-sync"]'),
      index: row.getAttribute('data-index'),
    })),
  );
}

const describeRows = rows => rows.map(r => `${'  '.repeat(Math.max(0, r.level - 1))}${r.label}${r.description ? ` — ${r.description}` : ''}`).join('\n');

async function expandRow(page, row) {
  if (row.expanded !== 'false') return;
  await page.locator(`.part.sidebar .monaco-list-row[data-index="${row.index}"] .monaco-tl-twistie`).click();
}

/** A Boring Marketing run row (level 3) whose description names the stage it is in. */
const isRunningBmRun = r => r.level === 3 && r.spinning && BM_STAGE_LABELS.some(s => r.description.includes(s));

/** Expands every collapsed row matching `which`, one at a time (rows below move each time one opens). */
async function expandAll(page, which) {
  const done = new Set();
  for (let i = 0; i < 50; i++) {
    const row = (await treeRows(page)).find(r => which(r) && r.expanded === 'false' && !done.has(`${r.level}:${r.label}`));
    if (!row) return;
    done.add(`${row.level}:${row.label}`);
    await expandRow(page, row);
    await page.waitForTimeout(200);
  }
}

/** Drags the side bar's edge so rows show their whole description. */
async function widenSideBar(page, width) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
}

/** The Runwatch status bar entries' text (codicons render as icons, not text). */
function runwatchStatusText(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.part.statusbar .statusbar-item')]
      .filter(item => /^runwatch\./i.test(item.id) || /runwatch/i.test(item.getAttribute('aria-label') || ''))
      .map(item => (item.textContent || '').trim())
      .filter(Boolean)
      .join(' | '),
  );
}

/**
 * Saves the part of the window that `boxes` (locators or {x, y, width, height}) cover together, with a
 * margin: the README's pictures show what they are about, not the whole workbench.
 */
async function shootArea(page, file, boxes, margin = 6) {
  const viewport = page.viewportSize();
  const rects = [];
  for (const b of boxes) {
    const r = typeof b.boundingBox === 'function' ? await b.boundingBox() : b;
    if (r) rects.push(r);
  }
  if (!rects.length) throw new Error(`nothing to photograph for ${path.basename(file)}`);
  const x = Math.max(0, Math.min(...rects.map(r => r.x)) - margin);
  const y = Math.max(0, Math.min(...rects.map(r => r.y)) - margin);
  const right = Math.min(viewport.width, Math.max(...rects.map(r => r.x + r.width)) + margin);
  const bottom = Math.min(viewport.height, Math.max(...rects.map(r => r.y + r.height)) + margin);
  await page.screenshot({ path: file, clip: { x, y, width: right - x, height: bottom - y } });
  return `${path.relative(ROOT, file)} (${Math.round(right - x)}×${Math.round(bottom - y)})`;
}

/** The side bar down to its last visible row: the tree without the empty space below it. */
async function treeArea(page) {
  const bar = await page.locator('.part.sidebar').boundingBox();
  const lastRowBottom = await page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('.part.sidebar .monaco-list-row')].map(r => r.getBoundingClientRect().bottom)));
  return { x: bar.x, y: bar.y, width: bar.width, height: Math.min(bar.height, lastRowBottom - bar.y + 8) };
}

async function toastTexts(page) {
  return page.evaluate(() => [...document.querySelectorAll('.notifications-toasts .notification-toast')].map(t => ({
    text: (t.querySelector('.notification-list-item-message')?.textContent || t.textContent || '').trim(),
    error: !!t.querySelector('.codicon-error, .codicon-notifications-error'),
  })));
}

/** Dismisses every notification toast (they would cover the view in screenshots). */
async function clearToasts(page) {
  for (let i = 0; i < 10; i++) {
    const close = page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear').first();
    if (!(await close.count())) return;
    await page.locator('.notifications-toasts .notification-toast').first().hover().catch(() => {});
    await close.click({ timeout: 2000 }).catch(() => {});
  }
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10000 });
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title.replace(/^Runwatch: /, '') }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

async function setKeyLikeAUser(page, provider, key) {
  await runCommand(page, 'Runwatch: Set API Key');
  const name = DISPLAY_NAMES[provider];
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10000 });
  await page.keyboard.type(name);
  await page.waitForTimeout(150); // the list filters as you type
  await page.keyboard.press('Enter');
  const password = page.locator('.quick-input-widget input[type="password"]');
  await password.waitFor({ timeout: 10000 });
  // One quick input in two steps: the provider was 1/2, the key box is 2/2.
  await until(async () => (await page.locator('.quick-input-widget').innerText()).includes('(2/2)'), 5000, 'the key box to say "(2/2)"');
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15000 });
}

/** Picks an item in the open quick pick by typing its label, as a person filters the list. */
async function pickItem(page, label) {
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15000 });
  await page.keyboard.type(label);
  await page.waitForTimeout(150); // the list filters as you type
  await page.keyboard.press('Enter');
}

/**
 * Answers the input box whose title or prompt contains `marker`: types `text` (nothing for an optional field
 * left empty) and presses Enter, then waits for the box to go. `password` checks the box hides what is typed.
 */
async function answerBox(page, marker, text, { password = false } = {}) {
  const widget = page.locator('.quick-input-widget', { hasText: marker });
  await widget.waitFor({ state: 'visible', timeout: 15000 });
  const input = widget.locator('.quick-input-box input').first();
  const type = await input.getAttribute('type');
  if (password !== (type === 'password')) throw new Error(`the "${marker}" box is ${type === 'password' ? '' : 'not '}a password box`);
  await input.fill(text);
  await page.keyboard.press('Enter');
  await page.waitForFunction(m => {
    const w = document.querySelector('.quick-input-widget');
    return !w || w.offsetParent === null || getComputedStyle(w).display === 'none' || !(w.textContent || '').includes(m);
  }, marker, { timeout: 15000 });
}

/** The rows below a provider's row (its accounts and their runs), up to the next provider. */
function rowsUnder(rows, provider) {
  const at = rows.findIndex(r => r.level === 1 && r.label === DISPLAY_NAMES[provider]);
  if (at < 0) return [];
  const below = [];
  for (let i = at + 1; i < rows.length && rows[i].level > 1; i++) below.push(rows[i]);
  return below;
}

/** How one run row of each provider must read on screen for the screenshot to show it working. */
const RUN_ROW_READS = {
  // A stage and its position (`Competitor discovery · 2/6 · 40s`), or the seeded failure.
  boringMarketing: r => /\S · \d\/6 · /.test(r.description) || /^failed at /.test(r.description),
  // Out of the queue: `step 2/5 · Generate content · 40% · 12s`, or `Fetch emails · 0% · 3s` before the first step ends.
  // The run sits under the workflow "Daily digest", so its row says which run, not the name again.
  gloriaMundo: r => /^Run #/.test(r.label) && /\d+% · /.test(r.description),
  // No progress in the API: spinning once RUNNING.
  automindz: r => /^Run #/.test(r.label) && r.spinning,
  // `15/24 docs · 1 error · 30s`.
  talonic: r => r.label.startsWith('March invoices #') && /^\d+\/24 docs/.test(r.description),
  // Out of the queue: running, or finished (`12s ago`).
  adlyse: r => /^Run #/.test(r.label) && (r.spinning || /ago$/.test(r.description)),
};

// ---------------------------------------------------------------------------------------------------------

async function main() {
  console.log('UI smoke test: Runwatch in VS Code (code-server) + headless Chromium, against the simulator');
  tools.ensureTools();
  fs.rmSync(WORK, { recursive: true, force: true });
  const userDataDir = path.join(WORK, 'user-data');
  // Outside the repository: from in here the installed bundle could load the repository's node_modules.
  const extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-ui-extensions-'));
  const workspace = path.join(WORK, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });

  const cleanups = [() => fs.rmSync(extensionsDir, { recursive: true, force: true })];
  let page;
  try {
    const vsix = ensureVsix({ log: line => console.log(`  ${line}`) });
    const installed = tools.installVsix(vsix, { userDataDir, extensionsDir });
    const sim = await startSimulator();
    cleanups.push(() => sim.stop());
    console.log(`  simulator on ${sim.origin}; ${path.basename(vsix)} installed as ${installed.id} ${installed.version} in ${installed.dir}`);
    // The base URLs stay at their defaults and VS Code's http.proxy leads to the simulator: the provider rows
    // then read as a user's do (see providerHosts.js), and the proxied path is exercised in the real workbench.
    const hosts = await startProviderHosts({ defaults: defaultBaseUrls(), simBaseUrls: sim.baseUrls });
    cleanups.push(() => hosts.stop());
    // The DOM terminal renderer: its text can be read back (the task terminal check), a canvas's cannot.
    tools.writeUserSettings(userDataDir, { 'http.proxy': hosts.proxyUrl, 'terminal.integrated.gpuAcceleration': 'off' }, { overwrite: true });

    const server = await tools.startCodeServer({
      port: await tools.freePort(), userDataDir, extensionsDir,
      log: fs.createWriteStream(path.join(WORK, 'code-server.log')),
      env: hosts.env,
      extraArgs: ['--disable-proxy', '--reconnection-grace-time', '5'],
    });
    cleanups.push(() => server.stop());
    const browserDir = path.join(WORK, 'chromium');
    const context = await tools.launchChromium(browserDir);
    cleanups.push(() => context.close().catch(() => {}));
    page = context.pages()[0] || (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', e => pageErrors.push(e.message));

    await check('workbench opens', async () => {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
      await page.locator('.part.statusbar').waitFor({ timeout: 60000 });
      return `VS Code at ${server.url}`;
    });

    await check('the activity bar has "Runwatch" and it opens a welcome view offering "Set API Key"', async () => {
      await page.locator('.part.activitybar [aria-label^="Runwatch"]').first().click({ timeout: 30000 });
      const welcome = page.locator('.part.sidebar .welcome-view-content');
      await welcome.first().waitFor({ timeout: 30000 });
      await welcome.getByRole('button', { name: /Set API Key/i }).first().waitFor({ timeout: 10000 });
      await widenSideBar(page, 560);
      return (await welcome.first().innerText()).replace(/\s+/g, ' ').slice(0, 120);
    });

    const { SIM_KEYS } = require(path.join(ROOT, 'out', 'test', 'simulator', 'keys.js'));
    const setKeyCheck = provider => check(`"Runwatch: Set API Key" from the palette stores the ${DISPLAY_NAMES[provider]} key`, async () => {
      await setKeyLikeAUser(page, provider, SIM_KEYS[provider]);
      const toasts = await until(async () => {
        const all = (await toastTexts(page)).filter(t => !/^Checking the /.test(t.text));
        return all.length ? all : undefined;
      }, 15000, 'a notification saying whether the key works').catch(() => []);
      const bad = toasts.find(t => t.error);
      if (bad) throw new Error(`error notification: ${bad.text}`);
      for (const t of toasts) if (t.text.includes(SIM_KEYS[provider])) throw new Error('a notification shows the key itself');
      await clearToasts(page);
      return toasts.map(t => `"${t.text}"`).join('; ') || 'no notification';
    });

    // Boring Marketing first, alone: its runs are then the only active ones, so the status bar is about them.
    await setKeyCheck('boringMarketing');

    const brands = await bmGet(sim, '/brands');
    const brandList = Array.isArray(brands) ? brands : brands.brands || brands.items || [];
    const brandLabel = row => brandList.find(b => row.label === b.domain || row.label === b.name || row.label.includes(b.domain));
    if (PROVIDERS.length > 1) {
      await check('providers without a key fold into one "Add another provider…" row', async () => {
        const row = await until(async () => (await treeRows(page)).find(r => r.level === 1 && r.label === 'Add another provider…'), 30000, 'an "Add another provider…" row');
        const stray = (await treeRows(page)).filter(r => r.level === 1 && r.label !== 'Boring Marketing' && r !== row && r.label !== row.label);
        if (stray.length) throw new Error(`rows for providers without a key: ${stray.map(r => r.label).join(', ')}`);
        return `"${row.label} — ${row.description}"`;
      });
    }

    await check('the tree lists Boring Marketing and every brand the API lists', async () => {
      if (brandList.length === 0) throw new Error('the seeded simulator lists no brands');
      const bm = await until(async () => (await treeRows(page)).find(r => r.level === 1 && r.label === 'Boring Marketing'), 30000, 'a "Boring Marketing" row');
      await expandRow(page, bm);
      const rows = await until(async () => {
        const now = await treeRows(page);
        const missing = brandList.filter(b => !now.some(r => r.level === 2 && brandLabel(r) === b));
        return missing.length === 0 ? now : undefined;
      }, 30000, `brand rows ${brandList.map(b => b.domain).join(', ')}`);
      return rows.filter(r => r.level === 2).map(r => r.label).join(', ');
    });

    let activeRun;
    await check('each brand shows its runs; the running one names its current stage', async () => {
      await expandAll(page, r => r.level === 2 && !!brandLabel(r));
      const running = [];
      for (const b of brandList) {
        const answer = await bmGet(sim, `/brands/${b.id}/runs`);
        running.push(...(Array.isArray(answer) ? answer : answer.runs || []).filter(r => r.status === 'running'));
      }
      if (running.length === 0) throw new Error('the seeded simulator has no running Boring Marketing run');
      const rows = await until(async () => {
        const now = await treeRows(page);
        return now.some(isRunningBmRun) ? now : undefined;
      }, 45000, 'a run row whose description names its stage');
      activeRun = rows.find(isRunningBmRun);
      return `${rows.filter(r => r.level === 3).length} run rows; running: "${activeRun.label} — ${activeRun.description}"`;
    });

    let firstStatus;
    await check('the status bar shows the running run: brand and current stage', async () => {
      firstStatus = await until(async () => {
        const t = await runwatchStatusText(page);
        return BM_STAGE_LABELS.some(s => t.includes(s)) ? t : undefined;
      }, 45000, 'Runwatch status bar text naming a stage');
      if (!brandList.some(b => firstStatus.includes(b.domain) || firstStatus.includes(b.name))) {
        throw new Error(`status bar "${firstStatus}" names no brand`);
      }
      return `"${firstStatus}"`;
    });

    await check('screenshot of the runs saved', async () => {
      await page.mouse.move(0, 0); // no hover tooltip in the picture
      await page.waitForTimeout(300);
      // docs/screenshot-runs.png is taken at the end, once every provider has runs.
      const file = path.join(WORK, 'screenshot-bm-runs.png');
      await page.screenshot({ path: file });
      return path.relative(ROOT, file);
    });

    await check('the status bar and the run row follow the run into its next stage', async () => {
      const stageOf = text => BM_STAGE_LABELS.find(s => text.includes(s));
      const before = stageOf(firstStatus);
      const after = await until(async () => {
        const t = await runwatchStatusText(page);
        const stage = stageOf(t);
        return stage && stage !== before ? t : undefined;
      }, 60000, `the status bar to move on from ${before}`);
      const row = await until(async () => {
        const r = (await treeRows(page)).find(isRunningBmRun);
        return r && stageOf(r.description) !== before ? r : undefined;
      }, 20000, 'the run row to show the new stage');
      activeRun = row;
      return `"${firstStatus}" → "${after}"; row now "${row.description}"`;
    });

    await check('expanding the running run shows its six stages, the current one with its detail', async () => {
      const run = (await treeRows(page)).find(isRunningBmRun);
      if (!run) throw new Error('the running run has gone from the tree');
      await expandRow(page, run);
      const stageRows = await until(async () => {
        const now = await treeRows(page);
        const at = now.findIndex(isRunningBmRun);
        const below = [];
        for (let i = at + 1; i < now.length && now[i].level > 3; i++) if (now[i].level === 4) below.push(now[i]);
        return below.length >= 5 ? below : undefined;
      }, 30000, 'stage rows under the run');
      const labels = stageRows.map(r => normalise(r.label));
      const named = BM_STAGES.filter(s => labels.some(l => l.includes(normalise(s))));
      if (named.length < 5) throw new Error(`stage rows do not name the pipeline's stages: ${stageRows.map(r => r.label).join(', ')}`);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      const saved = await shootArea(page, path.join(SHOTS, 'screenshot-stages.png'), [await treeArea(page)]);
      return `${stageRows.map(r => `${r.label}${r.description ? ` (${r.description})` : ''}`).join(', ')}; saved ${saved}`;
    });

    await check('a runwatch task from tasks.json follows the running run in a task terminal (docs/screenshot-task.png)', async () => {
      let running;
      for (const b of brandList) {
        const answer = await bmGet(sim, `/brands/${b.id}/runs`);
        running ??= (Array.isArray(answer) ? answer : answer.runs || []).map(r => ({ ...r, brandId: b.id })).find(r => r.status === 'running');
      }
      if (!running) throw new Error('no running Boring Marketing run to follow');
      const label = 'Wait for the analysis';
      fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
      const task = { label, type: 'runwatch', provider: 'boringMarketing', account: running.brandId, runId: running.id || running.run_id, problemMatcher: [] };
      fs.writeFileSync(path.join(workspace, '.vscode', 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks: [task] }, null, 2));
      await until(async () => {
        // "Tasks: Run Task" exactly: typing it also matches "Tasks: Rerun All Running Tasks" and the like.
        await page.keyboard.press('F1');
        await page.locator('.quick-input-widget input').waitFor({ timeout: 10000 });
        await page.keyboard.type('Tasks: Run Task');
        await page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^Tasks: Run Task$/ }) }).first().click({ timeout: 10000 });
        const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label });
        if (await row.first().isVisible({ timeout: 5000 }).catch(() => false)) return true;
        await page.keyboard.press('Escape');
        return undefined;
      }, 30000, `"${label}" in Tasks: Run Task`);
      await pickItem(page, label);
      // The terminal's text, where the renderer leaves it in the DOM (the accessibility tree always does).
      const text = await until(async () => {
        const joined = (await page.locator('.terminal-wrapper .xterm-rows').allInnerTexts().catch(() => [])).join('\n');
        return /Following .* \(Boring Marketing, run id/.test(joined) && / · running · /.test(joined) ? joined : undefined;
      }, 30000, 'the task terminal to say which run it follows and its state');
      await clearToasts(page);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      const file = path.join(SHOTS, 'screenshot-task.png');
      await page.screenshot({ path: file });
      const lines = text.split('\n').map(l => l.trim()).filter(l => /^\[/.test(l));
      await page.keyboard.press('Control+J'); // hide the panel again: the next checks read the tree
      return `"${lines.slice(0, 3).join(' | ')}"; saved ${path.relative(ROOT, file)}`;
    });

    const others = PROVIDERS.filter(p => p !== 'boringMarketing');
    for (const provider of others) await setKeyCheck(provider);
    if (others.length) {
      await check(`the tree shows ${others.map(p => DISPLAY_NAMES[p]).join(', ')} with their accounts`, async () => {
        // Collapse Boring Marketing so every provider fits in the view.
        const bm = (await treeRows(page)).find(r => r.level === 1 && r.label === 'Boring Marketing');
        if (bm && bm.expanded === 'true') await page.locator(`.part.sidebar .monaco-list-row[data-index="${bm.index}"] .monaco-tl-twistie`).click();
        const seen = {};
        for (const provider of others) {
          const row = await until(async () => (await treeRows(page)).find(r => r.level === 1 && r.label === DISPLAY_NAMES[provider]), 30000, `a "${DISPLAY_NAMES[provider]}" row`);
          await expandRow(page, row);
          const children = await until(async () => {
            const now = await treeRows(page);
            const at = now.findIndex(r => r.level === 1 && r.label === DISPLAY_NAMES[provider]);
            const below = [];
            for (let i = at + 1; i < now.length && now[i].level > 1; i++) if (now[i].level === 2) below.push(now[i]);
            return below.length && !below.some(r => /^Loading/i.test(r.label)) ? below : undefined;
          }, 30000, `${DISPLAY_NAMES[provider]}'s accounts`);
          if (children.some(r => /add api key/i.test(r.label))) throw new Error(`${DISPLAY_NAMES[provider]} still asks for a key`);
          seen[provider] = children.map(r => r.label).join(', ');
        }
        await page.mouse.move(0, 0);
        await page.screenshot({ path: path.join(WORK, 'screenshot-providers.png') });
        return Object.entries(seen).map(([id, labels]) => `${DISPLAY_NAMES[id]}: ${labels}`).join('; ');
      });
    }

    if (PROVIDERS.includes('gloriaMundo')) {
      await check('GloriaMundo: "Add workflow…" by id with a label, then "Runwatch: Start Run" on it with JSON input', async () => {
        await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Add workflow…' }).first().click();
        await answerBox(page, 'The GloriaMundo workflow id', 'wf_daily_digest');
        await answerBox(page, 'A label for it (optional)', 'Daily digest');
        await until(async () => rowsUnder(await treeRows(page), 'gloriaMundo').find(r => r.level === 2 && r.label === 'Daily digest'), 15000, 'a "Daily digest" workflow row');
        await runCommand(page, 'Runwatch: Start Run');
        await pickItem(page, 'GloriaMundo');
        await pickItem(page, 'Daily digest');
        await answerBox(page, 'Run workflow: Input (JSON object)', '{"channel": "#daily-digest"}');
        await pickItem(page, 'Start'); // the last step: "Start Run workflow on Daily digest (GloriaMundo)?"
        const run = await until(async () => rowsUnder(await treeRows(page), 'gloriaMundo').find(r => r.level === 3 && /^Run #/.test(r.label)), 20000, 'the run row under "Daily digest"');
        return `"${run.label} — ${run.description}"`;
      });
    }

    let startRunShot;
    if (PROVIDERS.includes('automindz')) {
      await check('Automindz: "Runwatch: Start Run" on "Find leavers", the third-party keys in password boxes', async () => {
        await runCommand(page, 'Runwatch: Start Run');
        await pickItem(page, 'Automindz');
        // The required fields first (the pipeline and its kind are the only ones: no pick), counted after the
        // provider step: 2/7 … 6/7, then the last step 7/7.
        const boxes = [
          ['Find leavers: Organisation name', 'Acme'],
          ['Find leavers: Industries', 'software development, it services and it consulting'],
          ['Find leavers: AI Ark API key', 'aiark_demo_key_1', true],
          ['Find leavers: Exa API key', 'exa_demo_key_2', true],
          ['Find leavers: OpenRouter API key', 'sk-or-demo-key-3', true],
        ];
        await page.locator('.quick-input-widget', { hasText: boxes[0][0] }).waitFor({ state: 'visible', timeout: 15000 });
        await until(async () => (await page.locator('.quick-input-widget').innerText()).includes('(2/7)'), 5000, 'the first box to say "(2/7)"');
        for (const [title, text, password] of boxes) {
          if (title === boxes[1][0]) {
            // The picture of Start Run's steps: a box halfway, its step count and the Back button, text typed.
            const widget = page.locator('.quick-input-widget', { hasText: title });
            await widget.waitFor({ state: 'visible', timeout: 15000 });
            await widget.locator('.quick-input-box input').first().fill(text);
            await page.mouse.move(0, 0);
            await page.waitForTimeout(200);
            startRunShot = await shootArea(page, path.join(SHOTS, 'screenshot-start-run.png'), [widget]);
          }
          await answerBox(page, title, text, { password: !!password });
        }
        // The last step offers the optional fields; two of them, then Start.
        await pickItem(page, 'Set optional fields…');
        await answerBox(page, 'Find leavers: Limit (optional)', '25');
        await answerBox(page, 'Find leavers: Job titles (optional)', '');
        await answerBox(page, 'Find leavers: Geography (optional)', 'United Kingdom');
        for (const title of ['Decision-maker titles', 'Excluded decision-maker titles', 'Employee size ranges', 'Minimum tenure (months)', 'Maximum tenure (months)', 'Qualification criteria']) {
          await answerBox(page, `Find leavers: ${title} (optional)`, '');
        }
        await pickItem(page, 'Start'); // the last step: "Start Find leavers on Automindz?"
        const run = await until(async () => rowsUnder(await treeRows(page), 'automindz').find(r => r.level === 3 && /^Run #/.test(r.label)), 20000, 'the run row under "Find leavers"');
        return `${boxes.length} required boxes, then "Set optional fields…"; "${run.label} — ${run.description}"; saved ${startRunShot}`;
      });
    }

    if (PROVIDERS.includes('adlyse')) {
      await check('Adlyse: "Runwatch: Start Run" on "Lead enrichment" asks the Email its input_schema declares', async () => {
        await runCommand(page, 'Runwatch: Start Run');
        await pickItem(page, 'Adlyse');
        await pickItem(page, 'Lead enrichment');
        await answerBox(page, 'Run Lead enrichment: Email', 'ana@acme.io');
        await pickItem(page, 'Start'); // the last step: "Start Lead enrichment on Adlyse?"
        const run = await until(async () => rowsUnder(await treeRows(page), 'adlyse').find(r => r.level === 3 && /^Run #/.test(r.label)), 20000, 'the run row under "Lead enrichment"');
        return `"${run.label} — ${run.description}"`;
      });

      await check('Adlyse: a run that fails raises a notification with Show Error and Re-run; Show Error opens what went wrong', async () => {
        await clearToasts(page);
        const runsBefore = rowsUnder(await treeRows(page), 'adlyse').filter(r => r.level === 3).length;
        await runCommand(page, 'Runwatch: Start Run');
        await pickItem(page, 'Adlyse');
        await pickItem(page, 'Lead enrichment');
        // The simulator's Lead enrichment finds no company behind a webmail address, and the run fails.
        await answerBox(page, 'Run Lead enrichment: Email', 'ana@gmail.com');
        await pickItem(page, 'Start');
        await until(async () => rowsUnder(await treeRows(page), 'adlyse').filter(r => r.level === 3).length > runsBefore, 20000, 'the new run row');
        // With the Runwatch view in sight, a finished run is told in the status bar only
        // (runwatch.notifications.quietWhenViewFocused): look at the Explorer meanwhile, as a person at work would.
        await page.locator('.part.activitybar [aria-label^="Explorer"]').first().click();
        const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /failed/i }).filter({ has: page.locator('.monaco-button', { hasText: 'Show Error' }) }).first();
        await toast.waitFor({ state: 'visible', timeout: 60000 });
        const buttons = (await toast.locator('.monaco-button').allInnerTexts()).map(t => t.trim()).filter(Boolean);
        if (!buttons.includes('Re-run')) throw new Error(`the failure notification offers ${buttons.join(', ')}, not Re-run`);
        const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
        await page.mouse.move(0, 0);
        await page.waitForTimeout(300);
        const notificationShot = await shootArea(page, path.join(SHOTS, 'screenshot-notification.png'), [toast]);
        await toast.locator('.monaco-button', { hasText: 'Show Error' }).click();
        const editor = page.locator('.part.editor');
        // Monaco renders spaces as no-break spaces, which \s matches.
        await until(async () => /No\s+company\s+found\s+for\s+email\s+ana@gmail\.com/.test(await editor.locator('.view-lines').first().innerText().catch(() => '')), 20000, 'the error document naming the failure');
        // The whole width for the document, without the side bar or toasts; down to its last line.
        await page.keyboard.press('Control+B');
        await page.keyboard.press('Control+End'); // the cursor off the first word, which it would highlight
        await clearToasts(page);
        await page.mouse.move(0, 0);
        await page.waitForTimeout(500);
        const editorBox = await editor.boundingBox();
        const lastLine = await page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('.part.editor .view-line')].map(l => l.getBoundingClientRect().bottom)));
        const errorShot = await shootArea(page, path.join(SHOTS, 'screenshot-error.png'), [{ ...editorBox, height: Math.min(editorBox.height, lastLine - editorBox.y + 12) }], 0);
        await page.keyboard.press('Control+W');
        await page.keyboard.press('Control+B');
        await page.locator('.part.activitybar [aria-label^="Runwatch"]').first().click();
        return `"${text}" [${buttons.join(' | ')}]; saved ${notificationShot}, ${errorShot}`;
      });
    }

    await check(`one picture of ${PROVIDERS.map(p => DISPLAY_NAMES[p]).join(', ')} with their accounts and runs; a run row of each reads as it should`, async () => {
      await clearToasts(page);
      // Boring Marketing was folded to make room; unfold it, and fold every run's stages.
      const bm = (await treeRows(page)).find(r => r.level === 1 && r.label === 'Boring Marketing');
      if (bm && bm.expanded === 'false') await expandRow(page, bm);
      for (let i = 0; i < 10; i++) {
        const open = (await treeRows(page)).find(r => r.level === 3 && r.expanded === 'true');
        if (!open) break;
        await page.locator(`.part.sidebar .monaco-list-row[data-index="${open.index}"] .monaco-tl-twistie`).click();
        await page.waitForTimeout(200);
      }
      const seen = await until(async () => {
        const rows = await treeRows(page);
        const found = {};
        for (const provider of PROVIDERS) {
          const row = rowsUnder(rows, provider).find(r => r.level === 3 && RUN_ROW_READS[provider](r));
          if (!row) return undefined;
          found[provider] = row;
        }
        return found;
      }, 60000, `a run row reading as expected under each of ${PROVIDERS.map(p => DISPLAY_NAMES[p]).join(', ')}`).catch(async e => {
        throw new Error(`${e.message}; visible:\n${describeRows(await treeRows(page))}`);
      });
      await clearToasts(page);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      // The tree and, below it, the status bar's left end (where Runwatch's item sits).
      const tree = await treeArea(page);
      const statusBar = await page.locator('.part.statusbar').boundingBox();
      const saved = await shootArea(page, path.join(SHOTS, 'screenshot-runs.png'), [tree, { ...statusBar, width: tree.x + tree.width }], 0);
      return `${PROVIDERS.map(p => `${DISPLAY_NAMES[p]}: "${seen[p].label} — ${seen[p].description}"`).join('; ')}; saved ${saved}`;
    });

    await check('clicking the Runwatch status bar item lists the active and recently failed runs', async () => {
      // A shorter window for this picture, so that the pick at the top and the item at the bottom sit close.
      await page.setViewportSize({ width: 1280, height: 520 });
      await page.waitForTimeout(500);
      const item = page.locator('.part.statusbar .statusbar-item[id^="runwatch." i]').first();
      await item.click();
      const widget = page.locator('.quick-input-widget', { hasText: 'Runwatch runs' });
      await widget.waitFor({ state: 'visible', timeout: 10000 });
      const rows = await until(async () => {
        const labels = (await widget.locator('.monaco-list-row .label-name').allInnerTexts()).map(t => t.trim()).filter(Boolean);
        return labels.length ? labels : undefined;
      }, 10000, 'runs in the quick pick');
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      // The pick and the item it came from; the space between them shows the workbench as it is.
      const saved = await shootArea(page, path.join(SHOTS, 'screenshot-statusbar.png'), [widget, item]);
      await page.keyboard.press('Escape');
      await page.setViewportSize({ width: 1280, height: 800 });
      return `${rows.length} runs (${rows.slice(0, 3).join(', ')}, …); saved ${saved}`;
    });

    await check('every provider was reached at its real host, through http.proxy', async () => {
      const defaults = defaultBaseUrls();
      const wanted = PROVIDERS.map(p => new URL(defaults[p]).hostname);
      const missing = wanted.filter(h => !hosts.tunnelled.includes(h));
      if (missing.length) throw new Error(`no CONNECT for ${missing.join(', ')}`);
      return `${hosts.tunnelled.length} tunnels to ${[...new Set(hosts.tunnelled)].join(', ')}`;
    });

    console.log(`  visible tree:\n${describeRows(await treeRows(page)).replace(/^/gm, '    ')}`);
    if (pageErrors.length) console.log(`  page errors (not failures): ${pageErrors.slice(0, 3).join(' | ')}`);
  } catch (e) {
    if (page) {
      const file = path.join(WORK, 'failure.png');
      await page.screenshot({ path: file }).catch(() => {});
      console.log(`  failure screenshot: ${path.relative(ROOT, file)}`);
      const rows = await treeRows(page).catch(() => []);
      if (rows.length) console.log(`  visible tree:\n${describeRows(rows).replace(/^/gm, '    ')}`);
    }
    if (!results.some(r => !r.ok)) {
      results.push({ name: 'setup', ok: false });
      console.log(`  ✘ setup: ${e.message}`);
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (!process.env.RUNWATCH_UI_KEEP) fs.rmSync(path.join(WORK, 'chromium'), { recursive: true, force: true });
  }
  const passed = results.filter(r => r.ok).length;
  const failed = results.length - passed;
  console.log(`UI smoke test finished in ${elapsed()}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(code => process.exit(code), e => {
  console.error('UI SMOKE FAILED:', e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
