// Security in the real VS Code (issue 7, point 7). Keys and tokens: five distinctive keys (one per provider,
// none of a shape Runwatch's key patterns would scrub anyway, so only the registry of stored secrets can
// keep them out), Automindz's three third-party keys and a Talonic share token go through the flows and error
// paths a user reaches (set key, lists, starts, failures and errors that echo a key, a 401, a 502 HTML page,
// a request id holding a key, a data product, Show Error / Show Result, a reload), then every surface a
// secret could end up on is read back and searched. Workspace attack: a repository's .vscode/settings.json
// that sets every runwatch.* setting to an attacker's URL or an extreme value redirects nothing and stops nothing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Run } from '../../src/core/run';
import type { AdlyseSim } from '../simulator/adlyse';
import type { AutomindzSim } from '../simulator/automindz';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import type { GloriaMundoSim } from '../simulator/gloriaMundo';
import { TALONIC_RAILS, type TalonicSim } from '../simulator/talonic';
import type { RunwatchNode } from '../../src/vscode/tree/node';
import {
  DISPLAY_NAMES,
  extension,
  findNode,
  formatTree,
  PROVIDER_IDS,
  pollRun,
  resetRunwatch,
  runCommand,
  runwatchApi,
  runwatchLogText,
  setKey,
  SIM_KEYS,
  startSimulator,
  statusBarText,
  treeSnapshot,
  waitFor,
  waitForRun,
  withScriptedUi,
  type ProviderId,
  type RunwatchApi,
  type SimulatorHandle,
  type UiRecord,
} from './helpers';
import { notificationsSince, pollsOf, userSettingsJsonText } from './engineHelpers';

const MINUTE = 60_000;

/** One key per provider, unlike any documented key shape: only the registry of stored secrets can redact them. */
const KEYS: Record<ProviderId, string> = {
  boringMarketing: 'RWLEAK-bm-Q7v2Lk9Xp4Zt8Nw3Hc6J',
  gloriaMundo: 'RWLEAK-gm-M5c8Hd2Jq6Ry1Bs9Fv4K',
  automindz: 'RWLEAK-amz-T3f6Wg9Kc2Vx5Pn8Dq1L',
  talonic: 'RWLEAK-tlnc-E4j7Ua1Ym8Dq3Lh6Gs9M',
  adlyse: 'RWLEAK-adl-G9b2Ns5Fw8Kt1Zr4Wx7N',
};
/** The user's own third-party keys for Automindz (the OpenRouter one in OpenRouter's real shape). */
const THIRD_PARTY = {
  ai_ark_api_key: 'aiark-RWLEAK-4e8c2a6f0b3d7e1a9c5b',
  exa_api_key: 'exa-RWLEAK-9b5d1f3a7c2e6b0d8a4f',
  openrouter_api_key: 'sk-or-v1-RWLEAK2f7a4c9e1b6d3a8c5e0f7b2d',
};
/** Answers for Automindz's nine optional fields after its secrets (see automindz.test.ts). */
const AMZ_OPTIONAL_ANSWERS = ['25', '', '', '', '', '', '', '', ''];

/** Text for a failure message, with every secret of this test replaced by its name. */
function masked(value: unknown, extra: Record<string, string> = {}): string {
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  const named: Array<[string, string]> = [...Object.entries(KEYS), ...Object.entries(THIRD_PARTY), ...Object.entries(extra)];
  for (const [name, secret] of named) text = text.split(secret).join(`<${name}>`);
  return text;
}

/** A run's key as Runwatch tracks it. */
const keyOf = (run: Pick<Run, 'provider' | 'id'>) => `${run.provider}:${run.id}`;

/** Where a secret could end up, as plain strings. */
interface Surface {
  name: string;
  strings: string[];
  /** The secrets expected here (the share token in its own data product document): counted as a control. */
  expects?: string[];
}

/** A quick pick answer that also records what the pick offered (labels, descriptions, details). */
function picking(seen: string[], label: string) {
  return (items: readonly vscode.QuickPickItem[]) => {
    for (const i of items) seen.push(i.label, i.description ?? '', i.detail ?? '');
    const strip = (text: string) => text.replace(/\$\([^)]*\)\s*/g, '').trim();
    return items.find(i => i.label === label || strip(i.label) === label);
  };
}

