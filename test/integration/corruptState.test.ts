// Corrupt state at activation (issue 7 "Tests"): globalState as a downgrade, a window on another version or a
// hand edit leaves it. Runwatch comes up anyway, with the good runs still tracked and polled. The reload for
// tests re-activates against the same ExtensionContext, and writes the damaged values while Runwatch is down.
import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { runwatchApi, setKey, treeSnapshot, findNodeById, runRowId, waitFor, runwatchLogText, type RunwatchApi } from './helpers';
import { boringMarketingWorld, pollsOf, runKey, waitForPolls, type BmWorld } from './engineHelpers';

const BM = 'boringMarketing' as const;
const RUNS_KEY = 'runwatch.trackedRuns.v1';

describe('Corrupt state at activation', function () {
  this.timeout(60_000);
  const shared = boringMarketingWorld();
  let world: BmWorld;
  let api: RunwatchApi;

  beforeEach(async () => {
    api = await runwatchApi();
    world = shared.current;
  });

  it('bad saved entries, accounts and key lists leave Runwatch active, with the good runs tracked and polled', async () => {
    const { sim, bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'synthesize', status: 'running', durationMs: 60 * 60_000 });
    const key = runKey(BM, run.id);
    await setKey(BM);
    await waitFor(() => api.service.store.get(key), 10_000, 'the run to be listed');

    await api.reloadForTests({
      whileClosed: async (state: vscode.Memento) => {
        const saved = state.get<unknown[]>(RUNS_KEY);
        assert.ok(Array.isArray(saved) && saved.length === 1, 'the run was not saved at the reload');
        const bad = (over: Record<string, unknown>) => ({ ...(saved[0] as Record<string, unknown>), ...over });
        await state.update(RUNS_KEY, [
          bad({ run: { provider: 'jenkins', accountId: acme.id, id: 'x', kind: 'full', status: 'running', rawStatus: 'running' } }),
          bad({ run: { provider: BM, accountId: acme.id, id: { an: 'object' }, kind: 'full', status: 'running', rawStatus: 'running' } }),
          bad({ run: { provider: BM, accountId: acme.id, id: 'stages', kind: 'full', status: 'running', rawStatus: 'running', progress: { stages: 'oops' } } }),
          ...saved,
          'not a run',
        ]);
        await state.update('runwatch.rememberedAccounts.v1', 'corrupt');
        await state.update('runwatch.accountLabels.v1', [1, 2, 3]);
        await state.update('runwatch.keyedProviders.v1', { not: 'a list' });
      },
    });

    assert.deepEqual(api.service.store.all().map(t => t.key), [key], 'the good run is tracked, the bad entries dropped');
    assert.equal(api.service.store.get(key)?.run.status, 'running');
    // The key is still found in SecretStorage (its remembered list was unreadable) and polling resumes.
    await waitFor(() => api.hasKey(BM), 10_000, 'the key to be found again');
    const polls = pollsOf(sim, BM, run.id).length;
    await waitForPolls(sim, BM, run.id, polls + 1, 15_000);
    assert.ok(findNodeById(await treeSnapshot(), runRowId(key)), 'the run has its row in the tree');
    // The output channel's document lags behind the channel: wait for it.
    await waitFor(async () => /dropped a saved run: entry 2 \(boringMarketing:stages\)/.test(await runwatchLogText()), 15_000, 'the log to say what was dropped');
  });

  it('a saved value that is not a list at all: Runwatch starts empty and lists the runs again', async () => {
    const { bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'synthesize', status: 'running', durationMs: 60 * 60_000 });
    const key = runKey(BM, run.id);
    await setKey(BM);
    await waitFor(() => api.service.store.get(key), 10_000, 'the run to be listed');

    await api.reloadForTests({ whileClosed: (state: vscode.Memento) => state.update(RUNS_KEY, { corrupt: true }) });
    // Active: its tree lists the brand's runs again, which brings the run back from the provider.
    await treeSnapshot();
    await waitFor(() => api.service.store.get(key), 15_000, 'the run to be listed again');
  });
});
