// GloriaMundo in the real VS Code, as a user drives it: a key through "Set API Key" (a key without the
// gm_live_ prefix is warned about, not refused), "Add workflow…" by id with a label (remembered: the API
// cannot list workflows), Start Run with JSON input (invalid JSON refused by the box), step progress in the
// tree and the status bar while the simulator's clock moves on, cost and Show Result on success, Show Error
// naming the failing step, and Cancel explained (the API has none).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shortRunId } from '../../src/core/labels';
import type { Run } from '../../src/core/run';
import type { GloriaMundoSim } from '../simulator/gloriaMundo';
import {
  findNode,
  formatTree,
  lastDocument,
  resetRunwatch,
  rowActions,
  runCommand,
  runRow,
  runwatchApi,
  setKey,
  SIM_KEYS,
  startSimulator,
  statusBarText,
  treeSnapshot,
  waitFor,
  waitForRun,
  withScriptedUi,
  type SimulatorHandle,
} from './helpers';

const DIGEST_STEPS = ['Fetch emails', 'Summarize', 'Generate content', 'Send email', 'Post to Slack'];
const DIGEST_RESULT = { generated_content: 'Daily digest: 3 emails from the team', posted_to: '#daily-digest' };
const STEP_MS = 20_000;
const QUEUED_MS = 1_500;