/** Every string a row shows: label, description, tooltip (resolved as on hover), id, contextValue, its command. */
async function treeStrings(api: RunwatchApi): Promise<{ strings: string[]; rows: number }> {
  const strings: string[] = [];
  let rows = 0;
  const walk = async (node: RunwatchNode | undefined, depth: number): Promise<void> => {
    for (const child of (await api.tree.getChildren(node as RunwatchNode)) ?? []) {
      rows++;
      const item = api.tree.getTreeItem(child);
      const resolved = await api.tree.resolveTreeItem(item, child);
      const label = typeof resolved.label === 'string' ? resolved.label : (resolved.label?.label ?? '');
      const tooltip = resolved.tooltip instanceof vscode.MarkdownString ? resolved.tooltip.value : (resolved.tooltip ?? '');
      strings.push(label, String(resolved.description ?? ''), tooltip, resolved.id ?? '', resolved.contextValue ?? '');
      if (resolved.command) strings.push(resolved.command.title, ...(resolved.command.arguments ?? []).flatMap(a => argumentStrings(a)));
      if (resolved.collapsibleState !== vscode.TreeItemCollapsibleState.None && depth < 6) await walk(child, depth + 1);
    }
  };
  await walk(undefined, 1);
  return { strings: strings.filter(Boolean), rows };
}

/** The strings inside a command argument (a key, a URL, a node's fields), without following cycles. */
function argumentStrings(value: unknown, seen = new WeakSet<object>(), depth = 0): string[] {
  if (typeof value === 'string') return [value];
  if (!value || typeof value !== 'object' || seen.has(value) || depth > 4) return [];
  seen.add(value);
  return Object.values(value).flatMap(v => argumentStrings(v, seen, depth + 1));
}

/** Every file under a folder, as text. */
function filesUnder(dir: string): Array<{ file: string; text: string }> {
  if (!fs.existsSync(dir)) return [];
  const found: Array<{ file: string; text: string }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(full));
    else if (entry.isFile()) found.push({ file: full, text: fs.readFileSync(full, 'utf8') });
  }
  return found;
}

/** The contributed runwatch.* settings, with their manifest schema. */
function contributedSettings(): Array<[string, { type?: string | string[]; enum?: unknown[]; default?: unknown }]> {
  const configuration = extension().packageJSON.contributes.configuration as { properties: Record<string, never> } | Array<{ properties: Record<string, never> }>;
  const all = Array.isArray(configuration) ? Object.assign({}, ...configuration.map(c => c.properties)) : configuration.properties;
  return Object.entries(all as Record<string, { type?: string | string[]; enum?: unknown[]; default?: unknown }>);
}

