import * as assert from 'node:assert/strict';
import { MemoryStorage, RunStore, type StoreChange } from '../../src/core/store';
import type { Run } from '../../src/core/run';

function run(id: string, over: Partial<Run> = {}): Run {
  return { provider: 'boringMarketing', accountId: 'brand-1', id, kind: 'full', status: 'running', rawStatus: 'running', startedAt: '2026-04-07T10:00:00Z', ...over };
}

const nextTick = () => new Promise(r => setImmediate(r));

describe('RunStore', () => {
  it('orders an account’s runs newest first and reports a status transition once', async () => {
    const store = new RunStore();
    const changes: StoreChange[] = [];
    store.onDidChange(c => changes.push(c));
    store.upsert(run('old', { startedAt: '2026-04-07T09:00:00Z' }));
    store.upsert(run('new', { startedAt: '2026-04-07T11:00:00Z' }));
    store.upsert(run('mid', { startedAt: '2026-04-07T10:00:00Z' }));
    assert.deepEqual(store.forAccount('boringMarketing', 'brand-1').map(t => t.run.id), ['new', 'mid', 'old']);

    const t = store.upsert(run('mid', { status: 'failed', rawStatus: 'failed' }));
    assert.equal(t?.from, 'running');
    assert.equal(t?.to, 'failed');
    assert.equal(store.upsert(run('mid', { status: 'failed', rawStatus: 'failed' })), undefined, 'same state: no second transition');
    await nextTick();
    const transitions = changes.flatMap(c => c.transitions);
    assert.equal(transitions.length, 1);
  });

  it('coalesces changes made in one tick into one event naming only the changed runs', async () => {
    const store = new RunStore();
    store.upsert(run('a'));
    store.upsert(run('b'));
    await nextTick();
    const changes: StoreChange[] = [];
    store.onDidChange(c => changes.push(c));
    store.upsert(run('a', { progress: { current: 'evidence_collection', index: 4, total: 6 } }));
    store.upsert(run('b')); // unchanged: no redraw
    await nextTick();
    assert.equal(changes.length, 1);
    assert.deepEqual(changes[0].keys, ['boringMarketing:a']);
    assert.deepEqual(changes[0].accounts, [], 'an update to a known run does not redraw its account');
  });

  it('keeps the last known state through failures, marks it stale after the threshold, and recovers', async () => {
    const store = new RunStore({ staleAfterFailures: 2 });
    store.upsert(run('a', { progress: { current: 'family_discovery' } }));
    store.recordFailure('boringMarketing:a', 'Boring Marketing had a server error (HTTP 502).');
    assert.equal(store.get('boringMarketing:a')?.stale, false);
    store.recordFailure('boringMarketing:a', 'Boring Marketing did not answer within 15 s.');
    const t = store.get('boringMarketing:a')!;
    assert.equal(t.stale, true);
    assert.equal(t.run.progress?.current, 'family_discovery', 'last known state kept');
    assert.match(t.lastError ?? '', /did not answer/);
    store.upsert(run('a', { progress: { current: 'evidence_collection' } }));
    assert.equal(store.get('boringMarketing:a')?.stale, false);
    assert.equal(store.get('boringMarketing:a')?.failures, 0);
  });

  it('persists tracked runs and loads them back in a new store', async () => {
    const storage = new MemoryStorage();
    const a = new RunStore({ storage });
    a.upsert(run('a', { input: { kindId: 'analyze', values: {} } }), { pinned: true });
    a.upsert(run('b', { status: 'succeeded', rawStatus: 'done' }));
    await a.flush();
    const b = new RunStore({ storage });
    const loaded = b.load();
    assert.deepEqual(loaded.map(t => t.run.id).sort(), ['a', 'b']);
    assert.equal(b.get('boringMarketing:a')?.pinned, true);
    assert.deepEqual(b.get('boringMarketing:a')?.run.input, { kindId: 'analyze', values: {} });
    assert.deepEqual(b.active().map(t => t.run.id), ['a']);
  });

  it('keeps only the newest finished runs per account across restarts, but every active one', async () => {
    const storage = new MemoryStorage();
    const a = new RunStore({ storage, keepFinishedPerAccount: 2 });
    for (let i = 0; i < 5; i++) a.upsert(run(`done-${i}`, { status: 'succeeded', rawStatus: 'done', startedAt: `2026-04-0${i + 1}T10:00:00Z` }));
    a.upsert(run('active', { startedAt: '2026-03-01T10:00:00Z' }));
    await a.flush();
    const b = new RunStore({ storage });
    assert.deepEqual(b.load().map(t => t.run.id).sort(), ['active', 'done-3', 'done-4']);
  });

  it('a gone run is kept but no longer active', () => {
    const store = new RunStore();
    store.upsert(run('a'));
    store.markGone('boringMarketing:a', 'not found');
    assert.equal(store.get('boringMarketing:a')?.gone, true);
    assert.equal(store.active().length, 0);
  });
});

describe('RunStore at scale', () => {
  it('keeps 10,000 runs of one account newest first whatever order they arrive in', () => {
    const store = new RunStore();
    for (let i = 0; i < 10_000; i++) {
      // Arrive in a shuffled order so the index has to place each one.
      const minute = (i * 7919) % 10_000;
      store.upsert(run(`r${i}`, { startedAt: new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString() }));
    }
    const runs = store.forAccount('boringMarketing', 'brand-1');
    assert.equal(runs.length, 10_000);
    for (let i = 1; i < runs.length; i++) assert.ok(Date.parse(runs[i - 1].run.startedAt!) >= Date.parse(runs[i].run.startedAt!));
  });
});