describe('GloriaMundo in VS Code', () => {
  let handle: SimulatorHandle;
  let gm: GloriaMundoSim;

  before(async () => {
    await resetRunwatch();
    // Simulated time stands still unless a test moves it: progress is then exactly what the test set up.
    handle = await startSimulator({ timeScale: 0 });
    gm = handle.sim.provider<GloriaMundoSim>('gloriaMundo');
  });

  after(async () => {
    await resetRunwatch();
    await handle?.dispose();
  });

  beforeEach(async () => {
    await resetRunwatch();
    handle.sim.reset();
    gm.addWorkflow('wf_digest', { name: 'Daily digest', steps: DIGEST_STEPS, durations: STEP_MS, queuedMs: QUEUED_MS, result: DIGEST_RESULT });
    gm.addWorkflow('wf_leads', {
      name: 'Lead enrichment',
      steps: ['Fetch new leads', 'Enrich company data', 'Score leads', 'Update CRM'],
      durations: 10_000,
      queuedMs: QUEUED_MS,
      failAtStep: { step: 2, error: 'HubSpot connection expired. Please reconnect.', costCents: 6 },
    });
  });

  afterEach(async () => {
    await resetRunwatch();
  });

  /** Clicks "Add workflow…" under GloriaMundo and answers its two boxes (id, label). */
  async function addWorkflow(id: string, label: string) {
    const tree = await treeSnapshot({ depth: 2 });
    const addRow = findNode(tree, 'GloriaMundo', 'Add workflow…');
    assert.ok(addRow?.command, `GloriaMundo offers no clickable "Add workflow…" row:\n${formatTree(tree)}`);
    return withScriptedUi({ inputs: [id, label] }, async ui => {
      await vscode.commands.executeCommand(addRow.command!.command, ...(addRow.command!.arguments ?? []));
      return ui;
    });
  }

  /** Start Run from the palette on a workflow, with this JSON typed into the input box. */
  async function startRun(workflowLabel: string, json: string) {
    const { result, ui } = await runCommand<Run>('Start Run', { quickPicks: [workflowLabel, 'Start'], inputs: [json] });
    assert.ok(result, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    return { run: result, key: `gloriaMundo:${result.id}`, ui };
  }

  it('a key without the gm_live_ prefix: the password box warns, the key is still saved and works', async () => {
    const oddKey = 'sk_live_7f3a9c2b1d0e4f5a6b7c8d9e0f1a';
    gm.keys.add(oddKey);
    const ui = await setKey('gloriaMundo', oddKey);

    const box = ui.inputPrompts.find(p => p.password);
    assert.ok(box, 'Set API Key asked for no password');
    assert.equal(box.validation?.severity, 'warning', `the box did not warn about the prefix: ${JSON.stringify(box.validation)}`);
    assert.match(box.validation.message, /gm_live_/);
    assert.equal((await box.validate?.(SIM_KEYS.gloriaMundo)) ?? undefined, undefined, 'a gm_live_ key is warned about too');

    const api = await runwatchApi();
    assert.equal(api.hasKey('gloriaMundo'), true, 'the key with the unexpected prefix was not saved');
    // The saved key is the one used: the key check authenticated with it.
    const check = handle.sim.requestsFor('gloriaMundo').find(r => r.path === '/spend-limit');
    assert.ok(check, 'Runwatch did not check the new key');
    assert.equal(check.auth, 'bearer');
    assert.equal(check.status, 200);
    assert.ok(ui.messages.some(m => m.severity === 'info' && /GloriaMundo key works/.test(m.message)), `no "key works" message: ${JSON.stringify(ui.messages)}`);
    for (const m of ui.messages) assert.ok(!m.message.includes(oddKey), `a message shows the key: ${m.message}`);
    await resetRunwatch();
    gm.keys.delete(oddKey);
  });

  it('"Add workflow…" by id with a label lists the workflow under GloriaMundo and remembers it', async () => {
    await setKey('gloriaMundo');
    const ui = await addWorkflow('wf_digest', 'Daily digest');
    assert.deepEqual(
      ui.inputPrompts.map(p => p.password ?? false),
      [false, false],
      'Add workflow asks for an id and a label, neither secret',
    );

    const row = findNode(await treeSnapshot({ depth: 2 }), 'GloriaMundo', 'Daily digest');
    assert.ok(row, 'the workflow is not listed under its label');
    assert.equal(row.id, 'account:gloriaMundo:wf_digest');
    assert.match(row.contextValue ?? '', /^account\b.*\.removable\b/, 'a workflow added by id cannot be removed again');

    // The API has no workflow list: after the list is reloaded the workflow is still there, from memory.
    const api = await runwatchApi();
    await vscode.commands.executeCommand('runwatch.refreshNode', 'gloriaMundo');
    assert.deepEqual(
      api.service.accounts('gloriaMundo')?.map(a => [a.id, a.label]),
      [['wf_digest', 'Daily digest']],
    );
    assert.ok(findNode(await treeSnapshot({ depth: 2 }), 'GloriaMundo', 'Daily digest'), 'the workflow is gone after a refresh');
  });

  it('Start Run with JSON input → step progress in the tree and the status bar → succeeded with its cost → Show Result', async () => {
    await setKey('gloriaMundo');
    await addWorkflow('wf_digest', 'Daily digest');

    const { run, key, ui } = await startRun('Daily digest', '{"channel": "#daily-digest", "limit": 3}');
    // The input box refuses what is not a JSON object before anything is sent.
    const box = ui.inputPrompts[0];
    assert.ok(box?.validate, 'the input box has no validation');
    assert.equal((await box.validate('{"channel": '))?.severity, 'error', 'invalid JSON was accepted');
    assert.match((await box.validate('{"channel": '))!.message, /not valid JSON/i);
    assert.equal((await box.validate('[1, 2]'))?.severity, 'error', 'a JSON array was accepted');
    assert.equal((await box.validate('"just text"'))?.severity, 'error', 'a JSON string was accepted');
    assert.equal(await box.validate('{"a": 1}'), undefined, 'a JSON object was refused');
    assert.equal(box.validation, undefined, 'the typed input was refused');

    assert.equal(run.status, 'queued');
    const execute = handle.sim.requestsFor('gloriaMundo').find(r => r.method === 'POST' && r.path === '/workflows/wf_digest/execute');
    assert.equal(execute?.status, 200, 'Runwatch did not execute the workflow');

    let row = await runRow(key);
    // Under the workflow "Daily digest", the run is not "Daily digest" again: it is which run.
    assert.equal(row.label, `Run #${shortRunId(run.id)}`);
    assert.equal(row.icon, 'clock');
    assert.match(row.description ?? '', /queued/);

    // Two of five steps done, the third ("Generate content") running: the seed's 40 %.
    handle.sim.clock.advance(QUEUED_MS + 2 * STEP_MS + 5_000);
    await waitForRun(key, t => t.run.status === 'running' && t.run.progress?.index === 2, 'the run at step 2');
    row = await runRow(key);
    assert.equal(row.icon, 'loading~spin');
    assert.ok(row.description?.startsWith('step 2/5 · Generate content · 40%'), `run row reads "${row.description}"`);
    const bar = await waitFor(async () => {
      const text = await statusBarText();
      return text.includes('step 2/5') ? text : undefined;
    }, 5_000, 'the status bar to show the step');
    assert.ok(bar.startsWith('$(sync~spin) Daily digest · step 2/5 · Generate content · 40%'), `status bar reads "${bar}"`);

    // Every step done.
    handle.sim.clock.advance(3 * STEP_MS + 5_000);
    const done = await waitForRun(key, t => t.run.status === 'succeeded', 'the run to succeed');
    assert.equal(done.run.cost?.amount, 0.15);
    row = await runRow(key);
    assert.equal(row.icon, 'pass');
    assert.match(row.description ?? '', /\$0\.15/, `the finished row shows no cost: "${row.description}"`);
    assert.ok(!(await statusBarText()).includes('Daily digest'), 'the status bar still shows the finished run');
    assert.ok(rowActions(row.contextValue ?? '', 'inline').includes('runwatch.showResult'), `no inline Show Result on ${row.contextValue}`);
    assert.ok(findNode(row.children ?? [], 'Show result'), 'the finished run has no "Show result" row');

    await vscode.commands.executeCommand('runwatch.showResult', key);
    const { content, document } = await lastDocument('result');
    assert.equal(document.languageId, 'json');
    assert.equal(document.uri.scheme, 'runwatch');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), document.uri.toString(), 'the result is not the active editor');
    const shown = JSON.parse(content) as Record<string, unknown>;
    assert.deepEqual(shown.result, DIGEST_RESULT);
    assert.equal(shown.status, 'succeeded');
    assert.equal(shown.runId, run.id);
    assert.deepEqual(shown.cost, { amount: 0.15, currency: 'USD' });
    // Read-only: typing into its editor changes nothing (while typing into an ordinary editor does).
    const scratch = await vscode.workspace.openTextDocument({ content: '', language: 'plaintext' });
    await vscode.window.showTextDocument(scratch);
    await vscode.commands.executeCommand('type', { text: 'x' });
    assert.equal(scratch.getText(), 'x', 'typing reaches no editor, so the read-only check would prove nothing');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('type', { text: 'typed by the test' });
    await vscode.commands.executeCommand('editor.action.insertLineAfter');
    await new Promise(r => setTimeout(r, 200));
    assert.equal(document.getText(), content, 'the result document could be edited');
    assert.equal(document.isDirty, false);
  });

  it('a run that fails on a step: error row, the status bar error look until Show Error names the failing step', async () => {
    await setKey('gloriaMundo');
    await addWorkflow('wf_leads', 'Lead enrichment');
    const { key } = await startRun('Lead enrichment', '');

    // Halfway through step 3 of 4 ("Score leads", current_step 2) it fails.
    handle.sim.clock.advance(QUEUED_MS + 2 * 10_000 + 6_000);
    const failed = await waitForRun(key, t => t.run.status === 'failed', 'the run to fail');
    assert.equal(failed.run.error?.message, 'HubSpot connection expired. Please reconnect.');

    const row = await runRow(key);
    assert.equal(row.icon, 'error');
    assert.ok(row.description?.startsWith('failed at step 2/4 · Score leads'), `failed row reads "${row.description}"`);
    assert.match(row.description ?? '', /\$0\.06/);
    const errorRow = findNode(row.children ?? [], 'HubSpot connection expired. Please reconnect.');
    assert.ok(errorRow, `no error row under the run:\n${formatTree([row])}`);
    assert.equal(errorRow.description, 'in step 2/4 · Score leads');
    assert.equal(errorRow.command?.command, 'runwatch.showError');

    const api = await runwatchApi();
    await waitFor(async () => (await statusBarText()).includes('$(error)'), 5_000, 'the status bar to show the failure');
    assert.match(await statusBarText(), /^\$\(error\) Lead enrichment failed/, 'the workflow named once, not twice');
    assert.equal(api.statusBar.backgroundColor, 'statusBarItem.errorBackground');

    await vscode.commands.executeCommand('runwatch.showError', key);
    const { content, document } = await lastDocument('error');
    assert.equal(document.uri.scheme, 'runwatch');
    assert.match(content, /^Lead enrichment failed$/m, 'the workflow named once');
    assert.match(content, /HubSpot connection expired\. Please reconnect\./);
    assert.match(content, /^Failed in: step 2\/4 · Score leads$/m);
    assert.match(content, /^Cost: \$0\.06$/m);
    assert.match(content, /^What to do next$/m);
    assert.doesNotMatch(content, /\\[.[\]<>|*#]/, 'a Markdown escape shows in the text');

    // Looked at: the error look goes.
    await waitFor(() => api.statusBar.backgroundColor === undefined, 5_000, 'the status bar error look to clear after Show Error');
    assert.ok(!(await statusBarText()).includes('$(error)'));
  });

  it('Start Run confirmed twice at once (a double Enter on the last step) starts one run', async () => {
    await setKey('gloriaMundo');
    await addWorkflow('wf_digest', 'Daily digest');
    const api = await runwatchApi();
    // A slow network: the first start is still in flight when the second confirm arrives.
    handle.sim.addFault({ provider: 'gloriaMundo', method: 'POST', path: '/execute$', delayMs: 500 });
    // Each flow's picks are answered from what it offers, so the two may interleave in any order.
    const pick = (items: readonly vscode.QuickPickItem[]) => items.find(i => i.label === 'Daily digest' || i.label === 'Start');
    const json = '{"channel": "#daily-digest"}';
    const { runs, ui } = await withScriptedUi({ quickPicks: [pick, pick, pick, pick], inputs: [json, json] }, async ui => ({
      runs: await Promise.all([vscode.commands.executeCommand<Run>('runwatch.startRun'), vscode.commands.executeCommand<Run>('runwatch.startRun')]),
      ui,
    }));
    assert.deepEqual(
      ui.quickPickTitles.filter(t => t.endsWith('?')),
      ['Start Run workflow on Daily digest (GloriaMundo)?', 'Start Run workflow on Daily digest (GloriaMundo)?'],
      'both flows ended on the confirm step',
    );
    const executes = handle.sim.requestsFor('gloriaMundo').filter(r => r.method === 'POST' && r.path === '/workflows/wf_digest/execute');
    assert.equal(executes.length, 1, 'the second confirm started a second run');
    assert.ok(runs[0]?.id, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    assert.equal(runs[1]?.id, runs[0].id, 'the second confirm did not get the first one’s run');
    assert.deepEqual(
      api.service.store.forAccount('gloriaMundo', 'wf_digest').map(t => t.run.id),
      [runs[0].id],
    );
    assert.ok(!ui.messages.some(m => m.severity === 'error'), `an error was shown: ${JSON.stringify(ui.messages)}`);
  });

  it('a start whose answer is lost says it may have started and offers Track Run by ID on that workflow', async () => {
    await setKey('gloriaMundo');
    await addWorkflow('wf_digest', 'Daily digest');
    const api = await runwatchApi();
    // GloriaMundo creates the run, then the connection drops before its answer.
    handle.sim.addFault({ provider: 'gloriaMundo', method: 'POST', path: '/execute$', afterProvider: true, reset: true });
    const { result, ui } = await runCommand<Run>('Start Run', {
      quickPicks: ['Daily digest', 'Start'],
      inputs: ['{}', undefined],
      messageChoice: m => (m.items.includes('Track Run by ID') ? 'Track Run by ID' : undefined),
    });
    assert.equal(result, undefined);
    const shown = ui.messages.find(m => m.items.includes('Track Run by ID'));
    assert.ok(shown, `no "may have started" message with Track Run by ID: ${JSON.stringify(ui.messages)}`);
    assert.equal(shown.severity, 'warning');
    assert.match(shown.message, /^Run workflow on Daily digest \(GloriaMundo\) may have started: the answer did not arrive \(/);
    assert.match(shown.message, /GloriaMundo cannot list runs/);
    assert.ok(!ui.messages.some(m => m.severity === 'error'), `an error was shown as well: ${JSON.stringify(ui.messages)}`);
    const executes = handle.sim.requestsFor('gloriaMundo').filter(r => r.method === 'POST' && /\/execute$/.test(r.path));
    assert.equal(executes.length, 1, 'the start was sent again');
    // Track Run by ID opened on that workflow: straight to the run id box, no provider or workflow pick.
    assert.deepEqual(ui.quickPickTitles, ['Start Run', 'Start Run workflow on Daily digest (GloriaMundo)?']);
    assert.equal(ui.inputPrompts.at(-1)?.title, 'Track Run by ID on Daily digest');
    assert.equal(api.service.store.forAccount('gloriaMundo', 'wf_digest').length, 0);
  });

  it('Cancel Run says why GloriaMundo cannot cancel; no Cancel is offered on the row', async () => {
    await setKey('gloriaMundo');
    await addWorkflow('wf_digest', 'Daily digest');
    const { key } = await startRun('Daily digest', '{}');
    handle.sim.clock.advance(QUEUED_MS + 1_000);
    await waitForRun(key, t => t.run.status === 'running', 'the run to be running');

    const row = await runRow(key);
    assert.doesNotMatch(row.contextValue ?? '', /\.cancellable\b/);
    assert.ok(!rowActions(row.contextValue ?? '', 'inline').includes('runwatch.cancelRun'), `inline Cancel offered on ${row.contextValue}`);
    assert.ok(!rowActions(row.contextValue ?? '', 'context').includes('runwatch.cancelRun'), `Cancel in the row menu of ${row.contextValue}`);

    const before = handle.sim.requests.length;
    const { ui } = await runCommand('Cancel Run', {}, key);
    assert.ok(
      ui.messages.some(m => /GloriaMundo runs cannot be cancelled from Runwatch: The GloriaMundo API has no cancel endpoint/.test(m.message)),
      `Cancel did not say why: ${JSON.stringify(ui.messages)}`,
    );
    assert.ok(!handle.sim.requests.slice(before).some(r => r.method !== 'GET'), 'Cancel sent something to GloriaMundo');
    const api = await runwatchApi();
    assert.equal(api.service.store.get(key)?.run.status, 'running');
  });
});
