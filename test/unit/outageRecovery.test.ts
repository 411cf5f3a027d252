// After a provider outage (a 5xx storm on every poll): the real scheduler, store and Boring Marketing adapter
// against the simulator over real HTTP, under a fake clock (the simulator's clock reads Date.now). What a user
// checks: once the provider answers again, every run shows its current state within a cadence, not when its
// own back-off (up to a minute) happens to end; and nothing is asked faster than the cadence meanwhile.
import * as assert from 'node:assert/strict';
import type { ProviderHealth, SchedulerOptions } from '../../src/core/contracts';
import { keyOf } from '../../src/core/run';
import { Scheduler } from '../../src/core/scheduler';
import { RunStore } from '../../src/core/store';
import { BoringMarketingProvider } from '../../src/providers/boringMarketing';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import { fakeEngineClock, type FakeClock } from './support';

const T0 = Date.parse('2026-04-07T10:00:00Z');
const SEC = 1000;
/** Boring Marketing's documented cadence for full runs. */
const CADENCE = 10 * SEC;
const OPTIONS: SchedulerOptions = { whenUnfocused: 'slow', unfocusedFactor: 3, maxConcurrentPerProvider: 4, stuckAfterMs: 0, minIntervalMs: {} };
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('Recovery after a provider outage (Boring Marketing over the simulator)', () => {
  let clock: FakeClock;
  let sim: Simulator;
  let scheduler: Scheduler | undefined;

  beforeEach(async () => {
    clock = fakeEngineClock(T0);
    sim = createSimulator();
    await sim.start();
  });

  afterEach(async () => {
    scheduler?.dispose();
    scheduler = undefined;
    clock.uninstall();
    await sim.stop();
  });

  /** `count` brands with one running full run each (no list batching), tracked in a store, and a scheduler over them. */
  async function runsUnderScheduler(count: number, domain: string, deps: { onHealth: (h: ProviderHealth) => void; random: () => number }) {
    const bm = sim.provider<BoringMarketingSim>('boringMarketing');
    // Full runs in their first of six 2-minute stages.
    const runs = Array.from({ length: count }, (_, i) => {
      const brand = bm.addBrand({ domain: `${domain}${i}.com` });
      return { accountId: brand.id, id: bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'brand_enrichment', inStageMs: i * SEC, queuedMs: 0, durationMs: 2 * 60 * SEC }).id };
    });
    const provider = new BoringMarketingProvider({ baseUrl: sim.baseUrl('boringMarketing'), getKey: async () => SIM_KEYS.boringMarketing, log: quiet, timeoutMs: 5000 });
    const store = new RunStore();
    for (const r of runs) store.upsert(await provider.getRun({ ...r, kind: 'full' }), { pinned: true });
    scheduler = new Scheduler({ store, provider: id => (id === 'boringMarketing' ? provider : undefined), onHealth: (_id, h) => deps.onHealth(h), random: deps.random }, OPTIONS);
    return { runs, store, scheduler };
  }

  /** Moves the fake clock one second and lets the HTTP round trips it started finish. */
  async function second(): Promise<void> {
    await clock.tickAsync(SEC);
    const deadline = process.hrtime.bigint() + 5_000_000_000n;
    while (scheduler!['inFlight'].size > 0) {
      if (process.hrtime.bigint() > deadline) throw new Error('timed out waiting for the polls in flight');
      await new Promise(resolve => setImmediate(resolve));
    }
    await new Promise(resolve => setImmediate(resolve));
  }

  it('probes a provider in an outage with one request per round, sees it back within 2 cadences and then polls every run at once', async () => {
    const health: ProviderHealth[] = [];
    // Five brands; the largest jitter: every back-off is as long as the rules allow.
    const { runs, store, scheduler } = await runsUnderScheduler(5, 'brand', { onHealth: h => health.push(h), random: () => 1 });
    const runPath = /^\/brands\/[^/]+\/runs\/[^/]+$/;
    const polls = () => sim.requestsFor('boringMarketing', runPath);

    scheduler.start();
    for (let t = 0; t < CADENCE; t += SEC) await second();
    const stormStart = Date.now();
    sim.addFault({ provider: 'boringMarketing', method: 'GET', path: runPath.source, status: 503, body: { detail: 'Service Unavailable' }, times: 1_000_000 });
    // Two minutes of storm at least; it ends just after a failed request, the worst moment for a prober.
    let failures = 0;
    for (let t = 0; t < 10 * 60 * SEC; t += SEC) {
      await second();
      const now = polls().filter(r => r.status === 503).length;
      if (Date.now() - stormStart >= 2 * 60 * SEC && now > failures) break;
      failures = now;
    }
    assert.ok(health.some(h => h.state === 'backoff'), 'the provider backed off as a whole during the storm');
    sim.clearFaults();
    const stormEnd = Date.now();
    for (let t = 0; t < 3 * 60 * SEC; t += SEC) await second();

    // During the storm, once the provider backed off: one request per round, never a burst.
    const backedOffAt = polls().filter(r => r.status === 503)[4]?.time ?? stormStart;
    const inStorm = polls().filter(r => r.time > backedOffAt + CADENCE && r.time <= stormEnd);
    for (let i = 1; i < inStorm.length; i++) assert.ok(inStorm[i].time - inStorm[i - 1].time >= CADENCE, `two requests ${inStorm[i].time - inStorm[i - 1].time} ms apart in the storm: a burst, not one probe`);
    const answered = polls().filter(r => r.time >= stormEnd && r.status === 200);
    assert.ok(answered.length > 0, 'the provider was asked again after the storm');
    const firstAnswer = answered[0].time;
    assert.ok(firstAnswer - stormEnd <= 2 * CADENCE, `the provider was seen back ${(firstAnswer - stormEnd) / SEC} s after the storm ended, more than 2 cadences`);
    for (const r of runs) {
      const first = answered.find(q => q.path.endsWith(`/runs/${r.id}`));
      assert.ok(first, `run ${r.id} was polled after the storm`);
      assert.ok(first.time - firstAnswer <= CADENCE, `run ${r.id} was asked ${(first.time - firstAnswer) / SEC} s after the provider first answered again, not within a cadence`);
      const tracked = store.get(keyOf({ provider: 'boringMarketing', id: r.id }))!;
      assert.equal(tracked.failures, 0, 'and shows no failure any more');
      assert.notEqual(tracked.run.progress?.current, 'brand_enrichment', 'and the stage it moved on to during the storm');
    }
    // Never faster than the cadence, outage or not.
    for (const r of runs) {
      const times = polls()
        .filter(q => q.path.endsWith(`/runs/${r.id}`))
        .map(q => q.time);
      for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= CADENCE, `run ${r.id} polled ${times[i] - times[i - 1]} ms after its previous poll`);
    }
  });
  it('after an outage only some polls saw, asks every run it held back within a cadence of the first one answered again, not at the end of its own back-off', async () => {
    // Seeded jitter: each run's back-off grows on a ladder of its own, as with Math.random.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const { runs, scheduler } = await runsUnderScheduler(6, 'partial', { onHealth: () => {}, random });
    const runPath = /^\/brands\/[^/]+\/runs\/[^/]+$/;
    const polls = () => sim.requestsFor('boringMarketing', runPath);

    scheduler.start();
    for (let t = 0; t < CADENCE; t += SEC) await second();
    // Four runs' polls fail for three minutes (their endpoint is down); the other two keep answering, so the
    // provider as a whole is up and each failing run backs off on its own, up to a minute.
    const failing = runs.slice(0, 4);
    sim.addFault({ provider: 'boringMarketing', method: 'GET', path: `^/brands/[^/]+/runs/(${failing.map(r => r.id).join('|')})$`, status: 503, body: { detail: 'Service Unavailable' }, times: 1_000_000 });
    for (let t = 0; t < 3 * 60 * SEC; t += SEC) await second();
    sim.clearFaults();
    const outageEnd = Date.now();
    for (let t = 0; t < 2 * 60 * SEC; t += SEC) await second();

    const answered = polls().filter(r => r.time >= outageEnd && r.status === 200 && failing.some(f => r.path.endsWith(`/runs/${f.id}`)));
    assert.ok(answered.length > 0, 'the failing runs were asked again after the outage');
    const firstAnswer = answered[0].time;
    const waits = failing.map(r => (answered.find(q => q.path.endsWith(`/runs/${r.id}`))?.time ?? Infinity) - firstAnswer);
    for (const [i, wait] of waits.entries()) {
      assert.ok(wait <= CADENCE, `run ${i} was asked ${wait / SEC} s after the first held-back run was answered again, not within a cadence (waits: ${waits.map(w => w / SEC).join(', ')} s)`);
    }
    // And never faster than the cadence. The simulator stamps a request when it arrives, which under the fake
    // clock can be up to one tick after the scheduler sent it: intervals between arrivals may fall short by that.
    for (const r of runs) {
      const times = polls()
        .filter(q => q.path.endsWith(`/runs/${r.id}`))
        .map(q => q.time);
      for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= CADENCE - SEC, `run ${r.id} polled ${times[i] - times[i - 1]} ms after its previous poll`);
    }
  });

  it('after a 503 that said when to come back, asks every due run at that time (not one probe, not only as many as the cap), and nothing inside the pause', async () => {
    const health: ProviderHealth[] = [];
    // Six brands: more than the per-provider in-flight cap (4).
    const { runs, scheduler } = await runsUnderScheduler(6, 'timed', { onHealth: h => health.push(h), random: () => 0.5 });
    const runPath = /^\/brands\/[^/]+\/runs\/[^/]+$/;
    const polls = () => sim.requestsFor('boringMarketing', runPath);

    scheduler.start();
    for (let t = 0; t < CADENCE; t += SEC) await second();
    // The provider is down for two requests and says so with a time: the first request after the first pause
    // fails again, as it does when a service comes back a little later than it said.
    const refuse = () => sim.addFault({ provider: 'boringMarketing', method: 'GET', path: runPath.source, status: 503, headers: { 'retry-after': '60' }, body: { detail: 'Service Unavailable' }, times: 1 });
    refuse();
    while (!polls().some(r => r.status === 503)) await second();
    refuse();
    for (let t = 0; t < 3 * 60 * SEC; t += SEC) await second();

    const refusals = polls().filter(r => r.status === 503);
    assert.equal(refusals.length, 2, 'both refusals were met');
    assert.ok(health.some(h => h.state === 'backoff' && h.until === refusals[0].time + 60 * SEC), 'the provider showed as unavailable until the time it gave');
    // Nothing inside a pause: every request is either at the refusal's own instant (sent before its answer
    // arrived) or 60 s after it.
    for (const refusal of refusals) {
      const inside = polls().filter(r => r.time > refusal.time && r.time < refusal.time + 60 * SEC);
      assert.deepEqual(inside.map(r => r.time - refusal.time), [], 'requests inside the Retry-After pause');
    }
    assert.ok(refusals[1].time >= refusals[0].time + 60 * SEC, 'the second refusal came after the first pause');
    // At the end of the first pause, every run went at once, beyond the in-flight cap: the one that met the
    // second refusal waits again, the other five are fresh.
    const resumed = polls().filter(r => r.time === refusals[1].time);
    assert.equal(resumed.length, runs.length, `${resumed.length} request(s) when the first pause ended, not one per run`);
    assert.equal(resumed.filter(r => r.status === 200).length, runs.length - 1, 'all but the refused one answered');
    // And the refused one is asked again when the second pause ends, not later.
    const refusedRun = runs.find(r => refusals[1].path.endsWith(`/runs/${r.id}`))!;
    const retried = polls().find(r => r.time >= refusals[1].time + 60 * SEC && r.path.endsWith(`/runs/${refusedRun.id}`));
    assert.ok(retried && retried.time - (refusals[1].time + 60 * SEC) <= SEC, `the refused run was asked ${retried ? (retried.time - refusals[1].time) / SEC : 'never'} s after the second refusal, not when its pause ended`);
  });
});
