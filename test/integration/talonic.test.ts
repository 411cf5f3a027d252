// Talonic in the real VS Code, as a user drives it: a key through "Set API Key", Specs listed as accounts,
// Start Run on a Spec with document ids, `15/24 docs · 1 error` on the run row and documents in the status
// bar while the simulator's clock moves on, the phases from the response as children with their counts,
// per-document error rows, Show Error listing the failed documents, "Create Data Product" on the finished
// run (share token in the document, never in the log), a key without the write scope named as such, and
// Cancel explained (Talonic documents none).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shortRunId } from '../../src/core/labels';
import type { Run } from '../../src/core/run';
import { TALONIC_RAILS, type TalonicSim } from '../simulator/talonic';
import {
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
} from './helpers';

const DOCUMENTS = Array.from({ length: 24 }, (_, i) => `doc_inv_${String(i + 1).padStart(2, '0')}`);
/** The tenth document fails in extraction (the seed's example). */
const FAILING = { index: 9, phase: 'extraction', message: 'Extraction failed after 3 attempts.' };

describe('Talonic in VS Code', () => {
  let handle: SimulatorHandle;
  let talonic: TalonicSim;

  before(async () => {
    await resetRunwatch();
    handle = await startSimulator({ timeScale: 0 });
    talonic = handle.sim.provider<TalonicSim>('talonic');
  });

  after(async () => {
    await resetRunwatch();
    await handle?.dispose();
  });

  beforeEach(async () => {
    await resetRunwatch();
    handle.sim.reset();
    talonic.addSpec({ name: 'Invoices', description: 'Supplier invoices → AP ledger', rail: TALONIC_RAILS.standard() });
    talonic.addSpec({ name: 'Contracts', description: 'Vendor contracts', rail: TALONIC_RAILS.twoResolutions() });
    // Exact durations (transfer 1 s, extraction 4 s, resolution 2 s, validation 1 s, then assembly 3 s),
    // one document entering the rail per second: the test knows what each moment shows.
    talonic.options.plan = { staggerMs: 1_000, jitter: false, failures: [FAILING] };
  });

  afterEach(async () => {
    await resetRunwatch();
  });

  /** Start Run from the palette on a Spec with these document ids, and a name through "Set optional fields…". */
  async function startPipeline(spec: string, documentIds: string[], name: string) {
    const { result, ui } = await runCommand<Run>('Start Run', { quickPicks: [spec, 'Set optional fields…', 'Start'], inputs: [documentIds.join(', '), name] });
    assert.ok(result, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    return { run: result, key: `talonic:${result.id}`, ui };
  }

  it('lists the Specs as its accounts', async () => {
    await setKey('talonic');
    const tree = await treeSnapshot({ depth: 2 });
    const provider = findNode(tree, 'Talonic');
    assert.deepEqual(provider?.children?.map(c => [c.label, c.description]), [
      ['Invoices', 'Supplier invoices → AP ledger'],
      ['Contracts', 'Vendor contracts'],
    ], `Talonic shows:\n${formatTree(tree)}`);
    assert.ok(handle.sim.requestsFor('talonic', /^\/v1\/specs$/).some(r => r.status === 200 && r.auth === 'bearer'));
  });

  it('Start Run with document ids → "15/24 docs · 1 error" with phase children and document error rows → finished → Show Error → Create Data Product', async () => {
    await setKey('talonic');
    const { run, key, ui } = await startPipeline('Invoices', DOCUMENTS, 'March invoices');
    assert.deepEqual(ui.inputPrompts.map(p => p.title), ['Run pipeline: Document ids', 'Run pipeline: Pipeline name (optional)']);
    const post = handle.sim.requestsFor('talonic', /^\/v1\/pipelines$/).find(r => r.method === 'POST');
    assert.equal(post?.status, 201);
    const pipeline = talonic.pipelines.find(p => p.id === run.id);
    assert.deepEqual(pipeline?.documents.map(d => d.documentId), DOCUMENTS, 'Talonic did not get the document ids as typed');
    assert.equal(pipeline?.name, 'March invoices');

    let row = await runRow(key);
    assert.equal(row.label, `March invoices #${shortRunId(run.id)}`);
    assert.ok(findNode(await treeSnapshot({ depth: 3 }), 'Talonic', 'Invoices', row.label), 'the run is not under its Spec');

    // 23.5 s in: documents 1–16 but the tenth completed, the tenth failed in extraction, the rest in flight.
    handle.sim.clock.advance(23_500);
    await waitForRun(key, t => t.run.progress?.documents?.completed === 15, 'fifteen documents completed');
    row = await runRow(key);
    assert.equal(row.icon, 'loading~spin');
    assert.ok(row.description?.startsWith('15/24 docs · 1 error'), `run row reads "${row.description}"`);
    const bar = await waitFor(async () => {
      const text = await statusBarText();
      return text.includes('docs') ? text : undefined;
    }, 5_000, 'the status bar to count documents');
    assert.ok(bar.startsWith('$(sync~spin) Invoices · 15/24 docs'), `status bar reads "${bar}"`);

    const children = row.children ?? [];
    const phases = children.filter(c => c.contextValue === 'stage');
    assert.deepEqual(phases.map(p => p.label), ['Transfer', 'Extraction', 'Resolution', 'Validation', 'Assembly'], `phases:\n${formatTree([row])}`);
    const extraction = findNode(phases, 'Extraction')!;
    assert.equal(extraction.icon, 'loading~spin');
    assert.match(extraction.description ?? '', /4 running/);
    assert.match(extraction.description ?? '', /1 error\b/);
    const assembly = findNode(phases, 'Assembly')!;
    assert.equal(assembly.icon, 'circle-outline', `assembly should be pending: ${assembly.description}`);
    const docErrors = children.filter(c => c.contextValue === 'runError' && c.icon === 'file');
    assert.equal(docErrors.length, 1, `document error rows:\n${formatTree([row])}`);
    const failedDoc = DOCUMENTS[FAILING.index];
    assert.equal(docErrors[0].label, failedDoc, `the error row does not name the document: "${docErrors[0].label}"`);
    assert.equal(docErrors[0].description, 'Extraction · Extraction failed after 3 attempts.');
    assert.equal(docErrors[0].command?.command, 'runwatch.showError');

    // Every document done at 31 s, assembly (3 s) done at 34 s: terminal, whatever `status` says.
    handle.sim.clock.advance(15_000);
    const done = await waitForRun(key, t => t.run.status === 'succeeded', 'the pipeline to finish');
    assert.equal(done.run.rawStatus, 'active', 'the simulator plays the documented always-"active" status');
    row = await runRow(key);
    assert.equal(row.icon, 'pass');
    assert.ok(row.description?.startsWith('23/24 docs · 1 error'), `finished row reads "${row.description}"`);
    assert.equal(findNode(row.children ?? [], 'Assembly')?.icon, 'pass');
    assert.ok(!(await statusBarText()).includes('March invoices') && !(await statusBarText()).includes('docs'), 'the status bar still shows the pipeline');
    assert.match(row.contextValue ?? '', /\.dataProduct\b/);
    assert.ok(rowActions(row.contextValue ?? '', 'context').includes('runwatch.createDataProduct'));

    await vscode.commands.executeCommand('runwatch.showError', key);
    const error = (await lastDocument('error')).content;
    assert.match(error, /^Document errors \(1\)$/m);
    assert.ok(error.includes(`\n${failedDoc}`), `Show Error does not name ${failedDoc}:\n${error}`);
    assert.match(error, / Extraction +Extraction failed after 3 attempts\.$/m);

    const { result, ui: productUi } = await runCommand<{ hasShareToken: boolean }>('Create Data Product', { inputs: ['March AP data'] }, key);
    assert.equal(result?.hasShareToken, true, `no data product: ${JSON.stringify(productUi.messages)}`);
    const token = talonic.pipelines.find(p => p.id === run.id)?.dataProduct?.token;
    assert.ok(token, 'Talonic made no share token');
    const product = await lastDocument('dataProduct');
    assert.equal(product.document.uri.scheme, 'runwatch');
    assert.match(product.content, /^Data product from March invoices on Invoices$/m);
    assert.match(product.content, /March AP data/);
    assert.ok(product.content.includes(token), 'the document does not show the share token');

    const log = await waitFor(async () => {
      const text = await runwatchLogText();
      return text.includes(`Created a data product from pipeline ${run.id}`) ? text : undefined;
    }, 5_000, 'the log to record the data product');
    assert.ok(!log.includes(token), 'the share token is in the Runwatch log');
    for (const m of productUi.messages) assert.ok(!m.message.includes(token), `a message shows the token: ${m.message}`);
  });

  it('a pipeline whose documents all fail is failed; Show Error lists each, one that failed before any phase too', async () => {
    await setKey('talonic');
    talonic.options.plan = {
      staggerMs: 1_000,
      jitter: false,
      failures: [
        { index: 0, phase: null, message: 'Unsupported file type.' },
        { index: 1, phase: 'extraction', message: 'Extraction failed after 3 attempts.' },
        { index: 2, phase: 'validation', message: 'Total does not match the line items.' },
      ],
    };
    const documents = ['doc_scan_a', 'doc_scan_b', 'doc_scan_c'];
    const { key } = await startPipeline('Invoices', documents, 'Bad scans');

    handle.sim.clock.advance(12_000);
    const failed = await waitForRun(key, t => t.run.status === 'failed', 'the pipeline to fail');
    assert.equal(failed.run.error?.message, 'All 3 documents failed.');
    const row = await runRow(key);
    assert.equal(row.icon, 'error');
    assert.ok(row.description?.startsWith('0/3 docs · 3 errors'), `failed row reads "${row.description}"`);
    const docErrors = (row.children ?? []).filter(c => c.contextValue === 'runError' && c.icon === 'file');
    assert.deepEqual(
      docErrors.map(r => [r.label, r.description]),
      [
        ['doc_scan_a', 'before any phase · Unsupported file type.'],
        ['doc_scan_b', 'Extraction · Extraction failed after 3 attempts.'],
        ['doc_scan_c', 'Validation · Total does not match the line items.'],
      ],
    );
    assert.doesNotMatch(row.contextValue ?? '', /\.dataProduct\b/, 'a pipeline without a completed document offers a data product');

    await vscode.commands.executeCommand('runwatch.showError', key);
    const { content } = await lastDocument('error');
    assert.match(content, /^Bad scans on Invoices failed$/m);
    assert.match(content, /All 3 documents failed\./);
    assert.match(content, /^Document errors \(3\)$/m);
    for (const doc of documents) assert.ok(content.includes(`\n${doc}`), `Show Error does not list ${doc}`);
    assert.match(content, / before any phase +Unsupported file type\.$/m);

    const { ui } = await runCommand('Create Data Product', {}, key);
    assert.ok(ui.messages.some(m => /needs at least one completed document/.test(m.message)), JSON.stringify(ui.messages));
    assert.ok(!handle.sim.requestsFor('talonic', /data-product$/).length, 'Runwatch asked Talonic for a data product anyway');
  });

  it('a key without the write scope: Start Run says which scope is missing', async () => {
    const readOnlyKey = 'tlnc_live_readonly7c6d5e4f3a2b1c0d9e8f';
    talonic.addKey(readOnlyKey, ['read']);
    try {
      const keyUi = await setKey('talonic', readOnlyKey);
      assert.ok(keyUi.messages.some(m => /Talonic key works/.test(m.message)), 'a read-only key fails the key check');
      const { result, ui } = await runCommand<Run>('Start Run', { quickPicks: ['Invoices', 'Start'], inputs: ['doc_1, doc_2'] });
      assert.equal(result, undefined);
      const shown = ui.messages.find(m => m.severity === 'error');
      assert.ok(shown, `no error shown: ${JSON.stringify(ui.messages)}`);
      assert.match(shown.message, /lacks the write scope/);
      assert.match(shown.message, /Create a key with the write scope/);
      assert.match(shown.message, /request req_[0-9a-f]+/);
      assert.ok(!shown.message.includes(readOnlyKey));
      const api = await runwatchApi();
      assert.equal(api.service.store.forProvider('talonic').length, 0, 'a run was tracked although none started');
    } finally {
      await resetRunwatch();
      talonic.keys.delete(readOnlyKey);
    }
  });

  it('Cancel Run says why Talonic cannot cancel; no Cancel is offered on the row', async () => {
    await setKey('talonic');
    const { key } = await startPipeline('Invoices', DOCUMENTS.slice(0, 4), 'Small batch');
    handle.sim.clock.advance(2_000);
    await waitForRun(key, t => t.run.status === 'running', 'the pipeline to be running');

    const row = await runRow(key);
    assert.doesNotMatch(row.contextValue ?? '', /\.cancellable\b/);
    assert.ok(!rowActions(row.contextValue ?? '', 'inline').includes('runwatch.cancelRun'), `inline Cancel offered on ${row.contextValue}`);
    assert.ok(!rowActions(row.contextValue ?? '', 'context').includes('runwatch.cancelRun'));

    const before = handle.sim.requests.length;
    const { ui } = await runCommand('Cancel Run', {}, key);
    assert.ok(
      ui.messages.some(m => /Talonic runs cannot be cancelled from Runwatch: Talonic documents no way to cancel a pipeline run/.test(m.message)),
      `Cancel did not say why: ${JSON.stringify(ui.messages)}`,
    );
    assert.ok(!handle.sim.requests.slice(before).some(r => r.method !== 'GET'), 'Cancel sent something to Talonic');
  });
});
