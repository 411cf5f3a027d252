// The benchmark's in-host part (npm run bench), run by test/integration/index.ts only when RUNWATCH_BENCH=1;
// not a *.test.ts, so the normal suite never runs it. Inside the real VS Code extension host, through the API
// activate() returns: activation time, then the Runs tree with 10,000 tracked runs (10 accounts of 1,000):
// getChildren for an account of 1,000 runs, and what one run's change costs: how many times
// onDidChangeTreeData fires, with how many nodes, whether the whole tree refreshes, and how long from the
// store change to the fire. Writes its figures to the JSON file named by RUNWATCH_BENCH_OUT for bench/run.js.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import type { Run } from '../../src/core/run';
import type { RunwatchApi } from '../../src/vscode/api';
import type { RunwatchNode } from '../../src/vscode/tree/node';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import { provenance, writeResult } from '../../bench/provenance';
import { DISPLAY_NAMES, setKey, startSimulator, waitFor } from './helpers';

const EXTENSION_ID = 'runwatch.runwatch';
const ACCOUNTS = 10;
const PER_ACCOUNT = 1_000;
const CHANGES = 50;

const ms = (v: number) => Math.round(v * 1000) / 1000;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN;
}

function run(account: number, i: number, startedAt: number): Run {
  return {
    provider: 'boringMarketing',
    accountId: `bench-brand-${account}`,
    id: `bench-run-${account}-${i}`,
    kind: 'full',
    status: 'succeeded',
    rawStatus: 'done',
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(startedAt + 20 * 60_000).toISOString(),
    progress: { current: 'queue_building', index: 6, total: 6 },
  };
}

const tick = () => new Promise<void>(r => setTimeout(r, 0));

/** A garbage collector to call before reading the heap: exposed on demand, since the host is not started with --expose-gc. */
function collector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