describe('Security in VS Code', function () {
  this.timeout(300_000);
  let handle: SimulatorHandle;
  let bm: BoringMarketingSim;
  let gm: GloriaMundoSim;
  let amz: AutomindzSim;
  let talonic: TalonicSim;
  let adlyse: AdlyseSim;

  before(async () => {
    await resetRunwatch();
    // Simulated time stands still unless a test moves it.
    handle = await startSimulator({ timeScale: 0 });
    bm = handle.sim.provider<BoringMarketingSim>('boringMarketing');
    gm = handle.sim.provider<GloriaMundoSim>('gloriaMundo');
    amz = handle.sim.provider<AutomindzSim>('automindz');
    talonic = handle.sim.provider<TalonicSim>('talonic');
    adlyse = handle.sim.provider<AdlyseSim>('adlyse');
    // The simulator also accepts the distinctive keys (and still the usual ones).
    bm.addKey(KEYS.boringMarketing);
    gm.keys.add(KEYS.gloriaMundo);
    amz.keys.add(KEYS.automindz);
    talonic.addKey(KEYS.talonic, ['extract', 'read', 'write']);
    adlyse.addKey(KEYS.adlyse);
  });

  beforeEach(async () => {
    await resetRunwatch();
    handle.sim.reset();
  });

  afterEach(async () => {
    await resetRunwatch();
  });

  after(async () => {
    bm.revokeKey(KEYS.boringMarketing);
    gm.keys.delete(KEYS.gloriaMundo);
    amz.keys.delete(KEYS.automindz);
    talonic.keys.delete(KEYS.talonic);
    adlyse.revokeKey(KEYS.adlyse);
    await handle?.dispose();
  });

  it('keys and tokens: through every flow and error path, then 0 hits in the log, messages, tree, tooltips, status bar, documents, settings, globalState, shared state and request URLs', async () => {
    const { sim } = handle;
    let api = await runwatchApi();
    /** Everything shown in messages, input boxes and quick picks during the test. */
    const shownText: string[] = [];
    const keep = (ui: UiRecord) => {
      for (const m of ui.messages) shownText.push(m.message, ...m.items);
      for (const p of ui.inputPrompts) shownText.push(p.title ?? '', p.prompt ?? '', p.placeHolder ?? '', p.value ?? '', p.validation?.message ?? '');
      shownText.push(...ui.quickPickTitles);
    };
    const pick = (label: string) => picking(shownText, label);

    // ---- What the providers hold: every failure message echoes the caller's key. ----
    const acme = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    const globex = bm.addBrand({ domain: 'globex.com', name: 'Globex' });
    const listed = bm.addRun(globex.id, { kind: 'synthesize', status: 'running', durationMs: 60 * MINUTE });
    bm.scriptNextRun(acme.id, { queuedMs: 1_000, failAt: { stage: 'brand_enrichment', error: `Brand enrichment refused X-API-Key ${KEYS.boringMarketing}`, afterMs: 1_000 } });
    gm.addWorkflow('wf_digest', {
      name: 'Daily digest',
      steps: ['Fetch emails', 'Summarize', 'Send email'],
      durations: 10_000,
      queuedMs: 1_000,
      failAtStep: { step: 1, error: `Slack rejected the token sent with Authorization: Bearer ${KEYS.gloriaMundo}` },
    });
    talonic.addSpec({ name: 'Invoices', description: 'Supplier invoices', rail: TALONIC_RAILS.standard() });
    talonic.options.plan = { staggerMs: 1_000, jitter: false, failures: [{ index: 1, phase: 'extraction', message: `OCR backend refused credentials ${KEYS.talonic}` }] };
    adlyse.addWorkflow({
      name: 'Lead enrichment',
      description: 'Find the company behind a work email.',
      input_schema: { type: 'object', properties: { email: { type: 'string', title: 'Email' } }, required: ['email'] },
      durationMs: 8_000,
      output: () => ({ company: 'Acme Corp' }),
      failureFor: () => `Enrichment API said: invalid key ${KEYS.adlyse}`,
    });

    // ---- Set API Key, five times; each key is checked against the simulator. ----
    for (const id of PROVIDER_IDS) {
      const ui = await setKey(id, KEYS[id]);
      keep(ui);
      assert.ok(ui.messages.some(m => m.message === `${DISPLAY_NAMES[id]} key works.`), `the ${id} key does not work: ${masked(ui.messages)}`);
    }

    // ---- Lists: brands and their runs, workflows, Specs. GloriaMundo's workflow is added by id. ----
    await waitFor(() => api.service.store.get(`boringMarketing:${listed.id}`), 10_000, 'the listed Globex run to be tracked');
    keep(await runCommand('Add Brand or Workflow…', { inputs: ['wf_digest', 'Daily digest'] }, 'gloriaMundo').then(r => r.ui));
    const listedTree = await treeSnapshot({ depth: 3 });
    for (const row of [['Boring Marketing', 'Globex'], ['GloriaMundo', 'Daily digest'], ['Automindz', 'Find leavers'], ['Talonic', 'Invoices'], ['Adlyse', 'Lead enrichment']]) {
      assert.ok(findNode(listedTree, ...row), `no ${row.join(' → ')} row:\n${formatTree(listedTree)}`);
    }

    // ---- Starts, and start errors that echo the key. ----
    const start = async (provider: ProviderId, picks: string[], inputs: string[], messageChoice?: (m: { items: string[] }) => string | undefined, expectRun = true) => {
      const { result, ui } = await runCommand<Run>('Start Run', { quickPicks: picks.map(pick), inputs, messageChoice }, provider);
      keep(ui);
      assert.ok(result || !expectRun, `${provider}: Start Run returned no run; picks ${masked(ui.quickPickTitles)}, boxes ${masked(ui.inputPrompts.map(p => p.title))}, said ${masked(ui.messages.map(m => m.message))}`);
      return { run: result, ui };
    };
    const bmRun = (await start('boringMarketing', ['Acme', 'Analyze (full pipeline)', 'Start'], [])).run;
    assert.ok(bmRun, 'Boring Marketing started no run');

    sim.addFault({ provider: 'gloriaMundo', method: 'POST', status: 422, body: { error: 'validation_error', message: `Input refused for key ${KEYS.gloriaMundo}` } });
    const refused = await start('gloriaMundo', ['Daily digest', 'Start'], ['{"topic": "weekly"}'], undefined, false);
    assert.equal(refused.run, undefined, 'a start answered 422 returned a run');
    assert.ok(refused.ui.messages.some(m => m.severity === 'error' && /Input refused for key/.test(m.message)), `the 422 was not shown: ${masked(refused.ui.messages.map(m => m.message))}`);
    const gmRun = (await start('gloriaMundo', ['Daily digest', 'Start'], ['{"topic": "weekly"}'])).run;
    assert.ok(gmRun, 'GloriaMundo started no run');

    const tlRun = (await start('talonic', ['Set optional fields…', 'Start'], ['doc_a, doc_b, doc_c', 'Leak check'])).run;
    assert.ok(tlRun, 'Talonic started no run');

    adlyse.addToolFault({ tool: 'run_workflow', error_type: 'auth_error', message: `Invalid or inactive API key ${KEYS.adlyse}` });
    const rejected = await start('adlyse', ['Start'], ['bob@acme.io', KEYS.adlyse], m => (m.items.includes('Set API Key') ? 'Set API Key' : undefined), false);
    assert.equal(rejected.run, undefined);
    assert.ok(rejected.ui.messages.some(m => /Adlyse rejected the API key/.test(m.message)), `no auth_error message: ${masked(rejected.ui.messages.map(m => m.message))}`);
    assert.ok(rejected.ui.messages.some(m => m.message === 'Adlyse key works.'), 'the key was not entered again through "Set API Key"');
    const adRun = (await start('adlyse', ['Start'], ['bob@acme.io'])).run;
    assert.ok(adRun, 'Adlyse started no run');

    // ---- The runs end; their failure messages echo the keys. ----
    sim.clock.advance(10 * MINUTE);
    await waitForRun(keyOf(bmRun), t => t.run.status === 'failed', 'the Boring Marketing run to fail');
    await waitForRun(keyOf(gmRun), t => t.run.status === 'failed', 'the GloriaMundo run to fail');
    await waitForRun(keyOf(tlRun), t => t.run.status === 'succeeded', 'the Talonic pipeline to finish');
    await waitForRun(keyOf(adRun), t => t.run.status === 'failed', 'the Adlyse run to fail');

    // ---- Error paths on a running run's polls: a 502 HTML page, a 500 echoing the key, a 401 echoing it. ----
    const listedKey = `boringMarketing:${listed.id}`;
    const pollFails = async (fault: Parameters<typeof sim.addFault>[0], what: string) => {
      const before = api.service.store.get(listedKey)?.failures ?? 0;
      sim.addFault({ provider: 'boringMarketing', path: `/runs/${listed.id}$`, ...fault });
      await waitFor(async () => {
        await pollRun(listedKey);
        return (api.service.store.get(listedKey)?.failures ?? 0) > before || api.service.health('boringMarketing').state === 'authFailed';
      }, 10_000, what, 150);
    };
    await pollFails({ status: 502, html: true }, 'the 502 HTML page to count as a failed poll');
    assert.match(api.service.store.get(listedKey)?.lastError ?? '', /HTML/, 'the 502 page is not described as HTML');
    await pollFails({ status: 500, body: { detail: `Database error while checking api_key=${KEYS.boringMarketing}` } }, 'the 500 to count as a failed poll');
    await withScriptedUi({}, async ui => {
      await pollFails({ status: 401, body: { detail: `Invalid API key ${KEYS.boringMarketing}` } }, 'the 401');
      await waitFor(() => api.service.health('boringMarketing').state === 'authFailed', 5_000, 'Boring Marketing to be marked as rejecting the key');
      await waitFor(() => ui.messages.some(m => /rejected the API key/.test(m.message)), 5_000, 'the warning about the key');
      keep(ui);
    });
    keep(await setKey('boringMarketing', KEYS.boringMarketing));
    await waitFor(() => api.service.health('boringMarketing').state === 'ok', 10_000, 'Boring Marketing to accept the key again');

    // ---- Talonic: a data product; the first attempt fails with the key in the message and the request id. ----
    sim.addFault({
      provider: 'talonic',
      method: 'POST',
      path: 'data-product$',
      status: 500,
      body: { statusCode: 500, code: 'INTERNAL_ERROR', error: 'Internal Server Error', message: `Storage refused credentials ${KEYS.talonic}`, retryable: false, request_id: `req_${KEYS.talonic}` },
    });
    const failedProduct = await runCommand<{ hasShareToken: boolean }>('Create Data Product', { inputs: ['Leak check AP'] }, keyOf(tlRun));
    keep(failedProduct.ui);
    assert.ok(!failedProduct.result?.hasShareToken, 'the failed data product returned a token');
    assert.ok(failedProduct.ui.messages.some(m => /Storage refused credentials/.test(m.message)), `the failed data product said nothing: ${masked(failedProduct.ui.messages.map(m => m.message))}`);
    const product = await runCommand<{ hasShareToken: boolean }>('Create Data Product', { inputs: ['Leak check AP'] }, keyOf(tlRun));
    keep(product.ui);
    assert.equal(product.result?.hasShareToken, true, `no data product: ${masked(product.ui.messages.map(m => m.message))}`);
    const shareToken = talonic.pipelines.find(p => p.id === tlRun.id)?.dataProduct?.token;
    assert.ok(shareToken, 'Talonic made no share token');

    // ---- Show Error and Show Result. ----
    for (const run of [bmRun, gmRun, tlRun, adRun]) keep((await runCommand('Show Error', {}, keyOf(run))).ui);
    keep((await runCommand('Show Result', {}, keyOf(tlRun))).ui);

    // ---- Automindz with the third-party keys; its failure, seen after a reload, echoes them. ----
    amz.scriptNextRun({ queuedMs: 300, durationMs: 1_300, fail: { message: `OpenRouter refused ${THIRD_PARTY.openrouter_api_key} (caller ${KEYS.automindz})`, step_id: 'fetch_contacts' } });
    const amzStart = await start('automindz', ['Set optional fields…', 'Start'], ['Acme', 'software development', ...Object.values(THIRD_PARTY), ...AMZ_OPTIONAL_ANSWERS]);
    const amzRun = amzStart.run;
    assert.ok(amzRun, `Automindz started no run: ${masked(amzStart.ui.messages.map(m => m.message))}`);
    assert.equal(amzStart.ui.inputPrompts.filter(p => p.password).length, 3, 'the three third-party keys were not asked in password boxes');

    // A reload, as after a restart: the third-party keys were registered in the last session only.
    let globalState: vscode.Memento | undefined;
    // The documents and notifications lists belong to one composition: keep the ones from before the reload.
    const openedBeforeReload = [...api.documents.opened];
    api.notifier.flush();
    const notifiedBeforeReload = [...api.notifier.shown];
    await api.reloadForTests({ whileClosed: state => (globalState = state) });
    api = await runwatchApi();
    sim.clock.advance(MINUTE);
    const amzFailed = await waitForRun(keyOf(amzRun), t => t.run.status === 'failed', 'the Automindz run to fail after the reload');
    assert.match(amzFailed.run.error?.message ?? '', /^OpenRouter refused /, 'the failure is not the one that echoes the keys');
    keep((await runCommand('Show Error', {}, keyOf(amzRun))).ui);
    await api.service.store.flush();

    // The echoes did reach Runwatch: what it kept of each failure has the key blanked out, not dropped.
    for (const run of [bmRun, gmRun, adRun, amzRun]) {
      const kept = api.service.store.get(keyOf(run))?.run.error?.message ?? '';
      assert.match(kept, /\*\*\*/, `the ${run.provider} failure does not show a redacted echo: ${masked(kept)}`);
    }

    // ---- The scan. ----
    const surfaces: Surface[] = [];
    const log = await waitFor(async () => {
      const text = await runwatchLogText();
      return text.includes(amzRun.id) ? text : undefined;
    }, 10_000, 'the log to mention the Automindz run');
    surfaces.push({ name: 'Runwatch output channel', strings: log.split('\n').filter(Boolean) });

    api.notifier.flush();
    surfaces.push({ name: 'messages, input boxes, quick picks', strings: shownText.filter(Boolean) });
    const notified = [...notifiedBeforeReload, ...api.notifier.shown];
    surfaces.push({ name: `notifications (${notified.length})`, strings: notified.flatMap(n => [n.message, ...n.actions]) });

    const tree = await treeStrings(api);
    surfaces.push({ name: `tree rows (${tree.rows}) with resolved tooltips`, strings: tree.strings });
    api.statusBar.update();
    surfaces.push({ name: 'status bar', strings: [api.statusBar.text, api.statusBar.tooltip].filter(Boolean) });

    const opened = [...openedBeforeReload, ...api.documents.opened];
    const productUris = new Set(opened.filter(d => d.kind === 'dataProduct').map(d => d.uri));
    assert.equal(productUris.size, 1, 'no data product document was opened');
    const openDocuments = vscode.workspace.textDocuments;
    surfaces.push({ name: `open text documents (${openDocuments.length})`, strings: openDocuments.filter(d => !productUris.has(d.uri.toString())).map(d => d.getText()) });
    surfaces.push({
      name: 'the data product document',
      strings: [...openDocuments.filter(d => productUris.has(d.uri.toString())).map(d => d.getText()), ...opened.filter(d => d.kind === 'dataProduct').map(d => d.content)],
      expects: [shareToken],
    });
    surfaces.push({ name: `documents Runwatch opened (${opened.length}, as rendered)`, strings: opened.filter(d => d.kind !== 'dataProduct').map(d => d.content) });

    const settingNames = contributedSettings().map(([name]) => name);
    surfaces.push({
      name: `settings (${settingNames.length} runwatch.* inspected, settings.json)`,
      strings: [
        ...settingNames.map(name => JSON.stringify(vscode.workspace.getConfiguration().inspect(name))),
        JSON.stringify(vscode.workspace.getConfiguration('runwatch')),
        await userSettingsJsonText(),
      ],
    });

    assert.ok(globalState, 'the reload did not hand over globalState');
    const stateKeys = globalState.keys();
    surfaces.push({ name: `globalState (${stateKeys.length} keys)`, strings: stateKeys.map(k => `${k}=${JSON.stringify(globalState!.get(k))}`) });
    assert.ok(JSON.stringify(globalState.get('runwatch.trackedRuns.v1') ?? '').includes(amzRun.id), 'globalState holds no tracked runs: the scan would read nothing');

    const shared = filesUnder(api.sharedDir);
    assert.ok(shared.some(f => path.basename(f.file) === 'runwatch-state.json'), `no shared state file in ${api.sharedDir}: ${shared.map(f => f.file).join(', ')}`);
    surfaces.push({ name: `shared state folder (${shared.map(f => path.basename(f.file)).join(', ')})`, strings: shared.map(f => f.text) });

    surfaces.push({ name: 'request URLs the simulator received', strings: [...sim.receivedUrls] });
    assert.ok(sim.receivedUrls.some(u => u.includes('?')), 'no URL with a query was received: queries would go unscanned');

    // Each secret, whole and by its distinctive tail (a key cut in two must not show its second half).
    const secrets: Array<{ name: string; value: string }> = [
      ...PROVIDER_IDS.map(id => ({ name: `${id} key`, value: KEYS[id] })),
      ...Object.entries(THIRD_PARTY).map(([name, value]) => ({ name: `Automindz ${name}`, value })),
      { name: 'Talonic share token', value: shareToken },
    ];
    const needles = secrets.flatMap(s => [
      { name: s.name, value: s.value, whole: true },
      { name: `${s.name} (tail)`, value: s.value.slice(-16), whole: false },
    ]);

    const report: string[] = [];
    const leaks: string[] = [];
    let totalHits = 0;
    for (const surface of surfaces) {
      let hits = 0;
      let expected = 0;
      for (const needle of needles) {
        const isExpected = surface.expects?.some(e => e.endsWith(needle.value));
        // Markdown (tooltips, documents) escapes a key's '-' and '_': search the text as read.
        for (const text of surface.strings.map(t => t.replace(/\\(.)/g, '$1'))) {
          let at = text.indexOf(needle.value);
          while (at >= 0) {
            if (isExpected) expected++;
            else {
              hits++;
              const around = text.slice(Math.max(0, at - 80), at + needle.value.length + 80);
              const context = masked(around, { 'Talonic share token': shareToken }).split(needle.value).join(`<${needle.name}>`);
              leaks.push(`${surface.name}: ${needle.name} in "…${context}…"`);
            }
            at = text.indexOf(needle.value, at + 1);
          }
        }
      }
      totalHits += hits;
      const chars = surface.strings.reduce((n, s) => n + s.length, 0);
      report.push(`  ${surface.name}: ${surface.strings.length} strings, ${chars} chars, ${hits} hits${surface.expects ? `, ${expected} expected (the share token shown where it belongs)` : ''}`);
      assert.ok(surface.strings.length > 0 && chars > 0, `${surface.name}: nothing was read, the scan of it proves nothing`);
      if (surface.expects) assert.ok(expected > 0, `${surface.name}: the share token is not there, so this scan could not find a secret`);
    }
    console.log(`Secret scan: ${secrets.length} secrets (${needles.length} needles), ${totalHits} hits\n${report.join('\n')}`);
    assert.deepEqual(leaks, [], `secrets leaked:\n${leaks.join('\n')}`);
  });

  describe('a workspace that sets every runwatch.* setting', () => {
    const ATTACKER = 'https://attacker.invalid';
    let settingsFile: vscode.Uri | undefined;
    let createdFolder = false;

    /** An attacker's value for each setting: its URL, or a value that would stop or silence Runwatch. */
    function attackValue(name: string, schema: { type?: string | string[]; enum?: unknown[] }, index: number): unknown {
      const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
      if (/baseUrl$/.test(name)) return `${ATTACKER}/${name}?key=steal`;
      if (schema.enum) return schema.enum.includes('pause') ? 'pause' : 'x'.repeat(20_000);
      if (type === 'boolean') return index % 2 === 0 ? false : 'false';
      if (/minIntervalSeconds|unfocusedFactor/.test(name)) return 1e12;
      if (type === 'number' || type === 'integer') return [0, -1, 1e12, 'x'.repeat(20_000), { huge: true }][index % 5];
      if (type === 'string') return `${ATTACKER}/${'x'.repeat(20_000)}`;
      if (type === 'array') return [ATTACKER];
      return { url: ATTACKER };
    }

    afterEach(async () => {
      if (!settingsFile) return;
      await vscode.workspace.fs.delete(createdFolder ? vscode.Uri.joinPath(settingsFile, '..') : settingsFile, { recursive: true, useTrash: false });
      await waitFor(() => vscode.workspace.getConfiguration('editor').inspect('tabSize')?.workspaceValue === undefined, 10_000, 'the workspace settings to be gone');
      settingsFile = undefined;
    });

    it('redirects no request and stops nothing: keys checked and the run polled at the simulator, finished, shown and told', async () => {
      const { sim } = handle;
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the test window has no workspace folder to put a .vscode/settings.json in');

      // Every contributed runwatch.* setting, plus one setting VS Code does take from a workspace: it shows the file was read.
      const attack: Record<string, unknown> = { 'editor.tabSize': 7 };
      contributedSettings().forEach(([name, schema], i) => (attack[name] = attackValue(name, schema, i)));
      assert.ok(Object.keys(attack).filter(k => /^runwatch\.providers\.\w+\.baseUrl$/.test(k)).length === 5, 'the manifest lost a base URL setting');
      const vscodeFolder = vscode.Uri.joinPath(folder.uri, '.vscode');
      createdFolder = !fs.existsSync(vscodeFolder.fsPath);
      settingsFile = vscode.Uri.joinPath(vscodeFolder, 'settings.json');
      assert.ok(!fs.existsSync(settingsFile.fsPath), 'the test workspace already has a settings.json');
      await vscode.workspace.fs.writeFile(settingsFile, Buffer.from(JSON.stringify(attack, null, 2)));
      await waitFor(() => vscode.workspace.getConfiguration('editor').inspect('tabSize')?.workspaceValue === 7, 15_000, 'VS Code to read the workspace settings.json');

      // What any code reading a runwatch.* setting gets is the user's value or the default, never the workspace's.
      for (const [name, schema] of contributedSettings()) {
        const inspected = vscode.workspace.getConfiguration().inspect(name);
        const effective = vscode.workspace.getConfiguration().get(name);
        assert.deepEqual(effective, inspected?.globalValue ?? schema.default, `the workspace's ${name} took effect (${JSON.stringify(effective)?.slice(0, 80)})`);
      }

      // Keys set now are checked at the simulator, for every provider.
      const since = Date.now();
      const acme = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      const run = bm.addRun(acme.id, { kind: 'synthesize', status: 'running', durationMs: 10 * MINUTE });
      for (const id of PROVIDER_IDS) {
        const before = sim.requestsFor(id).length;
        const ui = await setKey(id, SIM_KEYS[id]);
        assert.ok(ui.messages.some(m => m.message === `${DISPLAY_NAMES[id]} key works.`), `the ${id} key check did not reach the simulator: ${JSON.stringify(ui.messages.map(m => m.message))}`);
        assert.ok(sim.requestsFor(id).length > before, `no ${id} request reached the simulator`);
      }

      // The running run is polled by Runwatch itself (5 s cadence for a single-stage run), and shown.
      const api = await runwatchApi();
      const key = `boringMarketing:${run.id}`;
      await waitFor(() => api.service.store.get(key), 10_000, 'the Acme run to be listed');
      await waitFor(async () => (await statusBarText()).startsWith('$(sync~spin) Acme'), 10_000, 'the status bar to show the running run');
      const polled = pollsOf(sim, 'boringMarketing', run.id).length;
      await waitFor(() => pollsOf(sim, 'boringMarketing', run.id).filter(p => p.status === 200).length >= polled + 2, 30_000, 'two more polls of the run, unasked');

      // It finishes, and Runwatch sees it by its own polling and tells the user (onSuccess = false is the workspace's).
      sim.clock.advance(11 * MINUTE);
      await waitFor(() => api.service.store.get(key)?.run.status === 'succeeded', 30_000, 'Runwatch to see the run succeed by its own polling');
      api.notifier.flush();
      const told = (await notificationsSince(since)).filter(n => n.severity === 'info' && /Acme/.test(n.message));
      assert.ok(told.length > 0, `the success was not told: ${JSON.stringify((await notificationsSince(since)).map(n => n.message))}`);

      // Nothing names the attacker's host: not the log, not a row.
      const log = await runwatchLogText();
      assert.ok(!log.includes('attacker.invalid'), 'the log mentions the attacker\u2019s host');
      const tree = await treeStrings(api);
      assert.ok(!tree.strings.some(s => s.includes('attacker.invalid')), 'a row mentions the attacker\u2019s host');
      const providerRow = findNode(await treeSnapshot({ depth: 1 }), 'Boring Marketing');
      assert.equal(providerRow?.description, new URL(sim.baseUrl('boringMarketing')).host, 'the provider row does not name the simulator');
      assert.ok(sim.receivedUrls.length > 0 && sim.receivedUrls.every(u => !u.includes('attacker')), 'a request URL carries the attacker\u2019s value');
    });
  });
});
