// Automindz in the real VS Code, as a user drives it: a key through "Set API Key", the one documented
// pipeline ("Find leavers") as the fixed account, Start Run asking its fields and the three third-party keys
// (once, in password boxes; kept in SecretStorage, never in settings, Run.input or the log), QUEUED →
// RUNNING → COMPLETED in the tree and the status bar, the result's summary and "Open … CSV" links, Show
// Result, a FAILED run's message and step in Show Error, and Cancel explained (the API has none).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shortRunId } from '../../src/core/labels';
import type { Run } from '../../src/core/run';
import type { AutomindzSim } from '../simulator/automindz';
import type { SimRequest } from '../simulator/server';
import {
  clearKey,
  extension,
  findNode,
  formatTree,
  lastDocument,
  resetRunwatch,
  rowActions,
  runCommand,
  runRow,
  runwatchApi,
  runwatchLogText,
  setKey,
  startSimulator,
  statusBarText,
  treeSnapshot,
  waitFor,
  waitForRun,
  type SimulatorHandle,
  type UiRecord,
} from './helpers';

/** The user's own third-party keys (fake): they must reach Automindz and nothing else. */
const THIRD_PARTY = {
  ai_ark_api_key: 'aiark_sk_3f9a7c1e5b2d8f4a6c0e',
  exa_api_key: 'exa_sk_8d2b6f0a4c7e1d9b3f5a',
  openrouter_api_key: 'sk-or-v1-5c1e9a3f7b2d6e0c4a8f',
};
const SECRET_VALUES = Object.values(THIRD_PARTY);
const SECRET_BOX_TITLES = ['Find leavers: AI Ark API key', 'Find leavers: Exa API key', 'Find leavers: OpenRouter API key'];
/** Answers for the nine optional fields after the secrets: limit, job titles, geography, DM titles, excluded DM titles, size ranges, tenure min/max, criteria. */
const OPTIONAL_ANSWERS = ['25', 'Head of Sales, VP Sales', 'United Kingdom, Ireland', '', '', '[{"start": 11, "end": 50}]', '', '', ''];

