// Boring Marketing end to end inside a real VS Code (issue 2): the key through "Set API Key" into
// SecretStorage, brands → runs → stages in the Runs tree, the status bar following a run's stages, Start
// Run and the 409 adoption, Cancel, a failure opened with Show Error, a rejected key, Track Run by ID, Copy
// Run ID, Clear API Key, tooltips, and a log without keys. Every test starts from a clean Runwatch and its
// own simulator; the simulator's clock is moved on instead of waiting for runs to progress.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shortRunId } from '../../src/core/labels';
import type { RunwatchNode } from '../../src/vscode/tree/node';
import { SIM_KEYS, clearKey, findNode, formatTree, runwatchApi, setKey, statusBarText, treeSnapshot, waitFor, withScriptedUi, type RunwatchApi, type TreeNodeSnapshot } from './helpers';
import { boringMarketingWorld, notificationsSince, pause, pollsOf, runKey, runwatchLogChannelText, setSetting, userSettingsJsonText, waitForPolls, type BmWorld } from './engineHelpers';

const BM = 'boringMarketing' as const;
const KEY = SIM_KEYS.boringMarketing;
const MINUTE = 60_000;

/** Markdown source as read: backslash escapes removed. */
function plainMarkdown(markdown: string): string {
  return markdown.replace(/\\(.)/g, '$1');
}

/** A row's children, failing with the whole row when it has none. */
function childrenOf(row: TreeNodeSnapshot | undefined, what: string): TreeNodeSnapshot[] {
  assert.ok(row?.children, `${what} has no children: ${row ? formatTree([row]) : 'no such row'}`);
  return row.children;
}

