// Start Run, Set API Key and Track Run by ID as one multi-step quick input each, driven as a user would: step
// counts, Back that keeps what was typed, the busy look while lists load, validation as typed, required fields
// first with "Start" right after them, the last values offered on the next start, a JSON field edited in a JSON
// editor, and Track Run by ID without an account where the provider's status call needs none.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shortRunId } from '../../src/core/labels';
import type { Run } from '../../src/core/run';
import type { AutomindzSim } from '../simulator/automindz';
import type { GloriaMundoSim } from '../simulator/gloriaMundo';
import type { SimRequest } from '../simulator/server';
import { TALONIC_RAILS, type TalonicSim } from '../simulator/talonic';
import {
  findNode,
  formatTree,
  PRESS_BACK,
  resetRunwatch,
  runCommand,
  runwatchApi,
  setKey,
  SIM_KEYS,
  startSimulator,
  treeSnapshot,
  type QuickInputStep,
  type SimulatorHandle,
} from './helpers';

/** [title, step, totalSteps, Back offered] of each step answered. */
const counts = (steps: QuickInputStep[]) => steps.map(s => [s.title, s.step, s.totalSteps, s.back]);

describe('Multi-step quick inputs: Start Run, Set API Key, Track Run by ID', () => {
  let handle: SimulatorHandle;
  let talonic: TalonicSim;
  let gm: GloriaMundoSim;
  let amz: AutomindzSim;
  let amzBodies: Record<string, unknown>[];

  before(async () => {
    await resetRunwatch();
    handle = await startSimulator({ timeScale: 0 });
    talonic = handle.sim.provider<TalonicSim>('talonic');
    gm = handle.sim.provider<GloriaMundoSim>('gloriaMundo');
    amz = handle.sim.provider<AutomindzSim>('automindz');
    const original = amz.handle.bind(amz);
    amz.handle = (req: SimRequest) => {
      if (req.method === 'POST' && /hiring-signals\/leavers$/.test(req.path)) amzBodies.push(req.body as Record<string, unknown>);
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
    amzBodies = [];
    talonic.addSpec({ name: 'Invoices', description: 'Supplier invoices → AP ledger', rail: TALONIC_RAILS.standard() });
    talonic.addSpec({ name: 'Contracts', description: 'Vendor contracts', rail: TALONIC_RAILS.twoResolutions() });
    gm.addWorkflow('wf_digest', { name: 'Daily digest', steps: ['Fetch emails', 'Summarize'], durations: 20_000, queuedMs: 1_500, result: { ok: true } });
  });

  afterEach(async () => {
    await resetRunwatch();
  });

  it('Set API Key: provider 1/2 → key 2/2; Back returns to the provider and keeps the typed key', async () => {
    const { ui } = await runCommand('Set API Key', {
      quickPicks: ['Talonic', 'Talonic'],
      inputs: [{ typeThenBack: 'tlnc_live_half' }, SIM_KEYS.talonic],
    });
    assert.deepEqual(counts(ui.steps), [
      ['Set API Key', 1, 2, false],
      ['Talonic API key', 2, 2, true],
      ['Set API Key', 1, 2, false],
      ['Talonic API key', 2, 2, true],
    ]);
    assert.equal(ui.steps[1].password, true, 'the key box shows what is typed');
    assert.equal(ui.steps[2].active, 'Talonic', 'back on the provider step, the provider chosen is not highlighted');
    assert.equal(ui.steps[3].value, 'tlnc_live_half', 'the key typed before Back is gone');
    assert.ok(ui.messages.some(m => m.message === 'Talonic key works.'), JSON.stringify(ui.messages));
    assert.equal((await runwatchApi()).hasKey('talonic'), true);
  });

  it('Start Run counts its steps, loads busy, and Back keeps what was typed, also across "Set optional fields…"', async () => {
    await setKey('talonic');
    await setKey('gloriaMundo'); // a second keyed provider, so Start Run asks which one
    const { result, ui } = await runCommand<Run>('Start Run', {
      quickPicks: ['Talonic', PRESS_BACK, 'Talonic', 'Invoices', 'Invoices', 'Set optional fields…', 'Start'],
      inputs: [{ typeThenBack: 'doc_1, doc_2' }, 'doc_1, doc_2, doc_3', 'March'],
    });
    assert.ok(result, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    const confirm = 'Start Run pipeline on Invoices (Talonic)?';
    assert.deepEqual(counts(ui.steps), [
      ['Start Run', 1, 4, false], // provider
      ['Start Run', 2, 4, true], // spec; Back → provider
      ['Start Run', 1, 4, false],
      ['Start Run', 2, 4, true], // the only pipeline kind is taken without asking
      ['Run pipeline: Document ids', 3, 4, true], // typed, then Back
      ['Start Run', 2, 4, true],
      ['Run pipeline: Document ids', 3, 4, true],
      [confirm, 4, 4, true],
      ['Run pipeline: Pipeline name (optional)', 5, 6, true],
      [confirm, 6, 6, true],
    ]);
    assert.ok(ui.steps[1].wasBusy, 'the Spec list was not busy while it loaded');
    assert.equal(ui.steps[5].active, 'Invoices', 'back on the Spec step, the Spec chosen is not highlighted');
    assert.equal(ui.steps[6].value, 'doc_1, doc_2', 'the document ids typed before Back are gone');
    assert.deepEqual(ui.steps[7].items, ['Start', 'Set optional fields…', 'Cancel']);
    assert.deepEqual(ui.steps[9].items, ['Start', 'Set optional fields…', 'Cancel']);
    const pipeline = talonic.pipelines.find(p => p.id === result.id);
    assert.deepEqual(pipeline?.documents.map(d => d.documentId), ['doc_1', 'doc_2', 'doc_3']);
    assert.equal(pipeline?.name, 'March');
    // Validation as typed: the required box says so when empty.
    assert.deepEqual(await ui.inputPrompts[0].validate?.(''), { message: 'Document ids is required', severity: 'error' });
  });

  it('Automindz: the required fields, then "Start": 5 boxes instead of 14; the next start offers the last values and asks 2', async () => {
    await setKey('automindz');
    const secrets = ['aiark_sk_3f9a7c1e5b2d', 'exa_sk_8d2b6f0a4c7e', 'sk-or-v1-5c1e9a3f7b2d'];
    const first = await runCommand<Run>('Start Run', { quickPicks: ['Start'], inputs: ['Acme', 'software development', ...secrets] });
    assert.ok(first.result, `Start Run returned no run; it said: ${JSON.stringify(first.ui.messages)}`);
    assert.deepEqual(
      first.ui.inputPrompts.map(p => [p.title, p.password ?? false]),
      [
        ['Find leavers: Organisation name', false],
        ['Find leavers: Industries', false],
        ['Find leavers: AI Ark API key', true],
        ['Find leavers: Exa API key', true],
        ['Find leavers: OpenRouter API key', true],
      ],
      'Start Run asked more than the required fields',
    );
    assert.deepEqual(counts(first.ui.steps).map(([, step, total]) => `${step}/${total}`), ['1/6', '2/6', '3/6', '4/6', '5/6', '6/6']);
    const confirm = first.ui.steps.at(-1);
    assert.deepEqual(confirm?.items, ['Start', 'Set optional fields…', 'Cancel']);
    assert.deepEqual(amzBodies.length, 1);
    assert.deepEqual(Object.keys(amzBodies[0]).sort(), ['ai_ark_api_key', 'exa_api_key', 'industries', 'openrouter_api_key', 'org_name'], 'optional fields were sent');

    // The next start on that pipeline: the last values are the boxes' defaults, the stored keys are not asked.
    const second = await runCommand<Run>('Start Run', { quickPicks: ['Start'], inputs: ['Acme', 'software development'] });
    assert.ok(second.result, `the second Start Run returned no run; it said: ${JSON.stringify(second.ui.messages)}`);
    assert.deepEqual(
      second.ui.inputPrompts.map(p => [p.title, p.value]),
      [
        ['Find leavers: Organisation name', 'Acme'],
        ['Find leavers: Industries', 'software development'],
      ],
    );
    assert.equal(amzBodies[1].ai_ark_api_key, secrets[0], 'the stored key was not used');
    // Presets never hold a secret: nothing shown on the second start carries one.
    const shown = JSON.stringify(second.ui);
    for (const secret of secrets) assert.ok(!shown.includes(secret), 'a third-party key was offered as a default');
  });

  it('validation as typed: numbers, JSON lists, and a number box refusing text', async () => {
    await setKey('automindz');
    const secrets = ['aiark_sk_1111', 'exa_sk_2222', 'sk-or-v1-3333'];
    // Optional fields: a number, then Escape on the next box (nothing starts).
    const { result, ui } = await runCommand<Run>('Start Run', {
      quickPicks: ['Set optional fields…'],
      inputs: ['Acme', 'software development', ...secrets, '25', undefined],
    });
    assert.equal(result, undefined, 'Escape started a run');
    assert.equal(amzBodies.length, 0, 'Escape sent a start');
    const limit = ui.inputPrompts.find(p => p.title === 'Find leavers: Limit (optional)');
    assert.ok(limit?.validate, 'no limit box');
    assert.deepEqual(await limit.validate('many'), { message: 'Limit must be a number', severity: 'error' });
    assert.equal(await limit.validate('25'), undefined);
    assert.equal(await limit.validate(''), undefined, 'an optional box refuses to stay empty');
    const industries = ui.inputPrompts.find(p => p.title === 'Find leavers: Industries');
    assert.deepEqual(await industries?.validate?.('  '), { message: 'Industries is required', severity: 'error' });
  });

  it('Track Run by ID on GloriaMundo asks no workflow first: run id, then where to file it (optional)', async () => {
    await setKey('gloriaMundo');
    const elsewhere = gm.startRun('wf_digest');
    const unfiled = await runCommand<Run>('Track Run by ID', { inputs: [elsewhere] });
    assert.equal(unfiled.result?.id, elsewhere, `Track Run by ID returned ${JSON.stringify(unfiled.result)}; it said ${JSON.stringify(unfiled.ui.messages)}`);
    // No workflows added yet: nothing to file it under, so only the run id was asked.
    assert.deepEqual(counts(unfiled.ui.steps), [['Track Run by ID', 1, 2, false]]);
    let tree = await treeSnapshot({ depth: 3 });
    assert.ok(findNode(tree, 'GloriaMundo', 'Tracked by ID', `Run #${shortRunId(elsewhere)}`), `the run is not listed as tracked by id:\n${formatTree(tree)}`);

    // With a workflow added, the run can be filed under it, or under none.
    await runCommand('Add Brand or Workflow…', { inputs: ['wf_digest', 'Daily digest'] }, 'gloriaMundo');
    const another = gm.startRun('wf_digest');
    const filed = await runCommand<Run>('Track Run by ID', { quickPicks: ['Daily digest'], inputs: [another] });
    assert.equal(filed.result?.id, another, JSON.stringify(filed.ui.messages));
    assert.deepEqual(counts(filed.ui.steps), [
      ['Track Run by ID', 1, 2, false],
      ['Track Run by ID', 2, 2, true],
    ]);
    assert.deepEqual(filed.ui.steps[1].items, ['$(circle-slash) Under no workflow', 'Daily digest'], 'filing is not optional');
    assert.ok(!filed.ui.steps.some(s => s.type === 'pick' && s.step === 1), 'a workflow was asked before the run id');
    tree = await treeSnapshot({ depth: 3 });
    assert.ok(findNode(tree, 'GloriaMundo', 'Daily digest', `Run #${shortRunId(another)}`), `the run is not under its workflow:\n${formatTree(tree)}`);
    // "Tracked by ID" is no workflow: it is not remembered, and Start Run does not offer it.
    const api = await runwatchApi();
    const start = await runCommand<Run>('Start Run', { quickPicks: [undefined] });
    assert.deepEqual(start.ui.steps[0]?.items, ['Daily digest', '$(add) Add workflow…'], `Start Run offers: ${JSON.stringify(start.ui.steps[0]?.items)}`);
    assert.ok(api.service.accounts('gloriaMundo')?.some(a => a.label === 'Tracked by ID'));
  });

  it('a JSON field opens in a JSON editor, is checked as it is edited, and is taken from there', async () => {
    await setKey('gloriaMundo');
    await runCommand('Add Brand or Workflow…', { inputs: ['wf_digest', 'Daily digest'] }, 'gloriaMundo');
    const edit = async (text: string) => {
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor && editor.document.languageId === 'json' && editor.document.isUntitled, 'no untitled JSON editor is open');
      const all = new vscode.Range(editor.document.positionAt(0), editor.document.positionAt(editor.document.getText().length));
      await editor.edit(b => b.replace(all, text));
    };
    const details: string[] = [];
    const { result, ui } = await runCommand<Run>('Start Run', {
      quickPicks: [
        'Daily digest',
        async (_items, current) => {
          await edit('{"channel": "#digest"');
          for (let i = 0; i < 100 && !/error/.test(current()[0]?.detail ?? ''); i++) await new Promise(r => setTimeout(r, 20));
          details.push(current()[0]?.detail ?? '');
          await edit('{"channel": "#digest"}');
          for (let i = 0; i < 100 && !/pass/.test(current()[0]?.detail ?? ''); i++) await new Promise(r => setTimeout(r, 20));
          details.push(current()[0]?.detail ?? '');
          return current()[0];
        },
        'Start',
      ],
      inputs: [{ button: 'Edit in a JSON editor…' }],
    });
    assert.ok(result, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    assert.match(details[0], /^\$\(error\) Not valid JSON/, 'broken JSON was not flagged while editing');
    assert.equal(details[1], '$(pass) Valid JSON');
    assert.deepEqual(ui.steps.find(s => s.type === 'input')?.buttons, ['Edit in a JSON editor…']);
    const api = await runwatchApi();
    assert.deepEqual(api.service.store.get(`gloriaMundo:${result.id}`)?.run.input, { kindId: 'run', values: { input: { channel: '#digest' } } });
  });
});