describe('Automindz in VS Code', () => {
  let handle: SimulatorHandle;
  let amz: AutomindzSim;
  /** Bodies of every start request the simulator received, newest last. */
  let startBodies: Record<string, unknown>[];

  before(async () => {
    await resetRunwatch();
    handle = await startSimulator({ timeScale: 0 });
    amz = handle.sim.provider<AutomindzSim>('automindz');
    const original = amz.handle.bind(amz);
    amz.handle = (req: SimRequest) => {
      if (req.method === 'POST' && /hiring-signals\/leavers$/.test(req.path)) startBodies.push(req.body as Record<string, unknown>);
      return original(req);
    };
  });

  after(async () => {
    await resetRunwatch();
    await handle?.dispose();
  });

  beforeEach(async () => {
    await resetRunwatch();
    handle.sim.reset();
    startBodies = [];
  });

  afterEach(async () => {
    await resetRunwatch();
  });

  /**
   * Start Run from the palette on "Find leavers": organisation, industries, the three third-party keys when
   * Runwatch asks for them, then "Set optional fields…" and the optional fields.
   */
  async function startLeavers(org: string, expectSecrets: boolean): Promise<{ run: Run; key: string; ui: UiRecord }> {
    const inputs = [org, 'software development, it services and it consulting', ...(expectSecrets ? SECRET_VALUES : []), ...OPTIONAL_ANSWERS];
    const { result, ui } = await runCommand<Run>('Start Run', { quickPicks: ['Set optional fields…', 'Start'], inputs });
    assert.ok(result, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    const secretBoxes = ui.inputPrompts.filter(p => p.password);
    if (expectSecrets) assert.deepEqual(secretBoxes.map(p => p.title), SECRET_BOX_TITLES, 'the three third-party keys were not asked in password boxes');
    else assert.deepEqual(secretBoxes, [], 'the third-party keys were asked again');
    return { run: result, key: `automindz:${result.id}`, ui };
  }

  it('lists its one pipeline, "Find leavers", with nothing to add', async () => {
    await setKey('automindz');
    const tree = await treeSnapshot({ depth: 2 });
    const provider = findNode(tree, 'Automindz');
    assert.deepEqual(provider?.children?.map(c => c.label), ['Find leavers'], `Automindz shows:\n${formatTree(tree)}`);
    assert.equal(provider.children[0].contextValue, 'account', 'the fixed pipeline can be removed');
    assert.doesNotMatch(provider.contextValue ?? '', /\.addAccount\b/);
  });

  it('Start Run asks the third-party keys once, in password boxes, and keeps them out of settings, Run.input and the log', async () => {
    await setKey('automindz');
    const first = await startLeavers('Acme', true);
    assert.deepEqual(
      first.ui.inputPrompts.filter(p => !p.password).slice(0, 2).map(p => p.title),
      ['Find leavers: Organisation name', 'Find leavers: Industries'],
    );
    assert.deepEqual(
      first.ui.quickPickTitles,
      ['Start Find leavers on Automindz?', 'Start Find leavers on Automindz?'],
      'a single pipeline should not need a pick, only the last step (before and after the optional fields)',
    );

    // What Automindz received: the fields as typed, converted, and the keys.
    assert.equal(startBodies.length, 1);
    assert.deepEqual(startBodies[0], {
      org_name: 'Acme',
      industries: ['software development', 'it services and it consulting'],
      limit: 25,
      job_titles: ['Head of Sales', 'VP Sales'],
      geography: ['United Kingdom', 'Ireland'],
      employee_size_ranges: [{ start: 11, end: 50 }],
      ...THIRD_PARTY,
    });

    // The size ranges box takes the documented JSON list, and refuses anything else.
    const ranges = first.ui.inputPrompts.find(p => p.title === 'Find leavers: Employee size ranges (optional)');
    assert.ok(ranges?.validate, 'no size ranges box');
    assert.equal(await ranges.validate('[{"start": 11, "end": 50}]'), undefined, 'the size ranges box refuses the documented list');
    assert.equal((await ranges.validate('{"start": 11, "end": 50}'))?.severity, 'error', 'the size ranges box takes an object');
    assert.equal((await ranges.validate('[{"start": 11'))?.severity, 'error', 'the size ranges box takes invalid JSON');

    // Asked once: the second run is started with the keys from SecretStorage.
    await startLeavers('Globex', false);
    assert.equal(startBodies.length, 2);
    assert.equal(startBodies[1].org_name, 'Globex');
    for (const [name, value] of Object.entries(THIRD_PARTY)) assert.equal(startBodies[1][name], value, `${name} did not come from SecretStorage`);

    const api = await runwatchApi();
    const tracked = api.service.store.get(first.key);
    assert.ok(tracked, 'the run is not tracked');
    const kept = JSON.stringify(tracked.run);
    for (const value of SECRET_VALUES) assert.ok(!kept.includes(value), 'a third-party key is kept on the run');
    assert.ok(!/api_key/.test(JSON.stringify(tracked.run.input)), `Run.input names a key field: ${JSON.stringify(tracked.run.input)}`);

    const settings = JSON.stringify(vscode.workspace.getConfiguration('runwatch'));
    const contributed = Object.keys(extension().packageJSON.contributes.configuration.properties as Record<string, unknown>);
    const inspected = JSON.stringify(contributed.map(name => vscode.workspace.getConfiguration().inspect(name)));
    for (const value of SECRET_VALUES) {
      assert.ok(!settings.includes(value) && !inspected.includes(value), 'a third-party key is in the settings');
    }
    assert.ok(!contributed.some(name => /ai_ark|exa|openrouter/i.test(name)), 'a setting exists for a third-party key');

    const log = await waitFor(async () => {
      const text = await runwatchLogText();
      return text.includes(first.run.id) ? text : undefined;
    }, 5_000, 'the log to mention the run');
    for (const value of SECRET_VALUES) assert.ok(!log.includes(value), 'a third-party key is in the Runwatch log');
  });

  it('a run goes QUEUED → RUNNING → COMPLETED in the tree and the status bar; summary, CSV links and Show Result', async () => {
    await setKey('automindz');
    const { run, key } = await startLeavers('Acme', true);
    assert.equal(run.status, 'queued');
    let row = await runRow(key);
    assert.equal(row.label, `Run #${shortRunId(run.id)}`, 'the pipeline is named by its row above, not twice');
    assert.equal(row.icon, 'clock');
    assert.ok(findNode(await treeSnapshot({ depth: 3 }), 'Automindz', 'Find leavers', row.label), 'the run is not under the pipeline');

    handle.sim.clock.advance(5_000);
    await waitForRun(key, t => t.run.status === 'running', 'the run to be RUNNING');
    row = await runRow(key);
    assert.equal(row.icon, 'loading~spin');
    const bar = await waitFor(async () => {
      const text = await statusBarText();
      return text.startsWith('$(sync~spin) Find leavers') ? text : undefined;
    }, 5_000, 'the status bar to show the running pipeline');
    assert.ok(bar.length > 0);

    handle.sim.clock.advance(40_000);
    const done = await waitForRun(key, t => t.run.status === 'succeeded', 'the run to be COMPLETED');
    assert.equal(done.run.rawStatus, 'COMPLETED');
    row = await runRow(key);
    assert.equal(row.icon, 'pass');
    assert.ok(!(await statusBarText()).includes('$(sync~spin)'), 'the status bar still spins');
    const children = row.children ?? [];
    assert.ok(findNode(children, '1 leaver · 3 new-company DMs · 3 old-company DMs'), `no summary row:\n${formatTree([row])}`);
    const links = children.filter(c => c.contextValue === 'link');
    assert.deepEqual(links.map(l => l.label), ['Open leavers CSV', 'Open new company DMs CSV', 'Open old company DMs CSV']);
    for (const link of links) {
      assert.equal(link.command?.command, 'runwatch.openLink');
      assert.match(String(link.command?.arguments?.[0]), /^https:\/\/tmpfiles\.org\/dl\/\d+\/acme_\w+\.csv$/);
    }
    assert.ok(rowActions(row.contextValue ?? '', 'inline').includes('runwatch.showResult'));

    await vscode.commands.executeCommand('runwatch.showResult', key);
    const { content, document } = await lastDocument('result');
    assert.equal(document.languageId, 'json');
    const shown = JSON.parse(content) as { result: Record<string, unknown>; links: { label: string; url: string }[]; cost: { lines: Record<string, number> } };
    assert.deepEqual(shown.result.summary, { leavers_count: 1, new_company_dms_count: 3, old_company_dms_count: 3 });
    assert.deepEqual(shown.cost.lines, { exa_cost: 0.072, openrouter_cost: 0.001564, ai_ark_credits_consumed: -30186.2 });
    assert.deepEqual(shown.links.map(l => l.label), ['Open leavers CSV', 'Open new company DMs CSV', 'Open old company DMs CSV']);
    assert.deepEqual(shown.links.map(l => l.url), [shown.result.leavers_url, shown.result.new_company_dms_url, shown.result.old_company_dms_url]);
    for (const value of SECRET_VALUES) assert.ok(!content.includes(value));
  });

  it('a FAILED run shows result.error.message and its step in Show Error', async () => {
    await setKey('automindz');
    amz.scriptNextRun({ queuedMs: 300, durationMs: 1_300, fail: { message: '401 Client Error: Unauthorized', step_id: 'fetch_contacts' } });
    const { key } = await startLeavers('Acme', true);

    handle.sim.clock.advance(2_000);
    const failed = await waitForRun(key, t => t.run.status === 'failed', 'the run to be FAILED');
    assert.equal(failed.run.error?.step, 'fetch_contacts');
    const row = await runRow(key);
    assert.equal(row.icon, 'error');
    assert.ok(row.description?.startsWith('failed at Fetch contacts'), `failed row reads "${row.description}"`);
    assert.ok(findNode(row.children ?? [], '401 Client Error: Unauthorized'), `no error row:\n${formatTree([row])}`);

    await vscode.commands.executeCommand('runwatch.showError', key);
    const { content } = await lastDocument('error');
    assert.match(content, /401 Client Error: Unauthorized/);
    assert.match(content, /^Failed in: Fetch contacts \(fetch_contacts\)$/m);
    assert.match(content, /third-party service refused a key you supplied/);
    assert.match(content, /^Status: failed \(provider says "FAILED"\)$/m);
  });

  it('Clear API Key forgets the third-party keys too, so the next Start Run asks for them again', async () => {
    await setKey('automindz');
    await startLeavers('Acme', true);
    const cleared = await clearKey('automindz');
    const confirm = cleared.messages.find(m => m.items.includes('Remove Key'));
    assert.ok(confirm, `no confirmation: ${JSON.stringify(cleared.messages)}`);
    assert.match(confirm.message, /3 other keys Runwatch keeps for Automindz runs go too/);
    const api = await runwatchApi();
    for (const t of api.service.store.forProvider('automindz')) api.service.untrack(t.key);

    await setKey('automindz');
    const again = await startLeavers('Acme', true);
    assert.equal(again.ui.inputPrompts.filter(p => p.password).length, 3);
  });

  it('Cancel Run says why Automindz cannot cancel; no Cancel is offered on the row', async () => {
    await setKey('automindz');
    const { key } = await startLeavers('Acme', true);
    handle.sim.clock.advance(5_000);
    await waitForRun(key, t => t.run.status === 'running', 'the run to be RUNNING');

    const row = await runRow(key);
    assert.doesNotMatch(row.contextValue ?? '', /\.cancellable\b/);
    assert.ok(!rowActions(row.contextValue ?? '', 'inline').includes('runwatch.cancelRun'), `inline Cancel offered on ${row.contextValue}`);
    assert.ok(!rowActions(row.contextValue ?? '', 'context').includes('runwatch.cancelRun'));

    const before = handle.sim.requests.length;
    const { ui } = await runCommand('Cancel Run', {}, key);
    assert.ok(
      ui.messages.some(m => /Automindz runs cannot be cancelled from Runwatch: The Automindz API has no cancel endpoint/.test(m.message)),
      `Cancel did not say why: ${JSON.stringify(ui.messages)}`,
    );
    assert.ok(!handle.sim.requests.slice(before).some(r => r.method !== 'GET'), 'Cancel sent something to Automindz');
  });
});
