// A provider declared in settings, in the real VS Code: the simulator's GloriaMundo API added to
// runwatch.customProviders (next to an invalid declaration, which is reported by its field and keeps nothing else
// from working), its key through "Set API Key", a workflow added by id, Start Run, progress in the tree, success
// and the notification, as with a built-in provider.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shortRunId } from '../../src/core/labels';
import type { Run } from '../../src/core/run';
import type { GloriaMundoSim } from '../simulator/gloriaMundo';
import { gloriaMundoDeclaration } from '../simulator/customDeclarations';
import { waitForNotification } from './engineHelpers';
import {
  commandId,
  extension,
  findNode,
  formatTree,
  resetRunwatch,
  runCommand,
  runRow,
  runwatchApi,
  SIM_KEYS,
  startSimulator,
  treeSnapshot,
  waitFor,
  waitForRun,
  withScriptedUi,
  type SimulatorHandle,
} from './helpers';

const NAME = 'Gloria (declared)';
const ID = 'custom:gloria';
const STEPS = ['Fetch emails', 'Summarize', 'Send'];
const STEP_MS = 10_000;

async function setCustomProviders(value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('runwatch').update('customProviders', value, vscode.ConfigurationTarget.Global);
}

describe('Providers declared in runwatch.customProviders, in VS Code (custom providers)', () => {
  let handle: SimulatorHandle;

  before(async () => {
    await resetRunwatch();
    handle = await startSimulator({ timeScale: 0 });
  });

  after(async () => {
    const api = await runwatchApi();
    if (api.hasKey(ID)) {
      await withScriptedUi({ quickPicks: [NAME], messageChoice: m => m.items[0] }, () => Promise.resolve(vscode.commands.executeCommand(commandId('Clear API Key'))));
    }
    for (const t of api.service.store.all()) if (t.run.provider === ID) api.service.untrack(t.key);
    await setCustomProviders(undefined);
    await resetRunwatch();
    await handle?.dispose();
  });

  it('declared in settings: key set, workflow added, run started, shown in the tree, completed and notified', async () => {
    const gm = handle.sim.provider<GloriaMundoSim>('gloriaMundo');
    gm.addWorkflow('wf_digest', { name: 'Daily digest', steps: STEPS, durations: STEP_MS, queuedMs: 1_000, result: { summary: 'sent' } });
    const api = await runwatchApi();

    // One valid declaration and one with a mistake: the mistake is named by its field, the valid one is used.
    const declared = await withScriptedUi({}, async ui => {
      await setCustomProviders([gloriaMundoDeclaration(handle.sim.baseUrl('gloriaMundo')), { ...gloriaMundoDeclaration(handle.sim.baseUrl('gloriaMundo')), id: 'broken', status: { path: 'runs/${runId}' } }]);
      await waitFor(() => api.service.providerIds().includes(ID), 5_000, 'the declared provider to be known');
      return waitFor(() => (ui.messages.length ? ui.messages : undefined), 5_000, 'the invalid declaration to be reported');
    });
    assert.deepEqual(
      declared.map(m => [m.severity, m.message]),
      [['error', 'Runwatch: runwatch.customProviders[1].status.path: must start with "/" (it is appended to baseUrl).']],
    );
    assert.ok(!api.service.providerIds().includes('custom:broken'));

    // Set API Key offers it by its display name and checks the key with a status call for a run that cannot exist.
    const keyUi = await withScriptedUi({ quickPicks: [NAME], inputs: [SIM_KEYS.gloriaMundo] }, async ui => {
      await vscode.commands.executeCommand(commandId('Set API Key'));
      return ui;
    });
    assert.ok(keyUi.inputPrompts.some(p => p.password), 'Set API Key did not ask for the key in a password box');
    assert.equal(api.hasKey(ID), true);
    const check = handle.sim.requestsFor('gloriaMundo').find(r => r.path === '/runs/runwatch-key-check/status');
    assert.deepEqual([check?.auth, check?.status], ['bearer', 404], 'the key was not checked with the declared status call');
    for (const m of keyUi.messages) assert.ok(!m.message.includes(SIM_KEYS.gloriaMundo), `a message shows the key: ${m.message}`);

    // "Add workflow…" (the declaration's account noun) under the provider's row.
    const tree = await treeSnapshot({ depth: 2 });
    const addRow = findNode(tree, NAME, 'Add workflow…');
    assert.ok(addRow?.command, `${NAME} offers no "Add workflow…" row:\n${formatTree(tree)}`);
    await withScriptedUi({ inputs: ['wf_digest', 'Daily digest'] }, () => Promise.resolve(vscode.commands.executeCommand(addRow.command!.command, ...(addRow.command!.arguments ?? []))));
    assert.ok(findNode(await treeSnapshot({ depth: 2 }), NAME, 'Daily digest'), 'the workflow is not listed under the declared provider');

    const since = Date.now();
    const { result: run, ui } = await runCommand<Run>('Start Run', { quickPicks: ['Daily digest', 'Start'], inputs: ['{"channel": "#daily"}'] });
    assert.ok(run, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    assert.equal(run.provider, ID);
    const key = `${ID}:${run.id}`;
    assert.deepEqual(gm.started.map(s => [s.accountId, s.input]), [['wf_digest', { channel: '#daily' }]]);

    let row = await runRow(key);
    assert.equal(row.label, `Run #${shortRunId(run.id)}`);
    assert.match(row.description ?? '', /queued/);

    handle.sim.clock.advance(1_000 + STEP_MS + 2_000);
    await waitForRun(key, t => t.run.status === 'running' && t.run.progress?.index === 1, 'the run at step 1');
    row = await runRow(key);
    assert.ok(row.description?.startsWith('step 1/3 · Summarize · 33%'), `run row reads "${row.description}"`);

    handle.sim.clock.advance(3 * STEP_MS);
    const done = await waitForRun(key, t => t.run.status === 'succeeded', 'the run to succeed');
    assert.deepEqual(done.run.result, { summary: 'sent' });
    assert.equal((await runRow(key)).icon, 'pass');
    const notified = await waitForNotification(since, n => n.severity === 'info' && n.message.includes('Daily digest'), 'the success notification');
    assert.match(notified.message, /succeeded|finished|completed/i);

    // The declaration taken out: the provider leaves the tree, its run leaves the store but stays saved.
    await setCustomProviders([]);
    await waitFor(() => !api.service.providerIds().includes(ID), 5_000, 'the provider to go with its declaration');
    assert.equal(api.service.store.get(key), undefined);
    await waitFor(async () => !findNode(await treeSnapshot({ depth: 1 }), NAME), 5_000, 'the provider row to leave the tree');
    // Declared again: the run and the key (still in the keychain) come back, and the run shows in the tree.
    const again = await withScriptedUi({}, async ui => {
      await setCustomProviders([gloriaMundoDeclaration(handle.sim.baseUrl('gloriaMundo'))]);
      await waitFor(() => api.service.store.get(key), 5_000, 'the run to come back with its declaration');
      return ui.messages;
    });
    assert.deepEqual(again, [], 'a valid declaration shows no message');
    assert.equal(api.service.store.get(key)?.run.status, 'succeeded');
    assert.equal(api.hasKey(ID), true);
    assert.equal((await runRow(key)).icon, 'pass');
  });

  it('the setting\'s schema texts come from package.nls.json, nested ones too, as VS Code read them', () => {
    const setting = extension().packageJSON.contributes.configuration.properties['runwatch.customProviders'];
    assert.match(setting.markdownDescription, /^REST run APIs of your own/);
    assert.match(setting.items.properties.status.properties.path.markdownDescription, /^Path template with `\$\{runId\}`/);
    assert.equal(setting.items.defaultSnippets[0].label, 'New REST run API');
  });
});
