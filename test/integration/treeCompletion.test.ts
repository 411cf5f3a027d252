// A completion in the rendered Runs view redraws the run's row, not its brand's 1,000 (here 200) runs: VS Code
// re-lists every child of a row it redraws, so the brand row's "n active" follows on the next age redraw while
// the brand is expanded, and at once while it is collapsed (a collapsed row redraws without listing its runs) or
// holds few runs (re-listing a few rows costs nothing a user would notice).
// Calls are counted where the workbench makes them: on the TreeDataProvider Runwatch registered.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunwatchNode } from '../../src/vscode/tree/node';
import { runwatchApi, setKey, waitFor, type RunwatchApi } from './helpers';
import { boringMarketingWorld, pause, runKey } from './engineHelpers';

const BM = 'boringMarketing' as const;
const RUNS = 200;

describe('Tree: a completion under a brand of many active runs', function () {
  this.timeout(120_000);
  const world = boringMarketingWorld();
  let api: RunwatchApi;
  const calls = { children: 0, items: 0, ageRedraws: 0 };
  let restore: (() => void) | undefined;

  before(async () => {
    api = await runwatchApi();
  });

  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  /** Counts the workbench's calls from here on. */
  function countCalls(): void {
    const { tree } = api;
    const original = { getChildren: tree.getChildren, getTreeItem: tree.getTreeItem };
    // The 30 s age redraw re-lists the brand's runs by design; one that falls inside a measurement is counted,
    // so that measurement can be taken again instead of blamed on the completion.
    const withAge = tree as unknown as { redrawActiveRows(): void };
    const ageRedraw = withAge.redrawActiveRows;
    withAge.redrawActiveRows = function () {
      calls.ageRedraws++;
      return ageRedraw.call(this);
    };
    tree.getChildren = function (node?: RunwatchNode) {
      calls.children++;
      return original.getChildren.call(this, node);
    };
    tree.getTreeItem = function (node: RunwatchNode) {
      calls.items++;
      return original.getTreeItem.call(this, node);
    };
    restore = () => {
      Object.assign(tree, { getChildren: original.getChildren, getTreeItem: original.getTreeItem });
      delete (withAge as { redrawActiveRows?: unknown }).redrawActiveRows;
    };
  }

  async function renderedBrand(runs = RUNS): Promise<{ keys: string[]; brandDescription: () => string | undefined }> {
    const { bm, acme } = world.current;
    const ids = Array.from({ length: runs }, (_, i) => bm.addRun(acme.id, { kind: 'full', status: 'running', stage: 'evidence_collection', inStageMs: i * 1000, queuedMs: 0, durationMs: 10 * 3600_000 }).id);
    countCalls();
    await setKey(BM);
    await waitFor(() => api.service.store.forAccount(BM, acme.id).length === runs, 20_000, `${runs} runs listed`);
    await vscode.commands.executeCommand('runwatch.runs.focus');
    await waitFor(() => api.treeView.visible, 10_000, 'the Runs view visible');
    const account = api.service.accounts(BM)!.find(a => a.id === acme.id)!;
    await api.tree.revealAccount(BM, account);
    await waitFor(() => calls.items >= runs, 20_000, "the workbench to render the brand's runs");
    await pause(1_000);
    const brand = api.tree.accountNode(BM, account);
    return { keys: ids.map(id => runKey(BM, id)), brandDescription: () => api.tree.getTreeItem(brand).description as string | undefined };
  }

  function complete(key: string): void {
    const run = api.service.store.get(key)!.run;
    api.service.store.upsert({ ...run, status: 'succeeded', rawStatus: 'done', finishedAt: new Date().toISOString() });
  }

  it('redraws only the finished run’s row while the brand is expanded; the count follows with the next age redraw', async () => {
    const { keys, brandDescription } = await renderedBrand();
    assert.match(brandDescription() ?? '', new RegExp(`${RUNS} active`));
    let completed = 0;
    for (let attempt = 1; ; attempt++) {
      calls.children = 0;
      calls.items = 0;
      calls.ageRedraws = 0;
      complete(keys[7 + completed++]);
      await pause(1_000);
      if (calls.ageRedraws > 0 && attempt < 3) continue; // the age redraw came meanwhile: measure again
      assert.equal(calls.children, 0, 'the brand’s runs were not listed again');
      assert.ok(calls.items >= 1 && calls.items <= 2, `the workbench asked for the run’s row only (${calls.items} getTreeItem calls)`);
      break;
    }
    // The 30 s age redraw, now: the brand row (and with it its runs) is redrawn once, with the new count.
    calls.children = 0;
    calls.items = 0;
    (api.tree as unknown as { redrawActiveRows(): void }).redrawActiveRows();
    await waitFor(() => calls.children >= 1, 10_000, 'the brand row redrawn with the age redraw');
    assert.match(brandDescription() ?? '', new RegExp(`${RUNS - completed} active`));
  });

  it('redraws the brand row at once, with its new count, when the expanded brand holds a few runs', async () => {
    const few = 5;
    const { keys, brandDescription } = await renderedBrand(few);
    assert.match(brandDescription() ?? '', new RegExp(`${few} active`));
    for (let attempt = 1, completed = 0; ; attempt++) {
      calls.children = 0;
      calls.ageRedraws = 0;
      complete(keys[completed++]);
      // The brand row itself is fired, so the workbench lists its few runs again now, without the age redraw.
      await waitFor(() => calls.children >= 1 || calls.ageRedraws > 0, 10_000, 'the brand row redrawn at once');
      if (calls.ageRedraws > 0 && attempt < 3) continue; // the age redraw came meanwhile: it proves nothing
      assert.equal(calls.ageRedraws, 0, 'the count came with the age redraw, not at once');
      assert.match(brandDescription() ?? '', new RegExp(`${few - completed} active`));
      break;
    }
  });
});