describe('Runwatch benchmark: scale inside VS Code', function () {
  this.timeout(120_000);

  it('measures activation, tree refresh on one change with 10,000 runs, and getChildren of 1,000 runs', async () => {
    const result: Record<string, unknown> = { vscodeVersion: vscode.version, node: process.version, uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop' };
    try {
      const ext = vscode.extensions.getExtension<RunwatchApi>(EXTENSION_ID);
      if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
      result.alreadyActive = ext.isActive;
      let api: RunwatchApi;
      if (!ext.isActive) {
        const t0 = performance.now();
        api = await ext.activate();
        result.activateCallMs = ms(performance.now() - t0);
      } else {
        api = ext.exports;
      }
      if (typeof api?.activationMs === 'number') result.activationMs = ms(api.activationMs);
      const { service, tree } = api;
      const store = service.store;

      const gc = collector();
      gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const base = Date.parse('2026-01-01T00:00:00Z');
      let seed = 11;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const fillStarted = performance.now();
      for (let a = 0; a < ACCOUNTS; a++) for (let i = 0; i < PER_ACCOUNT; i++) store.upsert(run(a, i, base + Math.floor(random() * 90 * 86_400_000)));
      result.fillMs = ms(performance.now() - fillStarted);
      await tick();
      result.trackedRuns = store.size;

      // An account of 1,000 runs as the tree lists it: first (creates the nodes), then again (cached).
      const accounts = Array.from({ length: ACCOUNTS }, (_, a) => tree.accountNode('boringMarketing', { provider: 'boringMarketing', id: `bench-brand-${a}`, label: `bench-brand-${a}.example` }));
      const t0 = performance.now();
      const children = await tree.getChildren(accounts[0]);
      result.getChildren1000FirstMs = ms(performance.now() - t0);
      const t1 = performance.now();
      for (const child of children) tree.getTreeItem(child);
      result.getTreeItem1000Ms = ms(performance.now() - t1);
      const warm: number[] = [];
      for (let k = 0; k < 10; k++) {
        const t = performance.now();
        await tree.getChildren(accounts[0]);
        warm.push(performance.now() - t);
      }
      result.getChildren1000WarmMs = ms(pct(warm, 50));
      result.childrenOfAccount = children.length;
      // Every run rendered: 10,000 run nodes live in the tree's cache, as after expanding every account.
      for (const account of accounts.slice(1)) await tree.getChildren(account);
      await tick();

      // One run changes, 50 times over: count fires and nodes, time store change → fire → getTreeItem.
      const fires: { nodes: number; full: boolean; at: number; node?: RunwatchNode }[] = [];
      const sub = tree.onDidChangeTreeData(e => {
        const at = performance.now();
        if (e === undefined || e === null) fires.push({ nodes: 0, full: true, at });
        else if (Array.isArray(e)) fires.push({ nodes: e.length, full: false, at, node: e[0] });
        else fires.push({ nodes: 1, full: false, at, node: e as RunwatchNode });
      });
      const fullBefore = tree.stats.fullRefreshes;
      const latencies: number[] = [];
      const itemTimes: number[] = [];
      const perChange: { fires: number; nodes: number }[] = [];
      try {
        for (let k = 0; k < CHANGES; k++) {
          const a = k % ACCOUNTS;
          const i = (k * 37) % PER_ACCOUNT;
          const before = store.get(`boringMarketing:bench-run-${a}-${i}`)!.run;
          const firstFire = fires.length;
          const t = performance.now();
          // A finished run's status is final in the store (mergeRun): its progress detail is what still changes.
          store.upsert({ ...before, progress: { ...before.progress, detail: `bench change ${k}` } });
          await tick();
          await tick();
          const mine = fires.slice(firstFire);
          perChange.push({ fires: mine.length, nodes: mine.reduce((s, f) => s + f.nodes, 0) });
          if (mine[0]) {
            latencies.push(mine[0].at - t);
            if (mine[0].node) {
              const ti = performance.now();
              tree.getTreeItem(mine[0].node);
              itemTimes.push(performance.now() - ti);
            }
          }
        }
      } finally {
        sub.dispose();
      }
      result.oneRunChange = {
        changes: CHANGES,
        firesPerChange: { min: Math.min(...perChange.map(c => c.fires)), max: Math.max(...perChange.map(c => c.fires)) },
        nodesPerChange: { min: Math.min(...perChange.map(c => c.nodes)), max: Math.max(...perChange.map(c => c.nodes)) },
        fullRefreshes: tree.stats.fullRefreshes - fullBefore + fires.filter(f => f.full).length,
        storeToFireMs: { p50: ms(pct(latencies, 50)), p95: ms(pct(latencies, 95)), max: ms(pct(latencies, 100)) },
        getTreeItemMs: { p50: ms(pct(itemTimes, 50)), p95: ms(pct(itemTimes, 95)) },
      };
      gc?.();
      const heapAfter = process.memoryUsage().heapUsed;
      result.heapUsedMB = mb(heapAfter);
      result.heapForRunsMB = mb(heapAfter - heapBefore);
      result.gcExposed = !!gc;
      console.log(`    bench: ${JSON.stringify(result)}`);
    } catch (e) {
      result.error = (e as Error).stack ?? String(e);
      throw e;
    } finally {
      const out = process.env.RUNWATCH_BENCH_OUT;
      if (out) fs.writeFileSync(out, JSON.stringify(result, null, 2));
    }
  });

  // Issue 9, "Tree at scale": a key set and the view rendered in the real workbench, 1,000 ACTIVE runs under one
  // brand (listed from the simulator, so polling finds them), and real completions (running → succeeded), which
  // change the brand row's "n active". Counts the getChildren/getTreeItem calls the WORKBENCH makes after each
  // change (the provider's methods are wrapped where the extension host calls them) and the time from the
  // store change to the last of those calls. A stage change of one run (no count change) is measured beside it.
  it('measures what a completion costs under a brand of 1,000 active runs, with the view rendered', async () => {
    const ACTIVE = 1_000;
    const SAMPLES = 15;
    const ext = vscode.extensions.getExtension<RunwatchApi>(EXTENSION_ID)!;
    const api = ext.isActive ? ext.exports : await ext.activate();
    const { service, tree } = api;
    const store = service.store;
    for (const t of store.all()) service.untrack(t.key);
    const handle = await startSimulator();
    const calls = { children: 0, items: 0, last: 0 };
    const original = { getChildren: tree.getChildren, getTreeItem: tree.getTreeItem };
    const fires: { at: number; nodes: number }[] = [];
    const sub = tree.onDidChangeTreeData(e => fires.push({ at: performance.now(), nodes: e === undefined ? -1 : Array.isArray(e) ? e.length : 1 }));
    tree.getChildren = function (node?: RunwatchNode) {
      calls.children++;
      calls.last = performance.now();
      return original.getChildren.call(this, node);
    };
    tree.getTreeItem = function (node: RunwatchNode) {
      calls.items++;
      calls.last = performance.now();
      return original.getTreeItem.call(this, node);
    };
    const result: Record<string, unknown> = { case: 'tree at scale: running→succeeded under one brand of 1,000 active runs, view rendered' };
    try {
      const bm = handle.sim.provider<BoringMarketingSim>('boringMarketing');
      const brand = bm.addBrand({ domain: 'bench-active.example', name: 'bench-active.example' });
      // Ten-hour stages: nothing moves by itself while measuring.
      for (let i = 0; i < ACTIVE; i++) bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'evidence_collection', inStageMs: i * 1000, queuedMs: 0, durationMs: 10 * 3600_000 });
      await setKey('boringMarketing');
      const active = () => store.forAccount('boringMarketing', brand.id).filter(t => t.run.status === 'running');
      await waitFor(() => active().length === ACTIVE, 30_000, `the ${ACTIVE} runs to be listed`);
      await vscode.commands.executeCommand('runwatch.runs.focus');
      await waitFor(() => api.treeView.visible, 10_000, 'the Runs view to be visible');
      const account = service.accounts('boringMarketing')!.find(a => a.id === brand.id)!;
      await tree.revealAccount('boringMarketing', account);
      await waitFor(() => calls.items >= ACTIVE, 30_000, `the workbench to render the brand's ${ACTIVE} runs (${DISPLAY_NAMES.boringMarketing})`);
      const quiet = async (since: number, quietMs = 300, maxMs = 5_000) => {
        const deadline = performance.now() + maxMs;
        while (performance.now() < deadline && !(calls.last >= since && performance.now() - calls.last >= quietMs)) await new Promise(r => setTimeout(r, 20));
      };
      await quiet(0, 1000);
      result.initialRender = { getChildrenCalls: calls.children, getTreeItemCalls: calls.items };

      type Sample = { getChildrenCalls: number; getTreeItemCalls: number; updateMs: number; fires: number };
      const measure = async (change: () => void, ownRedraw = false): Promise<Sample | undefined> => {
        await quiet(0, 300);
        calls.children = 0;
        calls.items = 0;
        const firstFire = fires.length;
        const t0 = performance.now();
        calls.last = t0;
        change();
        await quiet(t0 + 0.001);
        const mine = fires.slice(firstFire);
        // The 30 s age redraw (every rendered active row) or a poll's change landing in the window spoils the sample.
        if (!ownRedraw && mine.some(f => f.nodes !== 1 && f.nodes !== 2)) return undefined;
        return { getChildrenCalls: calls.children, getTreeItemCalls: calls.items, updateMs: ms(calls.last - t0), fires: mine.length };
      };
      const completions: Sample[] = [];
      const stageMoves: Sample[] = [];
      const running = active().map(t => t.key);
      for (let k = 0, attempt = 0; completions.length < SAMPLES && attempt < SAMPLES * 3; attempt++, k++) {
        const key = running[(k * 37) % running.length];
        const before = store.get(key)!.run;
        if (before.status !== 'running') continue;
        const sample = await measure(() =>
          store.upsert({ ...before, status: 'succeeded', rawStatus: 'done', finishedAt: new Date().toISOString(), progress: { ...before.progress, current: 'queue_building', index: 6, detail: undefined } }),
        );
        if (sample) completions.push(sample);
      }
      for (let k = 0, attempt = 0; stageMoves.length < SAMPLES && attempt < SAMPLES * 3; attempt++, k++) {
        const key = running[(k * 53 + 11) % running.length];
        const before = store.get(key)!.run;
        if (before.status !== 'running') continue;
        const sample = await measure(() => store.upsert({ ...before, progress: { ...before.progress, detail: `bench stage move ${k}` } }));
        if (sample) stageMoves.push(sample);
      }
      // The age redraw (every 30 s while the view is visible): it redraws every rendered active row anyway, and
      // an expanded brand whose "n active" is behind (the completions above) is redrawn whole with it instead.
      const redrawAges = () => (tree as unknown as { redrawActiveRows(): void }).redrawActiveRows();
      const ageRedrawWithCountCatchUp = await measure(redrawAges, true);
      const ageRedrawPlain = await measure(redrawAges, true);
      const summary = (samples: Sample[], field: keyof Sample) => {
        const values = samples.map(s => s[field]);
        return { median: pct(values, 50), min: Math.min(...values), max: Math.max(...values) };
      };
      const completion = {
        samples: completions.length,
        getChildrenCalls: summary(completions, 'getChildrenCalls'),
        getTreeItemCalls: summary(completions, 'getTreeItemCalls'),
        updateMs: summary(completions, 'updateMs'),
        firesPerChange: summary(completions, 'fires'),
      };
      Object.assign(result, {
        activeRuns: ACTIVE,
        getChildrenCalls: completion.getChildrenCalls.median,
        getTreeItemCalls: completion.getTreeItemCalls.median,
        updateMs: completion.updateMs.median,
        completion,
        ageRedrawWithCountCatchUp,
        ageRedrawPlain,
        stageMove: {
          samples: stageMoves.length,
          getChildrenCalls: summary(stageMoves, 'getChildrenCalls'),
          getTreeItemCalls: summary(stageMoves, 'getTreeItemCalls'),
          updateMs: summary(stageMoves, 'updateMs'),
        },
        where: `VS Code ${vscode.version} (${vscode.env.appHost}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}) extension host; calls counted on the TreeDataProvider the workbench calls; updateMs = store change → last workbench call`,
      });
      console.log(`    bench tree: ${JSON.stringify(result)}`);
    } catch (e) {
      result.error = (e as Error).stack ?? String(e);
      throw e;
    } finally {
      sub.dispose();
      tree.getChildren = original.getChildren;
      tree.getTreeItem = original.getTreeItem;
      const root = process.env.RUNWATCH_REPO_ROOT;
      if (root) writeResult(`${root}/bench/results/tree-latest.json`, { ...provenance(root), ...result });
      await handle.dispose();
    }
  });
});
