// A finished run keeps everything the provider told about it (issue 11), as a user sees it in the real VS Code:
// a Talonic pipeline of six documents, one failing in extraction and one before any phase, followed to its
// end and then left through two reloads of its Spec's pipeline list (which carries no progress). The row
// still reads "4/6 docs · 2 errors" with a warning-coloured check, its phases and both error rows are still
// there, Show Error offers it and lists both messages, and the notification said it finished with errors.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { TALONIC_RAILS, type TalonicSim } from '../simulator/talonic';
import {
  lastDocument,
  resetRunwatch,
  rowActions,
  runCommand,
  runRow,
  runwatchApi,
  setKey,
  startSimulator,
  treeSnapshot,
  waitFor,
  waitForRun,
  type RunwatchApi,
  type SimulatorHandle,
} from './helpers';

/** Short enough that two list reloads pass within a test, long enough not to crowd the machine. */
const LIST_REFRESH_MS = 1_000;
const EXTRACTION_FAILURE = 'Extraction failed after 3 attempts.';
const UNREADABLE_FAILURE = 'Unsupported file type: .heic';

describe('A partly failed Talonic pipeline in VS Code', () => {
  let handle: SimulatorHandle;
  let talonic: TalonicSim;
  let api: RunwatchApi;

  before(async () => {
    await resetRunwatch();
    handle = await startSimulator({ timeScale: 0 });
    talonic = handle.sim.provider<TalonicSim>('talonic');
    api = await runwatchApi();
    await api.reloadForTests({ listRefreshMs: LIST_REFRESH_MS });
  });

  after(async () => {
    await resetRunwatch();
    // The normal list period again for the tests that follow.
    await api?.reloadForTests();
    await handle?.dispose();
  });

  it('keeps its row, phases, error rows and Show Error document through two list refreshes after it ends', async () => {
    handle.sim.reset();
    const spec = talonic.addSpec({ name: 'Invoices', rail: TALONIC_RAILS.standard() });
    const pipeline = talonic.addPipeline(spec, {
      documents: 6,
      name: 'Six scans',
      plan: {
        staggerMs: 1_000,
        jitter: false,
        failures: [
          { index: 2, phase: 'extraction', message: EXTRACTION_FAILURE },
          { index: 4, phase: null, message: UNREADABLE_FAILURE },
        ],
      },
    });
    const key = `talonic:${pipeline.id}`;
    const [extractionDoc, unreadableDoc] = [pipeline.documents[2].documentId, pipeline.documents[4].documentId];

    // The list refresh runs while the Runs view is visible.
    await vscode.commands.executeCommand('runwatch.runs.focus');
    await waitFor(() => api.treeView.visible, 5_000, 'the Runs view visible');
    await setKey('talonic');
    await treeSnapshot();
    await waitFor(() => api.service.store.get(key), 10_000, 'the pipeline listed under its Spec');

    // Six documents one second apart, 8 s of phases each, 3 s of assembly: done well within a minute.
    handle.sim.clock.advance(60_000);
    await waitForRun(key, t => t.run.status === 'succeeded', 'the pipeline to finish');

    const listed = () => handle.sim.requestsFor('talonic', /^\/v1\/pipelines$/).filter(r => r.method === 'GET' && r.status === 200).length;
    const before = listed();
    await waitFor(() => listed() >= before + 2, 15 * LIST_REFRESH_MS, 'two reloads of the pipeline list');

    const tracked = api.service.store.get(key)!;
    assert.equal(tracked.run.status, 'succeeded', 'the list’s "active" moved the finished pipeline back');
    const row = await runRow(key);
    assert.ok(row.description?.startsWith('4/6 docs · 2 errors'), `finished row reads "${row.description}"`);
    const item = api.tree.getTreeItem(api.tree.runNode(key)!);
    const icon = item.iconPath as vscode.ThemeIcon;
    assert.equal(icon.id, 'pass');
    assert.equal(icon.color?.id, 'problemsWarningIcon.foreground', 'a run with document errors looks like one that fully succeeded');

    const children = row.children ?? [];
    assert.deepEqual(
      children.filter(c => c.contextValue === 'stage').map(c => c.label),
      ['Transfer', 'Extraction', 'Resolution', 'Validation', 'Assembly'],
      'the phase rows are gone',
    );
    const docErrors = children.filter(c => c.contextValue === 'runError' && c.icon === 'file');
    const byLabel = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
    assert.deepEqual(
      docErrors.map(r => [r.label, r.description ?? '']).sort(byLabel),
      [
        [extractionDoc, `Extraction · ${EXTRACTION_FAILURE}`],
        [unreadableDoc, `before any phase · ${UNREADABLE_FAILURE}`],
      ].sort(byLabel),
      'the document error rows are gone',
    );
    assert.ok(rowActions(row.contextValue ?? '', 'context').includes('runwatch.showError'), `Show Error is not in the row's menu (${row.contextValue})`);

    // Show Error from the palette offers it, and its document lists both failures.
    const { ui } = await runCommand('Show Error', { quickPicks: [items => items.find(i => i.label.includes('Six scans'))] });
    assert.deepEqual(ui.messages, [], 'Show Error offered nothing');
    const { content } = await lastDocument('error');
    assert.match(content, /^Document errors \(2\)$/m);
    const rowOf = (doc: string) => content.split('\n').find(l => l.startsWith(doc)) ?? '';
    assert.match(rowOf(extractionDoc), new RegExp(`\\sExtraction\\s+${escapeRegExp(EXTRACTION_FAILURE)}$`), `Show Error does not list the extraction failure:\n${content}`);
    assert.match(rowOf(unreadableDoc), new RegExp(`\\sbefore any phase\\s+${escapeRegExp(UNREADABLE_FAILURE)}$`), `Show Error does not list the failure before any phase:\n${content}`);

    api.notifier.flush();
    const told = api.notifier.shown.map(n => n.message);
    assert.ok(told.some(m => /Six scans.* finished with 2 document errors/.test(m)), `notifications: ${JSON.stringify(told)}`);
    assert.ok(!told.some(m => /Six scans.* succeeded$/.test(m)), `the notification says only "succeeded": ${JSON.stringify(told)}`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
