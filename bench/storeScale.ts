// Section 3, plain Node part: the RunStore with 10,000 tracked runs (10 accounts of 1,000). How long filling
// it takes, what one run's change costs (upsert, then the change event the tree listens to), what adding a
// run to a full account costs (its per-account index), and the heap it holds.
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Run } from '../src/core/run';
import { RunStore, type StoreChange } from '../src/core/store';
import { median, percentile, round } from './stats';

const ACCOUNTS = 10;

/** A garbage collector to call before reading the heap: exposed on demand, since the host is not started with --expose-gc. */
function collector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const PER_ACCOUNT = 1_000;

function finishedRun(account: number, i: number, startedAt: number): Run {
  return {
    provider: 'boringMarketing',
    accountId: `brand-${account}`,
    id: `run-${account}-${i}`,
    kind: 'full',
    status: 'succeeded',
    rawStatus: 'done',
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(startedAt + 20 * 60_000).toISOString(),
    progress: { current: 'queue_building', index: 6, total: 6 },
  };
}

export async function runStoreScaleBench() {
  const gc = collector();
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const store = new RunStore();
  const base = Date.parse('2026-01-01T00:00:00Z');
  // Start times in random order, as runs arrive from lists and polls: the index must place each one.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const fillStarted = performance.now();
  for (let a = 0; a < ACCOUNTS; a++) {
    for (let i = 0; i < PER_ACCOUNT; i++) store.upsert(finishedRun(a, i, base + Math.floor(random() * 90 * 86_400_000)));
  }
  const fillMs = performance.now() - fillStarted;
  await new Promise(r => setImmediate(r)); // let the coalesced "added" event go
  gc?.();
  const heapUsed = process.memoryUsage().heapUsed;
  // The same fill, letting each change event go every 100 runs: what coalescing 10,000 changes into one costs.
  const yielding = new RunStore();
  const yieldStarted = performance.now();
  for (let a = 0, n = 0; a < ACCOUNTS; a++) {
    for (let i = 0; i < PER_ACCOUNT; i++, n++) {
      yielding.upsert(finishedRun(a, i, base + Math.floor(random() * 90 * 86_400_000)));
      if (n % 100 === 99) await new Promise(r => setImmediate(r));
    }
  }
  const fillYieldingMs = performance.now() - yieldStarted;

  // One run changes: what a poll's answer costs the store, and how big the change event is.
  const events: StoreChange[] = [];
  store.onDidChange(c => events.push(c));
  const upsertTimes: number[] = [];
  const toEventTimes: number[] = [];
  for (let k = 0; k < 200; k++) {
    const a = k % ACCOUNTS;
    const i = (k * 37) % PER_ACCOUNT;
    const existing = store.get(`boringMarketing:run-${a}-${i}`)!.run;
    const failed = existing.status !== 'failed';
    const changed: Run = { ...existing, status: failed ? 'failed' : 'succeeded', rawStatus: failed ? 'failed' : 'done' };
    const before = events.length;
    const t0 = performance.now();
    store.upsert(changed);
    const t1 = performance.now();
    await new Promise<void>(r => queueMicrotask(r));
    const t2 = performance.now();
    upsertTimes.push(t1 - t0);
    if (events.length > before) toEventTimes.push(t2 - t0);
  }
  const keysPerEvent = events.map(e => e.keys.length);

  // A new run in a full account (the per-account index insert).
  const addTimes: number[] = [];
  for (let k = 0; k < 100; k++) {
    const t0 = performance.now();
    store.upsert(finishedRun(k % ACCOUNTS, PER_ACCOUNT + k, base + Math.floor(random() * 90 * 86_400_000)));
    addTimes.push(performance.now() - t0);
  }
  // An account's runs, newest first (what the tree's account node reads).
  const listTimes: number[] = [];
  for (let k = 0; k < 20; k++) {
    const t0 = performance.now();
    store.forAccount('boringMarketing', `brand-${k % ACCOUNTS}`);
    listTimes.push(performance.now() - t0);
  }

  return {
    runs: ACCOUNTS * PER_ACCOUNT,
    fillMs: round(fillMs, 1),
    fillYieldingEvery100Ms: round(fillYieldingMs, 1),
    upsertOneChangeMs: { median: round(median(upsertTimes), 4), p95: round(percentile(upsertTimes, 95), 4), max: round(percentile(upsertTimes, 100), 4) },
    upsertToChangeEventMs: { median: round(median(toEventTimes), 4), p95: round(percentile(toEventTimes, 95), 4) },
    keysPerChangeEvent: { max: Math.max(...keysPerEvent), events: events.length },
    addRunToFullAccountMs: { median: round(median(addTimes), 4), p95: round(percentile(addTimes, 95), 4) },
    forAccount1000Ms: { median: round(median(listTimes), 4) },
    heapUsedMB: round(heapUsed / 2 ** 20, 1),
    storeHeapMB: round((heapUsed - heapBefore) / 2 ** 20, 1),
    gcExposed: !!gc,
  };
}