describe('Boring Marketing end to end', function () {
  this.timeout(60_000);
  let api: RunwatchApi;
  let world: BmWorld;

  const shared = boringMarketingWorld();

  beforeEach(async () => {
    api = await runwatchApi();
    world = shared.current;
  });

  /** Sets the key through the command and waits until the brand's runs are loaded into Runwatch. */
  async function keyAndRuns(expectedRuns: number): Promise<void> {
    await setKey(BM);
    await waitFor(() => api.service.store.forAccount(BM, world.acme.id).length === expectedRuns, 10_000, `${expectedRuns} Acme runs loaded`);
  }

  it('Set API Key: asks which provider and for the key in a password box, says it works, keeps it out of settings', async () => {
    const ui = await setKey(BM);
    assert.deepEqual(ui.quickPickTitles, ['Set API Key'], 'one provider pick, titled "Set API Key"');
    assert.equal(ui.inputPrompts.length, 1);
    assert.equal(ui.inputPrompts[0].password, true, 'the key box hides what is typed');
    const works = ui.messages.find(m => m.severity === 'info' && m.message === 'Boring Marketing key works.');
    assert.ok(works, `no "key works" message; shown: ${JSON.stringify(ui.messages)}`);
    assert.equal(api.hasKey(BM), true);

    // The key check went to the simulator with the key in X-API-Key (the adapter read it back from SecretStorage).
    const usage = world.sim.requestsFor(BM).find(r => r.path === '/auth/usage');
    assert.ok(usage, 'the key was not checked with GET /auth/usage');
    assert.equal(usage.auth, 'x-api-key');
    assert.equal(usage.status, 200);

    // Nowhere in the settings: neither through the API nor in the user settings.json.
    const runwatchSettings = vscode.workspace.getConfiguration('runwatch');
    const properties = Object.keys(vscode.extensions.getExtension('runwatch.runwatch')!.packageJSON.contributes.configuration.properties as object);
    const everyValue = JSON.stringify([runwatchSettings, ...properties.map(p => vscode.workspace.getConfiguration().inspect(p))]);
    assert.ok(everyValue.includes(world.sim.baseUrl(BM)), 'the settings dump does not even hold the base URL: it reads nothing');
    assert.ok(!everyValue.includes(KEY) && !everyValue.includes(KEY.slice(3)), 'the API key is in the settings');
    const settingsJson = await userSettingsJsonText();
    assert.ok(settingsJson.includes(`"runwatch.providers.boringMarketing.baseUrl": "${world.sim.baseUrl(BM)}"`), 'the user settings.json opened is not the one VS Code writes');
    assert.ok(!settingsJson.includes(KEY.slice(3)), 'the API key is in settings.json');

    // A reload reads the key from SecretStorage again (globalState holds provider ids only): it still works.
    await api.reloadForTests();
    assert.equal(api.hasKey(BM), true, 'after a reload Runwatch no longer knows the key');
    const before = world.sim.requestsFor(BM).length;
    await vscode.commands.executeCommand('runwatch.refreshNode', BM);
    const after = world.sim.requestsFor(BM).slice(before);
    assert.ok(after.some(r => r.path === '/brands' && r.status === 200 && r.auth === 'x-api-key'), `no authenticated GET /brands after the reload: ${JSON.stringify(after)}`);
  });

  it('tree: Boring Marketing → brand → runs (newest first, icons, descriptions, contextValues) → a full run\u2019s six stages', async () => {
    const { bm, acme } = world;
    const done = bm.addRun(acme.id, { kind: 'full', status: 'done', finishedAgoMs: 3 * 60 * MINUTE });
    const failed = bm.addRun(acme.id, { kind: 'full', status: 'failed', stage: 'family_discovery', error: 'Tavily returned no results', finishedAgoMs: 90 * MINUTE });
    // Started 61 minutes ago and cancelled (the API's way: failed, "Cancelled via API") a minute later.
    const cancelled = bm.addRun(acme.id, { kind: 'scoring', status: 'queued' });
    cancelled.createdAt = bm.clock.now() - 61 * MINUTE;
    cancelled.ended = { at: cancelled.createdAt + MINUTE, error: 'Cancelled via API', cancelled: true };
    const running = bm.addRun(acme.id, { kind: 'full', status: 'running', stage: 'evidence_collection', inStageMs: 3 * MINUTE });
    const queued = bm.addRun(acme.id, { kind: 'synthesize', status: 'queued', queuedMs: 10 * MINUTE });
    await keyAndRuns(5);

    const tree = await treeSnapshot();
    const provider = findNode(tree, 'Boring Marketing');
    assert.ok(provider, `no "Boring Marketing" row:\n${formatTree(tree)}`);
    assert.equal(provider.icon, 'cloud');
    assert.equal(provider.contextValue, 'provider.keyed.addAccount');
    assert.equal(provider.description, new URL(world.sim.baseUrl(BM)).host, 'the provider row names the non-default host it talks to');

    const brands = childrenOf(provider, 'Boring Marketing');
    assert.deepEqual(
      brands.map(b => b.label),
      ['Acme', 'Add brand…'],
    );
    const brand = brands[0];
    assert.equal(brand.description, 'acme.com · 2 active');
    assert.equal(brand.icon, 'organization');
    assert.equal(brand.id, `account:${BM}:${acme.id}`);

    const runs = childrenOf(brand, 'Acme');
    const expected = [
      { run: queued, label: `Synthesize #${shortRunId(queued.id)}`, icon: 'clock', context: 'run.queued.cancellable.rerunnable', description: /^queued · \d+s$/ },
      { run: running, label: `Analyze #${shortRunId(running.id)}`, icon: 'loading~spin', context: 'run.running.cancellable.rerunnable', description: /^Evidence collection · 4\/6 · 13m$/ },
      { run: cancelled, label: `Score #${shortRunId(cancelled.id)}`, icon: 'circle-slash', context: 'run.cancelled.rerunnable', description: /^1h ago$/ },
      { run: failed, label: `Analyze #${shortRunId(failed.id)}`, icon: 'error', context: 'run.failed.rerunnable.hasError', description: /^failed at Family discovery · 1h 30m ago$/ },
      { run: done, label: `Analyze #${shortRunId(done.id)}`, icon: 'pass', context: 'run.succeeded.rerunnable', description: /^3h ago$/ },
    ];
    assert.deepEqual(
      runs.map(r => r.id),
      expected.map(e => `run:${runKey(BM, e.run.id)}`),
      `runs are not newest first:\n${formatTree(runs)}`,
    );
    runs.forEach((row, i) => {
      const want = expected[i];
      assert.equal(row.label, want.label, `row ${i} label`);
      assert.equal(row.icon, want.icon, `${want.label} row icon`);
      assert.equal(row.contextValue, want.context, `${want.label} row contextValue`);
      assert.match(row.description ?? '', want.description, `${want.label} row description`);
    });

    const stages = childrenOf(runs[1], 'the running full run');
    assert.deepEqual(
      stages.map(s => [s.label, s.icon]),
      [
        ['Brand enrichment', 'pass'],
        ['Competitor discovery', 'pass'],
        ['Family discovery', 'pass'],
        ['Evidence collection', 'loading~spin'],
        ['Leverage scoring', 'circle-outline'],
        ['Queue building', 'circle-outline'],
      ],
    );
    assert.match(stages[3].description ?? '', /^(collecting evidence|analyzing SERPs for family \d+ of 12)/, 'the current stage shows meta.stage_detail');
    assert.equal(stages[4].description, 'pending');
    assert.equal(stages[0].description, undefined, 'a done stage needs no description');

    // The failed run says where it failed and why, one level down.
    const failedChildren = childrenOf(runs[3], 'the failed run');
    const errorRow = failedChildren.find(c => c.contextValue === 'runError');
    assert.ok(errorRow, `no error row under the failed run:\n${formatTree(failedChildren)}`);
    assert.equal(errorRow.label, 'Tavily returned no results');
    assert.equal(errorRow.description, 'in Family discovery');
    assert.deepEqual(
      failedChildren.filter(c => c.contextValue === 'stage').map(s => [s.label, s.icon]),
      [
        ['Brand enrichment', 'pass'],
        ['Competitor discovery', 'pass'],
        ['Family discovery', 'error'],
        ['Evidence collection', 'circle-outline'],
        ['Leverage scoring', 'circle-outline'],
        ['Queue building', 'circle-outline'],
      ],
    );
  });

  it('status bar follows a running run through its stages, and one run\u2019s change redraws only its rows', async () => {
    const { bm, acme, sim } = world;
    const run = bm.addRun(acme.id, { kind: 'full', status: 'running', stage: 'brand_enrichment', inStageMs: 30_000 });
    const key = runKey(BM, run.id);
    await keyAndRuns(1);
    await treeSnapshot(); // render the rows, as the open view does, so their nodes exist

    assert.match(await statusBarText(), /^\$\(sync~spin\) Acme · Brand enrichment 1\/6( · ~.+ left)?$/);
    assert.match(plainMarkdown(api.statusBar.tooltip), /crawling acme\.com and extracting identity/, 'the tooltip carries the stage detail');

    const fired: Array<RunwatchNode | RunwatchNode[] | undefined> = [];
    const listening = api.tree.onDidChangeTreeData(e => fired.push(e));
    try {
      // The stage ends in the simulator; Runwatch's own polling (10 s for full runs) picks it up unasked.
      const polled = pollsOf(sim, BM, run.id).length;
      bm.clock.advance(2 * MINUTE);
      await waitFor(async () => (await statusBarText()).includes('Competitor discovery 2/6'), 15_000, 'the status bar to show Competitor discovery 2/6');
      assert.ok(pollsOf(sim, BM, run.id).length > polled, 'the status bar changed without a poll');
      assert.match(await statusBarText(), /^\$\(sync~spin\) Acme · Competitor discovery 2\/6/);
      assert.match(plainMarkdown(api.statusBar.tooltip), /Tavily research/);

      // Further stages, polled at once with "Refresh Item" on the run's row.
      for (const [advance, text] of [
        [3 * MINUTE, 'Family discovery 3/6'],
        [5 * MINUTE, 'Evidence collection 4/6'],
      ] as const) {
        bm.clock.advance(advance);
        await vscode.commands.executeCommand('runwatch.refreshNode', key);
        await waitFor(async () => (await statusBarText()).includes(text), 5_000, `the status bar to show ${text}`);
      }
      assert.ok(fired.length > 0, 'the tree was not told that the run changed');
      assert.ok(!fired.includes(undefined), 'a run\u2019s stage change refreshed the whole tree');
      const firedIds = fired.flatMap(e => (Array.isArray(e) ? e : [e])).map(n => n?.id);
      assert.ok(firedIds.includes(`run:${key}`), `the run's row was not redrawn (redrawn: ${firedIds.join(', ')})`);
    } finally {
      listening.dispose();
    }

    // Done: nothing active, nothing failed: the item hides.
    bm.clock.advance(30 * MINUTE);
    await vscode.commands.executeCommand('runwatch.refreshNode', key);
    await waitFor(async () => (await statusBarText()) === '', 5_000, 'the status bar to hide once the run is done');
    assert.equal(api.service.store.get(key)?.run.status, 'succeeded');
  });

  it('Start Run (provider → brand → pipeline) starts and reveals a run; starting again follows the run already going (409)', async () => {
    const { sim, bm, acme } = world;
    await setKey(BM);
    await setKey('gloriaMundo'); // a second keyed provider, so Start Run asks which one

    const picks = ['Boring Marketing', 'Acme', 'Analyze (full pipeline)', 'Start'];
    const first = await withScriptedUi({ quickPicks: [...picks] }, async ui => ({ run: await vscode.commands.executeCommand<{ id: string }>('runwatch.startRun'), ui }));
    assert.deepEqual(
      first.ui.quickPickTitles,
      ['Start Run', 'Start Run', 'Start Run on Acme', 'Start Analyze (full pipeline) on Acme (Boring Marketing)?'],
      'provider, then brand, then pipeline, then the last step',
    );
    assert.ok(first.run?.id, `Start Run returned no run; messages: ${JSON.stringify(first.ui.messages)}`);
    const runId = first.run.id;
    const key = runKey(BM, runId);
    assert.deepEqual(bm.runsFor(acme.id).map(r => [r.id, r.trigger?.route]), [[runId, 'analyze']], 'the simulator did not get exactly one /analyze');

    const tracked = api.service.store.get(key);
    assert.ok(tracked, 'the started run is not tracked');
    assert.equal(tracked.pinned, true);
    assert.deepEqual(api.treeView.selection.map(n => n.id), [`run:${key}`], 'the new run is not selected in the tree');
    const row = findNode(await treeSnapshot(), 'Boring Marketing', 'Acme', `Analyze #${shortRunId(runId)}`);
    assert.ok(row, 'the new run has no row under Acme');
    assert.equal(row.id, `run:${key}`);
    assert.ok(row.icon === 'clock' || row.icon === 'loading~spin', `unexpected icon ${row.icon} for a just-started run`);
    assert.match(row.contextValue ?? '', /^run\.(queued|running)\.cancellable\.rerunnable\.tracked$/);

    // Select something else, then start the same pipeline again: the API answers 409 naming the run.
    await api.treeView.reveal(api.tree.providerNode(BM), { select: true });
    await waitFor(() => api.treeView.selection[0]?.id === `provider:${BM}`, 5_000, 'the provider row to be selected');
    const second = await withScriptedUi({ quickPicks: [...picks] }, async ui => ({ run: await vscode.commands.executeCommand<{ id: string }>('runwatch.startRun'), ui }));
    const conflicts = sim.requestsFor(BM).filter(r => r.method === 'POST' && r.path === `/brands/${acme.id}/analyze`);
    assert.deepEqual(conflicts.map(r => r.status), [202, 409]);
    assert.equal(second.run?.id, runId, 'the second start did not adopt the running run');
    const said = second.ui.messages.find(m => m.severity === 'info' && /already going.*following it/.test(m.message));
    assert.ok(said, `no "already going … following it" message: ${JSON.stringify(second.ui.messages)}`);
    assert.ok(!second.ui.messages.some(m => m.severity === 'error'), `an error was shown: ${JSON.stringify(second.ui.messages)}`);
    assert.deepEqual(api.treeView.selection.map(n => n.id), [`run:${key}`], 'the adopted run is not selected');
    assert.equal(bm.runsFor(acme.id).length, 1, 'a second run was started in the simulator');
    assert.deepEqual(
      api.service.store.forAccount(BM, acme.id).map(t => t.run.id),
      [runId],
      'Runwatch tracks a duplicate',
    );
  });

  it('Cancel Run asks first; confirmed, the row shows cancelled (circle-slash) and is no longer cancellable', async () => {
    const { sim, bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'full', status: 'running', stage: 'family_discovery', inStageMs: MINUTE });
    const key = runKey(BM, run.id);
    await keyAndRuns(1);
    await treeSnapshot();
    const node = api.tree.runNode(key);
    assert.ok(node, 'no row node for the run');
    const cancels = () => sim.requestsFor(BM).filter(r => r.method === 'POST' && r.path.endsWith(`/runs/${run.id}/cancel`));

    const declined = await withScriptedUi({ messageChoice: () => undefined }, async ui => {
      await vscode.commands.executeCommand('runwatch.cancelRun', node);
      return ui;
    });
    assert.ok(declined.messages.some(m => m.severity === 'warning' && /^Cancel Analyze on Acme\?/.test(m.message) && m.items.includes('Cancel Run')), `no confirmation: ${JSON.stringify(declined.messages)}`);
    assert.equal(cancels().length, 0, 'cancelled although the confirmation was dismissed');
    assert.equal(api.service.store.get(key)?.run.status, 'running');

    await withScriptedUi({ messageChoice: m => (m.items.includes('Cancel Run') ? 'Cancel Run' : undefined) }, async () => vscode.commands.executeCommand('runwatch.cancelRun', node));
    assert.deepEqual(cancels().map(r => r.status), [200]);
    assert.equal(bm.runView(run.id)?.status, 'failed', 'the simulator records a cancel as failed');
    assert.equal(api.service.store.get(key)?.run.status, 'cancelled');
    const row = findNode(await treeSnapshot(), 'Boring Marketing', 'Acme', `Analyze #${shortRunId(run.id)}`);
    assert.ok(row);
    assert.equal(row.icon, 'circle-slash');
    assert.match(row.contextValue ?? '', /^run\.cancelled\.rerunnable\b/);
    assert.ok(!/cancellable/.test(row.contextValue ?? ''), 'a cancelled run still offers Cancel');

    // Listed again (a refresh), the API's `failed` + "Cancelled via API" still reads as cancelled.
    const brandNode = (await api.tree.getChildren(api.tree.providerNode(BM))).find(n => n.id === `account:${BM}:${acme.id}`);
    assert.ok(brandNode, 'no Acme node');
    await vscode.commands.executeCommand('runwatch.refreshNode', brandNode);
    assert.equal(api.service.store.get(key)?.run.status, 'cancelled');
  });

  it('a failed run: the status bar turns to an error until Show Error opens a read-only document with message, stage and retry hint', async () => {
    const { bm, acme } = world;
    const error = 'DataForSEO rate limit exceeded — retry in 60 seconds';
    const run = bm.addRun(acme.id, {
      kind: 'full',
      status: 'running',
      stage: 'evidence_collection',
      inStageMs: MINUTE,
      failAt: { stage: 'evidence_collection', error, afterMs: 2 * MINUTE },
    });
    const key = runKey(BM, run.id);
    await keyAndRuns(1);
    assert.match(await statusBarText(), /^\$\(sync~spin\) Acme · Evidence collection 4\/6/);

    bm.clock.advance(2 * MINUTE);
    await vscode.commands.executeCommand('runwatch.refreshNode', key);
    await waitFor(() => api.service.store.get(key)?.run.status === 'failed', 5_000, 'the run to be seen failed');
    await waitFor(async () => (await statusBarText()) === '$(error) Acme · Analyze failed', 5_000, 'the status bar to show the failure');
    assert.equal(api.statusBar.backgroundColor, 'statusBarItem.errorBackground');
    assert.match(plainMarkdown(api.statusBar.tooltip), /DataForSEO rate limit exceeded/);

    await vscode.commands.executeCommand('runwatch.showError', key);
    const opened = api.documents.last;
    assert.ok(opened && opened.kind === 'error' && opened.key === key, `Show Error opened ${JSON.stringify(opened)}`);
    const uri = vscode.Uri.parse(opened.uri);
    assert.equal(uri.scheme, 'runwatch');
    const document = vscode.workspace.textDocuments.find(d => d.uri.toString() === opened.uri);
    assert.ok(document, 'the error document is not open');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), opened.uri, 'the error document is not the active editor');
    const text = document.getText();
    assert.match(text, /DataForSEO rate limit exceeded — retry in 60 seconds/, 'the message');
    assert.match(text, /^Failed in: Evidence collection \(evidence_collection\)$/m, 'the stage it died in, by label and id');
    assert.match(text, /Wait 60 seconds after the failure, then Re-run/, 'the retry hint');
    assert.match(text, /^Started: /m);
    assert.match(text, /^Finished: /m);
    assert.match(text, /^Freshness: as of /m, 'a document that stands still says when it was written');

    // Read-only: typing into its editor changes nothing (while the same typing does edit an ordinary one).
    const typeInto = async (doc: vscode.TextDocument) => {
      await vscode.window.showTextDocument(doc, { preview: false });
      await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
      await vscode.commands.executeCommand('type', { text: 'typed by the test ' });
      await pause(100);
    };
    const control = await vscode.workspace.openTextDocument({ content: '' });
    await typeInto(control);
    assert.equal(control.getText(), 'typed by the test ', 'typing into an ordinary editor did nothing: the read-only check would prove nothing');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await typeInto(document);
    assert.ok(!document.getText().includes('typed by the test'), 'typing changed the error document');
    assert.equal(document.isDirty, false);

    // Looked at: the error look is gone, and with nothing active the item hides.
    await waitFor(async () => (await statusBarText()) === '', 5_000, 'the status bar to drop the failure once opened');
    assert.equal(api.statusBar.backgroundColor, undefined);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a revoked key (401): one warning offering "Set API Key", Boring Marketing polling stops, and resumes with a good key', async () => {
    const { sim, bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'synthesize', status: 'running', durationMs: 60 * MINUTE });
    const key = runKey(BM, run.id);
    await keyAndRuns(1);
    bm.revokeKey(KEY);
    const since = Date.now();

    await withScriptedUi({}, async ui => {
      await vscode.commands.executeCommand('runwatch.refreshNode', key);
      await waitFor(() => api.service.health(BM).state === 'authFailed', 5_000, 'Boring Marketing to be marked as rejecting the key');
      await waitFor(() => ui.messages.some(m => /rejected the API key/.test(m.message)), 5_000, 'the warning about the key');

      // Nothing more goes to Boring Marketing: not at the 5 s cadence, not when the user refreshes the run,
      // not when the tree is expanded.
      const before = sim.requestsFor(BM).length;
      await vscode.commands.executeCommand('runwatch.refreshNode', key);
      await treeSnapshot();
      await pause(5_500);
      assert.deepEqual(sim.requestsFor(BM).slice(before), [], 'Runwatch kept calling Boring Marketing with a rejected key');

      const warnings = ui.messages.filter(m => /rejected the API key/.test(m.message));
      assert.equal(warnings.length, 1, `warned ${warnings.length} times`);
      assert.equal(warnings[0].severity, 'warning');
      assert.deepEqual(warnings[0].items, ['Set API Key']);
    });
    assert.deepEqual(
      (await notificationsSince(since)).map(n => [n.severity, n.actions]),
      [['warning', ['Set API Key']]],
    );
    const provider = findNode(await treeSnapshot({ depth: 2 }), 'Boring Marketing');
    assert.equal(provider?.description?.split(' · ')[0], 'key rejected');
    assert.match(provider?.contextValue ?? '', /\.authFailed\b/);
    assert.ok(provider?.children?.some(c => c.label === 'Fix key…'), `no "Fix key…" row:\n${provider ? formatTree([provider]) : ''}`);

    // The key is valid again and set again: polling resumes at once.
    bm.addKey(KEY);
    const polls = pollsOf(sim, BM, run.id).length;
    await setKey(BM);
    await waitForPolls(sim, BM, run.id, polls + 1, 7_000);
    assert.equal(pollsOf(sim, BM, run.id).at(-1)?.status, 200);
    assert.equal(api.service.health(BM).state, 'ok');
  });

  it('Track Run by ID follows a run started elsewhere; an unknown id says so and tracks nothing', async () => {
    const { bm, acme } = world;
    await setKey(BM);
    await treeSnapshot();
    const elsewhere = bm.addRun(acme.id, { kind: 'llm_enrichment', status: 'running', durationMs: 30 * MINUTE });
    const key = runKey(BM, elsewhere.id);
    assert.equal(api.service.store.get(key), undefined, 'the run is known before it was tracked');

    const tracked = await withScriptedUi({ quickPicks: ['Acme'], inputs: [elsewhere.id] }, async ui => ({ run: await vscode.commands.executeCommand<{ id: string }>('runwatch.trackRun'), ui }));
    assert.equal(tracked.run?.id, elsewhere.id, `Track Run by ID returned ${JSON.stringify(tracked.run)}; messages: ${JSON.stringify(tracked.ui.messages)}`);
    assert.equal(api.service.store.get(key)?.pinned, true);
    assert.deepEqual(api.treeView.selection.map(n => n.id), [`run:${key}`]);
    const row = findNode(await treeSnapshot(), 'Boring Marketing', 'Acme', `Enrich LLM #${shortRunId(elsewhere.id)}`);
    assert.ok(row, 'the tracked run has no row');
    assert.match(row.contextValue ?? '', /^run\.running\.cancellable\.rerunnable\.tracked$/);
    assert.match(row.description ?? '', /^LLM enrichment · \d+s$/);

    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await withScriptedUi({ quickPicks: ['Acme'], inputs: [unknown] }, async ui => ({ run: await vscode.commands.executeCommand('runwatch.trackRun'), ui }));
    assert.equal(missing.run, undefined);
    assert.ok(missing.ui.messages.some(m => m.severity === 'error' && /not found/i.test(m.message)), `no "not found" message: ${JSON.stringify(missing.ui.messages)}`);
    assert.equal(api.service.store.get(runKey(BM, unknown)), undefined);
  });

  it('Copy Run ID puts the run id on the clipboard', async () => {
    const { bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'full', status: 'done' });
    await keyAndRuns(1);
    await vscode.env.clipboard.writeText('something else');
    await treeSnapshot();
    const node = api.tree.runNode(runKey(BM, run.id));
    assert.ok(node);
    await vscode.commands.executeCommand('runwatch.copyRunId', node);
    assert.equal(await vscode.env.clipboard.readText(), run.id);
  });

  it('Clear API Key removes the key: Boring Marketing folds into "Add another provider…" (all rows with the setting) and is no longer called', async () => {
    const { sim, bm, acme } = world;
    bm.addRun(acme.id, { kind: 'synthesize', status: 'running', durationMs: 60 * MINUTE });
    await keyAndRuns(1);
    await setKey('gloriaMundo'); // another key keeps the tree (the welcome view shows once no key is left)

    const ui = await clearKey(BM);
    assert.ok(ui.messages.some(m => m.severity === 'warning' && /Remove the Boring Marketing API key\?/.test(m.message)), 'no confirmation');
    assert.ok(ui.messages.some(m => m.severity === 'info' && m.message === 'Boring Marketing key removed.'));
    assert.equal(api.hasKey(BM), false);

    // With another key set, providers without one fold into one row that names them.
    const folded = await treeSnapshot({ depth: 1 });
    assert.deepEqual(
      folded.map(n => n.label),
      ['GloriaMundo', 'Add another provider…'],
      `the root:\n${formatTree(folded)}`,
    );
    assert.equal(folded[1].description, 'Boring Marketing, Automindz, Talonic, Adlyse');

    // The setting lists every provider again, the one without a key offering "Add API key…".
    await setSetting('showProvidersWithoutKey', true);
    await waitFor(async () => !!findNode(await treeSnapshot({ depth: 1 }), 'Boring Marketing'), 5_000, 'the Boring Marketing row back with the setting');
    const provider = findNode(await treeSnapshot({ depth: 2 }), 'Boring Marketing');
    assert.ok(provider, 'no Boring Marketing row');
    assert.equal(provider.contextValue, 'provider.noKey');
    assert.equal(provider.description, 'no API key');
    const children = childrenOf(provider, 'Boring Marketing');
    assert.deepEqual(children.map(c => [c.label, c.icon]), [['Add API key…', 'key']]);

    const before = sim.requestsFor(BM).length;
    await vscode.commands.executeCommand('runwatch.refresh');
    await pause(500);
    assert.deepEqual(sim.requestsFor(BM).slice(before), [], 'Boring Marketing was called without a key');

    // The last key goes: the root is empty, so VS Code shows the welcome view with "Set API Key".
    await clearKey('gloriaMundo');
    assert.deepEqual(await api.tree.getChildren(undefined), []);
  });

  it('run tooltips (resolved on hover) give every field and how fresh the data is: "updated … ago"', async () => {
    const { bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'full', status: 'running', stage: 'leverage_scoring', inStageMs: MINUTE });
    await keyAndRuns(1);
    await treeSnapshot();
    const node = api.tree.runNode(runKey(BM, run.id));
    assert.ok(node);
    const item = await api.tree.getTreeItem(node);
    assert.equal(item.tooltip, undefined, 'the tooltip is built before hover');
    const resolved = await api.tree.resolveTreeItem(item, node);
    const tooltip = resolved.tooltip instanceof vscode.MarkdownString ? resolved.tooltip.value : String(resolved.tooltip);
    const plain = plainMarkdown(tooltip);
    assert.match(plain, /\*\*Freshness:\*\* updated \d+ seconds? ago/);
    assert.match(plain, new RegExp(`Run id:\\*\\* \`${run.id}\``));
    assert.match(plain, /Progress:\*\* Leverage scoring · 5\/6 \(`leverage_scoring`\)/, 'the human label, with the raw id beside it');
    assert.match(plain, /`meta.stage_detail`: cross-referencing brand gaps with opportunities/, 'the raw provider fields are listed');
  });

  it('the Runwatch log lists requests (method, path, status, time) and never a key', async () => {
    const { bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'synthesize', status: 'running', durationMs: 60 * MINUTE });
    await keyAndRuns(1);
    await vscode.commands.executeCommand('runwatch.refreshNode', runKey(BM, run.id));
    bm.revokeKey(KEY);
    await vscode.commands.executeCommand('runwatch.refreshNode', runKey(BM, run.id)); // a 401 is logged too
    await waitFor(() => api.service.health(BM).state === 'authFailed', 5_000, 'the rejected key');

    const line = new RegExp(`GET /bm/brands/${acme.id}/runs/${run.id} → 200 \\(\\d+ ms\\)`);
    const log = await waitFor(async () => {
      const text = await runwatchLogChannelText();
      return line.test(text) && /→ 401/.test(text) ? text : undefined;
    }, 10_000, 'the request lines in the Runwatch log');
    for (const [id, key] of Object.entries(SIM_KEYS)) {
      assert.ok(!log.includes(key), `the ${id} key is in the log`);
      assert.ok(!log.includes(key.slice(key.indexOf('_') + 1)), `the secret part of the ${id} key is in the log`);
    }
  });
});
