// Issue 12 in the real VS Code: every request passes the provider's gate, and a second window sends none.
// Requests are counted from the simulator's own log, not from Runwatch's records.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { FileLease } from '../../src/core/lease';
import { SharedStateFile } from '../../src/core/sharedState';
import { RunStore } from '../../src/core/store';
import { runwatchApi, setKey, waitFor, type RunwatchApi } from './helpers';
import { boringMarketingWorld, pause, runKey, type BmWorld } from './engineHelpers';

const BM = 'boringMarketing' as const;
const SECOND = 1000;

let api: RunwatchApi;

describe('Gate: Retry-After holds every request, lists included', function () {
  this.timeout(60_000);
  const shared = boringMarketingWorld();
  let world: BmWorld;

  beforeEach(async () => {
    api = await runwatchApi();
    world = shared.current;
  });

  it('Refresh pressed inside a Retry-After window sends nothing until it ends, says so, then sends once', async () => {
    const { sim, bm, acme } = world;
    const run = bm.addRun(acme.id, { kind: 'full', status: 'running', stage: 'family_discovery', durationMs: 60 * 60 * SECOND });
    const key = runKey(BM, run.id);
    await setKey(BM);
    await waitFor(() => api.service.store.get(key), 10_000, 'the run to be listed');

    // The run's next poll is answered 429 with Retry-After: 8.
    const windowMs = 8 * SECOND;
    sim.addFault({ provider: BM, method: 'GET', path: `${run.id}$`, status: 429, headers: { 'Retry-After': '8' }, body: { detail: 'Too many requests' } });
    await api.service.refreshNow([key]);
    const limited = sim.requestsFor(BM).find(r => r.fault);
    assert.ok(limited, 'the 429 was answered');
    await waitFor(() => api.service.health(BM).state === 'rateLimited', 5_000, 'Boring Marketing shown rate-limited');
    const windowEnd = limited.time + windowMs;

    await pause(2 * SECOND); // the user presses Refresh a little later, well inside the window
    const refreshed = vscode.commands.executeCommand('runwatch.refresh');
    const message = await waitFor(() => /^Rate-limited by Boring Marketing, retrying in \d+ s$/.exec(api.treeView.message ?? '')?.[0], 5_000, 'the wait shown as the Runs view’s message');
    assert.ok(message);
    await refreshed;
    assert.equal(api.treeView.message, undefined, 'the message goes once the wait is over');

    const after = sim.requestsFor(BM).filter(r => r.time > limited.time);
    const inside = after.filter(r => r.time < windowEnd);
    assert.deepEqual(inside.map(r => `${r.method} ${r.path}`), [], 'no request of any kind inside the Retry-After window');
    const brandLists = after.filter(r => r.method === 'GET' && /\/brands$/.test(r.path));
    assert.equal(brandLists.length, 1, 'the Refresh listed the brands once, after the window');
    assert.equal(after.filter(r => r.path.endsWith(`/runs/${run.id}`)).length >= 1, true, 'and the run was polled again');
  });
});

describe('Gate: a follower window makes no request', function () {
  this.timeout(60_000);
  const shared = boringMarketingWorld();
  let world: BmWorld;

  beforeEach(async () => {
    api = await runwatchApi();
    world = shared.current;
  });

  it('with its Runs view visible, the follower makes 0 requests over several list-refresh periods and shows the leader’s brands', async () => {
    const { sim, acme } = world;
    await setKey(BM);
    await waitFor(() => api.service.accounts(BM)?.some(a => a.id === acme.id), 10_000, 'Acme listed');

    // Another "window" takes the lease while this one reloads: a leader in the test that publishes the
    // brand list and itself sends nothing, so every request the simulator logs from now on is this window's.
    const LIST_REFRESH_MS = 500;
    let lease: FileLease | undefined;
    let state: SharedStateFile | undefined;
    try {
      await api.reloadForTests({
        listRefreshMs: LIST_REFRESH_MS,
        whileClosed: () => {
          lease = new FileLease(api.sharedDir, { id: 'test-leader-window' });
          lease.start();
          assert.equal(lease.isLeader, true, 'the test window took the lease');
          state = new SharedStateFile(api.sharedDir, new RunStore(), {
            id: lease.id,
            lists: () => ({ accounts: { [BM]: [{ provider: BM, id: acme.id, label: 'Acme (from the leader)' }] }, more: [] }),
          });
          state.setRole('leader');
        },
      });
      assert.equal(api.service.isPollingWindow(), false, 'this window follows');
      await vscode.commands.executeCommand('runwatch.runs.focus');
      await waitFor(() => api.treeView.visible, 5_000, 'the Runs view visible');
      const before = sim.requests.length;

      await waitFor(() => api.service.accounts(BM)?.some(a => a.label === 'Acme (from the leader)'), 5_000, 'the leader’s brand list shown');
      // Render the view down to the runs, as a user expanding Boring Marketing and Acme does: that is what
      // loads an account's runs, and what the periodic list refresh then reloads.
      const render = async (node?: Parameters<typeof api.tree.getChildren>[0], depth = 0): Promise<void> => {
        if (depth > 2) return;
        for (const child of (await api.tree.getChildren(node)) ?? []) await render(child, depth + 1);
      };
      await render();
      await pause(5 * LIST_REFRESH_MS);

      const mine = sim.requests.slice(before).filter(r => r.provider !== 'control');
      assert.deepEqual(mine.map(r => `${r.method} ${r.path}`), [], 'zero requests from the follower over five list-refresh periods');
    } finally {
      state?.dispose();
      lease?.dispose();
      // This window polls again, with the normal list period.
      await api.reloadForTests();
    }
  });
});
