import * as assert from 'node:assert/strict';
import * as FakeTimers from '@sinonjs/fake-timers';
import { MemoryStorage, RunStore, type StoreChange } from '../../src/core/store';
import { ProviderRegistry } from '../../src/core/registry';
import { BUILTIN_PROVIDERS } from '../../src/providers';
import type { Run } from '../../src/core/run';
import type { Logger } from '../../src/core/http';

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

const RUNS_KEY = 'runwatch.trackedRuns.v1';
const VERSION_KEY = 'runwatch.trackedRuns.version';

/** A logger that keeps what was said, to check a dropped entry is reported. */
function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const say = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, trace: say('trace'), debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') };
}

/** A stored entry as Runwatch 0.1's snapshotForStorage() wrote it (globalState JSON: no undefined fields). */
function stored01(id: string, over: Record<string, unknown> = {}, runOver: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: `boringMarketing:${id}`,
    run: { provider: 'boringMarketing', accountId: 'brand-1', id, kind: 'full', status: 'running', rawStatus: 'running', startedAt: '2026-04-07T10:00:00Z', ...runOver },
    firstSeenAt: 1775556000000,
    lastConfirmedAt: 1775556060000,
    lastChangedAt: 1775556060000,
    failures: 0,
    stale: false,
    gone: false,
    stuck: false,
    acknowledged: false,
    polls: 3,
    pinned: false,
    ...over,
  };
}

describe('RunStore: saved state is parsed, never trusted', () => {
  it('loads a literal Runwatch 0.1 state value, and saves it back as a list 0.1 reads, with its format version', async () => {
    // Exactly what 0.1 left in globalState: a bare array of tracked runs, no version anywhere.
    const v01 = [
      {
        key: 'boringMarketing:an_7f3a',
        run: {
          provider: 'boringMarketing',
          accountId: 'br_acme',
          id: 'an_7f3a',
          kind: 'full',
          status: 'running',
          rawStatus: 'running',
          startedAt: '2026-04-07T10:00:00Z',
          progress: {
            current: 'evidence_collection',
            index: 4,
            total: 6,
            stageStartedAt: '2026-04-07T10:20:00Z',
            stages: [
              { id: 'family_discovery', label: 'Family discovery', state: 'done' },
              { id: 'evidence_collection', label: 'Evidence collection', state: 'current', detail: 'family 3 of 12' },
            ],
          },
          input: { kindId: 'full', values: {} },
          raw: { analysis_id: 'an_7f3a', status: 'running' },
        },
        firstSeenAt: 1775556000000,
        lastConfirmedAt: 1775557200000,
        lastChangedAt: 1775557200000,
        failures: 1,
        lastError: 'Boring Marketing had a server error (HTTP 502).',
        stale: false,
        gone: false,
        stuck: false,
        acknowledged: false,
        polls: 40,
        pinned: true,
      },
      {
        key: 'talonic:job_1',
        run: {
          provider: 'talonic',
          accountId: 'spec_1',
          id: 'job_1',
          kind: 'invoices',
          status: 'failed',
          rawStatus: 'failed',
          finishedAt: '2026-04-06T09:00:00Z',
          error: { message: '2 documents failed', step: 'extraction', items: [{ id: 'doc_1', message: 'unreadable scan' }] },
          progress: { documents: { total: 10, completed: 8, errors: 2 }, stages: [{ id: 'extraction', label: 'Extraction', state: 'failed', counts: { completed: 8, running: 0, pending: 0, errors: 2 }, scope: 'document', rawStatus: null }] },
        },
        firstSeenAt: 1775466000000,
        lastConfirmedAt: 1775466000000,
        lastChangedAt: 1775466000000,
        failures: 0,
        stale: false,
        gone: false,
        stuck: false,
        acknowledged: true,
        polls: 12,
        pinned: false,
      },
    ];
    const storage = new MemoryStorage();
    storage.data.set(RUNS_KEY, v01);
    const store = new RunStore({ storage });
    const loaded = store.load();
    assert.deepEqual(loaded.map(t => t.key).sort(), ['boringMarketing:an_7f3a', 'talonic:job_1']);
    const bm = store.get('boringMarketing:an_7f3a')!;
    assert.equal(bm.pinned, true);
    assert.equal(bm.failures, 1);
    assert.equal(bm.run.progress?.stages?.[1].detail, 'family 3 of 12');
    assert.deepEqual(bm.run.input, { kindId: 'full', values: {} });
    assert.deepEqual(store.active().map(t => t.key), ['boringMarketing:an_7f3a']);
    assert.equal(store.get('talonic:job_1')?.acknowledged, true);

    await store.flush();
    const saved = storage.data.get(RUNS_KEY);
    assert.ok(Array.isArray(saved), 'still a bare list, so a downgraded 0.1 reads it');
    assert.deepEqual(JSON.parse(JSON.stringify(saved)).sort((a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key)), v01);
    assert.equal(storage.data.get(VERSION_KEY), 1, 'the format is recorded beside it');
    assert.deepEqual(new RunStore({ storage }).load().map(t => t.key).sort(), ['boringMarketing:an_7f3a', 'talonic:job_1'], 'and loads again');
  });

  it('drops each bad entry with a log line and loads the entries around it', () => {
    const log = recordingLog();
    const storage = new MemoryStorage();
    storage.data.set(RUNS_KEY, [
      stored01('first'),
      stored01('x', {}, { provider: 'jenkins' }),
      stored01('y', {}, { id: { nested: 'object' } }),
      stored01('z', {}, { progress: { stages: 'extracting' } }),
      null,
      'a string',
      stored01('w', { pinned: 'yes' }),
      stored01('newer', { fromNewerVersion: { anything: 1 } }, { status: 'paused', rawStatus: 'paused', extra: [1, 2] }),
      stored01('sparse', { failures: undefined, stale: undefined, polls: undefined, pinned: undefined }),
      stored01('last'),
    ]);
    const providers = new ProviderRegistry(BUILTIN_PROVIDERS);
    const store = new RunStore({ storage, log, isKnownProvider: id => providers.has(id) });
    store.load();
    assert.deepEqual(
      store.all().map(t => t.key).sort(),
      ['boringMarketing:first', 'boringMarketing:last', 'boringMarketing:newer', 'boringMarketing:sparse'],
      'the good entries before and after the bad ones survive',
    );
    const dropped = log.lines.filter(l => /dropped a saved run/.test(l));
    assert.equal(dropped.length, 6, log.lines.join('\n'));
    assert.match(dropped.find(l => /entry 3 /.test(l)) ?? '', /boringMarketing:z.*progress\.stages/, 'says which entry and which field');
    const newer = store.get('boringMarketing:newer')!;
    assert.equal(newer.run.status, 'unknown', 'a status word this version does not know is polled as unknown');
    assert.equal(newer.run.rawStatus, 'paused');
    assert.deepEqual((newer as unknown as { fromNewerVersion: unknown }).fromNewerVersion, { anything: 1 }, 'unknown fields are kept');
    const sparse = store.get('boringMarketing:sparse')!;
    assert.deepEqual([sparse.failures, sparse.stale, sparse.polls, sparse.pinned], [0, false, 0, false], 'missing counters and flags take their defaults');
  });

  for (const [what, value] of [
    ['an object', { runs: 'no' }],
    ['a number', 42],
    ['a string', 'corrupt'],
    ['true', true],
  ] as const) {
    it(`starts empty, with a log line, when the saved value is ${what}`, () => {
      const log = recordingLog();
      const storage = new MemoryStorage();
      storage.data.set(RUNS_KEY, value);
      const store = new RunStore({ storage, log });
      assert.deepEqual(store.load(), []);
      assert.equal(log.lines.filter(l => /could not read its saved runs/.test(l)).length, 1, log.lines.join('\n'));
    });
  }

  it('also reads runs saved in a {version, runs} envelope', () => {
    const storage = new MemoryStorage();
    storage.data.set(RUNS_KEY, { version: 1, runs: [stored01('a'), { broken: true }, stored01('b')] });
    assert.deepEqual(new RunStore({ storage }).load().map(t => t.key).sort(), ['boringMarketing:a', 'boringMarketing:b']);
  });
});

