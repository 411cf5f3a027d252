// List batching over real HTTP: the real scheduler, store and Boring Marketing adapter against the simulator,
// under a fake clock (the simulator's clock reads Date.now, so the simulated runs move with it). Requests are
// counted as the simulator received them.
import * as assert from 'node:assert/strict';
import type { RunwatchService, SchedulerOptions } from '../../src/core/contracts';
import { silentLogger, validateBaseUrl } from '../../src/core/http';
import { keyOf } from '../../src/core/run';
import { Scheduler } from '../../src/core/scheduler';
import { createRunwatchService } from '../../src/core/service';
import { MemoryStorage, RunStore } from '../../src/core/store';
import { createDefaultServiceDeps } from '../../src/serviceDeps';
import { MapVault, fakeEngineClock, type FakeClock } from './support';
import type { Account } from '../../src/providers/provider';
import { BoringMarketingProvider } from '../../src/providers/boringMarketing';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import type { BoringMarketingSim } from '../simulator/boringMarketing';

const T0 = Date.parse('2026-04-07T10:00:00Z');
const SEC = 1000;
/** Boring Marketing's documented cadence for full runs. */
const CADENCE = 10 * SEC;
/** Each of the six stages of the simulated full runs takes this long, so a run moves a stage every 3 cadences. */
const STAGE_MS = 30 * SEC;

const OPTIONS: SchedulerOptions = { whenUnfocused: 'slow', unfocusedFactor: 3, maxConcurrentPerProvider: 4, stuckAfterMs: 15 * 60 * SEC, minIntervalMs: {} };
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('List batching (Boring Marketing over the simulator)', () => {
  let clock: FakeClock;
  let sim: Simulator;
  let bm: BoringMarketingSim;
  let provider: BoringMarketingProvider;
  let store: RunStore;
  let scheduler: Scheduler | undefined;
  let account: Account;
  let runIds: string[];

  beforeEach(async () => {
    clock = fakeEngineClock(T0);
    sim = createSimulator();
    await sim.start();
    bm = sim.provider<BoringMarketingSim>('boringMarketing');
    const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    account = { provider: 'boringMarketing', id: brand.id, label: 'Acme' };
    // Five active full runs, each in a different place of the first stage: all finish within 3.5 simulated minutes.
    runIds = [0, 1, 2, 3, 4].map(i => bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'brand_enrichment', inStageMs: i * 5 * SEC, queuedMs: 0, durationMs: STAGE_MS }).id);
    provider = new BoringMarketingProvider({ baseUrl: sim.baseUrl('boringMarketing'), getKey: async () => SIM_KEYS.boringMarketing, log: quiet, timeoutMs: 5000 });
    store = new RunStore();
  });

  afterEach(async () => {
    scheduler?.dispose();
    scheduler = undefined;
    clock.uninstall();
    await sim.stop();
  });

  /** What the service does when the view opens the brand: one list, its runs into the store. */
  async function listOnceAndStart(): Promise<void> {
    for (const run of (await provider.listRuns(account)).runs) store.upsert(run);
    sim.requests.length = 0;
    scheduler = new Scheduler({ store, provider: id => (id === 'boringMarketing' ? provider : undefined), onHealth: () => {} }, OPTIONS);
    scheduler.start();
  }

  const listPath = () => new RegExp(`^/brands/${account.id}/runs$`);
  const listRequests = () => sim.requestsFor('boringMarketing', listPath()).length;
  const runPolls = (id?: string) => sim.requestsFor('boringMarketing', new RegExp(`^/brands/${account.id}/runs/${id ?? '[^/]+'}$`)).length;
  const tracked = (id: string) => store.get(keyOf({ provider: 'boringMarketing', id }))!;

  /** Moves the fake clock one cadence and lets the HTTP round trips it started finish. */
  async function cadence(expectRequests = true): Promise<void> {
    const before = sim.requests.length;
    await clock.tickAsync(CADENCE);
    if (!expectRequests) return;
    const deadline = process.hrtime.bigint() + 5_000_000_000n;
    while (sim.requests.length === before || scheduler!['inFlight'].size > 0) {
      if (process.hrtime.bigint() > deadline) throw new Error('timed out waiting for the requests of a cadence');
      await new Promise(resolve => setImmediate(resolve));
    }
    // The store announces changes in a microtask; the scheduler replans from them.
    await new Promise(resolve => setImmediate(resolve));
  }

  it('polls 5 active runs of one brand with one list request per cadence instead of 5 polls, and their stages still move', async () => {
    await listOnceAndStart();
    const stagesAtStart = runIds.map(id => tracked(id).run.progress?.current);
    for (let i = 0; i < 6; i++) await cadence();
    assert.equal(listRequests(), 6, 'one list request per cadence for the brand');
    assert.equal(runPolls(), 0, 'and no poll of any single run');
    const stagesNow = runIds.map(id => tracked(id).run.progress?.current);
    assert.ok(
      stagesNow.every((stage, i) => stage !== stagesAtStart[i]),
      `every run moved on a stage from the list answers alone (${stagesAtStart.join(',')} → ${stagesNow.join(',')})`,
    );
    assert.ok(runIds.every(id => tracked(id).polls === 6), 'each list answer counts as a poll of each run');
  });

  it('sees every run complete from the list answers, then stops asking', async () => {
    await listOnceAndStart();
    for (let i = 0; i < 40 && runIds.some(id => tracked(id).run.status === 'running'); i++) await cadence();
    assert.deepEqual(
      runIds.map(id => tracked(id).run.status),
      runIds.map(() => 'succeeded'),
    );
    assert.deepEqual(tracked(runIds[0]).run.progress?.stages?.map(s => s.state), ['done', 'done', 'done', 'done', 'done', 'done'], 'a completed run shows all six stages done');
    // The runs finish 5 s apart, so at the end one run is briefly the only active one and is polled on its own.
    assert.ok(runPolls() <= 1, `at most the last run alone was polled on its own (${runPolls()} polls)`);
    const requests = sim.requests.length;
    await clock.tickAsync(10 * CADENCE);
    await new Promise(resolve => setImmediate(resolve));
    assert.equal(sim.requests.length, requests, 'nothing is asked once every run finished');
  });

  it('falls back to per-run polls when the brand’s list answers with summaries, and the runs still update', async () => {
    bm.runListShape = 'summary';
    await listOnceAndStart();
    const stagesAtStart = runIds.map(id => tracked(id).run.progress?.current);
    for (let i = 0; i < 6; i++) await cadence();
    assert.equal(listRequests(), 1, 'the list was asked once, and gave summaries');
    assert.ok(runPolls() >= 5 * 5, `then each run was polled on its own (${runPolls()} polls)`);
    for (const id of runIds) assert.ok(runPolls(id) >= 5, `run ${id} polled on its own`);
    const stagesNow = runIds.map(id => tracked(id).run.progress?.current);
    assert.ok(stagesNow.every((stage, i) => stage !== stagesAtStart[i]), 'their stages moved from their own polls');
  });

  it('polls a run the list stops carrying on its own, which finds it gone; the others stay on the list', async () => {
    await listOnceAndStart();
    await cadence();
    assert.equal(runPolls(), 0);
    bm.runs.delete(runIds[0]);
    await cadence();
    await cadence();
    assert.equal(runPolls(runIds[0]), 1, 'the missing run was asked about on its own, once');
    assert.ok(tracked(runIds[0]).gone, 'and is marked gone');
    for (const id of runIds.slice(1)) assert.equal(runPolls(id), 0, `run ${id} is still polled by the list`);
    const lists = listRequests();
    await cadence();
    assert.equal(listRequests(), lists + 1, 'the other four are still polled with one list request per cadence');
  });

  it('holds the list for a Retry-After window like any poll: nothing is sent in it', async () => {
    await listOnceAndStart();
    sim.addFault({ provider: 'boringMarketing', path: `^/brands/${account.id}/runs$`, status: 429, headers: { 'retry-after': '35' }, body: { detail: 'Too many requests' } });
    await cadence();
    const atLimit = sim.requests.length;
    const limitedAt = Date.now();
    await cadence(false);
    await cadence(false);
    await cadence(false);
    assert.equal(sim.requests.length, atLimit, 'no request of any kind inside the 35 s window');
    await cadence();
    assert.equal(listRequests(), 2, 'after the window the list is asked again');
    assert.ok(sim.requestsFor('boringMarketing').at(-1)!.time >= limitedAt + 35 * SEC, 'not before the window ended');
    assert.equal(runPolls(), 0, 'and the runs did not fall back to their own polls');
  });
});

describe('The service’s list refresh beside the batched list (Boring Marketing over the simulator)', () => {
  let clock: FakeClock;
  let sim: Simulator;
  let bm: BoringMarketingSim;
  let service: RunwatchService | undefined;

  beforeEach(async () => {
    clock = fakeEngineClock(T0);
    sim = createSimulator();
    await sim.start();
    bm = sim.provider<BoringMarketingSim>('boringMarketing');
  });

  afterEach(async () => {
    service?.dispose();
    service = undefined;
    clock.uninstall();
    await sim.stop();
  });

  /** Moves the fake clock by `ms` in one-second steps, letting each step's HTTP round trips finish. */
  async function advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += SEC) {
      await clock.tickAsync(SEC);
      for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve));
    }
  }

  it('does not list a brand again for its 60 s refresh while the scheduler lists it every cadence, and still shows a run finished outside Runwatch', async () => {
    const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    // Three full runs that stay active for the whole test: the scheduler polls them with the brand's list.
    for (let i = 0; i < 3; i++) bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'brand_enrichment', inStageMs: 0, queuedMs: 0, durationMs: 3600 * SEC });
    service = createRunwatchService(
      { storage: new MemoryStorage(), keys: new MapVault([['boringMarketing', SIM_KEYS.boringMarketing]]), baseUrl: id => validateBaseUrl(sim.baseUrl(id)), log: silentLogger, scheduler: OPTIONS },
      createDefaultServiceDeps(),
    );
    // What the Runs view does: it is visible, and it lists the brand's runs when the brand is shown.
    service.setViewVisible(true);
    const [account] = await service.refreshAccounts('boringMarketing');
    await service.refreshRuns('boringMarketing', account);
    assert.equal(service.store.forAccount('boringMarketing', brand.id).length, 3);
    const listPath = new RegExp(`^/brands/${brand.id}/runs$`);
    const lists = () => sim.requestsFor('boringMarketing', listPath).length;
    const before = lists();
    // A run started and finished outside Runwatch: only a list shows it (the scheduler polls active runs).
    bm.addRun(brand.id, { kind: 'full', status: 'done' });

    await advance(3 * 60 * SEC);

    const made = lists() - before;
    // 18 cadences of 10 s; the scheduler's first list may come a cadence late, and jitter may fit one more in.
    assert.ok(made >= 16 && made <= 19, `one list of the brand per 10 s cadence over 3 minutes, not one more per 60 s refresh (${made} lists)`);
    assert.equal(sim.requestsFor('boringMarketing', new RegExp(`^/brands/${brand.id}/runs/`)).length, 0, 'no run was polled on its own');
    assert.equal(service.store.forAccount('boringMarketing', brand.id).length, 4, 'the run finished outside Runwatch is shown: the scheduler’s list counts as the refresh');
  });
});