describe('RunStore: listeners and writes', () => {
  let clock: ReturnType<typeof FakeTimers.install>;

  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });

  afterEach(() => clock.uninstall());

  it('one throwing listener skips neither the other listeners nor the write', async () => {
    const log = recordingLog();
    const storage = new MemoryStorage();
    const store = new RunStore({ storage, log });
    const told: string[][] = [];
    store.onDidChange(() => {
      throw new Error('a view that broke');
    });
    store.onDidChange(change => told.push(change.keys));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    try {
      store.upsert(run('a'), { pinned: true });
      await clock.tickAsync(0);
      await clock.tickAsync(1000);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    assert.deepEqual(told, [['boringMarketing:a']], 'the second listener was told');
    assert.deepEqual((storage.data.get(RUNS_KEY) as { key: string }[] | undefined)?.map(t => t.key), ['boringMarketing:a'], 'and the run was saved');
    assert.equal(uncaught.length, 0);
    assert.ok(log.lines.some(l => /listener of run changes failed: a view that broke/.test(l)), log.lines.join('\n'));
  });

  it('a write globalState refuses is logged, not left as an unhandled rejection', async () => {
    const log = recordingLog();
    const storage = new MemoryStorage();
    storage.update = () => Promise.reject(new Error('the state database is locked'));
    const store = new RunStore({ storage, log });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      store.upsert(run('a'));
      await clock.tickAsync(1000);
      await store.flush();
      await new Promise(resolve => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.equal(log.lines.filter(l => /could not save its tracked runs: the state database is locked/.test(l)).length, 2, log.lines.join('\n'));
  });
});
