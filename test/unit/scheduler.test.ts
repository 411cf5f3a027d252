// The poll scheduler under a fake clock. The scheduler's contract is the Provider interface, so these tests
// drive it with a small scripted Provider (getRun answers from a script and logs when it was called);
// the last test drives the real Boring Marketing adapter over HTTP against the simulator.
import * as assert from 'node:assert/strict';
import { ProviderError } from '../../src/core/errors';
import type { ProviderHealth, SchedulerOptions } from '../../src/core/contracts';
import { keyOf, type ProviderId, type Run } from '../../src/core/run';
import { Scheduler, stuckThreshold } from '../../src/core/scheduler';
import { OUTAGE_PROBE_CADENCES } from '../../src/core/gate';
import { RunStore } from '../../src/core/store';
import type { CadenceContext, Provider, RunRef } from '../../src/providers/provider';
import { BoringMarketingProvider } from '../../src/providers/boringMarketing';
import { createSimulator, SIM_KEYS } from '../simulator/index';
import { fakeEngineClock, type FakeClock } from './support';

const T0 = Date.parse('2026-04-07T10:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;

type Answer = Run | ProviderError;

function run(provider: ProviderId, id: string, over: Partial<Run> = {}): Run {
  return { provider, accountId: 'acct-1', id, kind: 'full', status: 'running', rawStatus: 'running', startedAt: new Date(T0).toISOString(), ...over };
}

/** A scripted provider: answers getRun from a per-run script (the last answer repeats) and logs every call. */
class ScriptedProvider implements Provider {
  readonly displayName: string;
  readonly capabilities = { listAccounts: false, addAccount: 'none' as const, listRuns: false, cancel: false, result: false };
  readonly keyHelp = { prompt: '', placeholder: '' };
  readonly calls: { id: string; at: number }[] = [];
  readonly script = new Map<string, Answer[]>();
  /** Resolves the request after this long (fake time). */
  latencyMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly inFlightById = new Map<string, number>();
  overlapped = false;
  pollBudget?: { requests: number; perMs: number };

  constructor(
    readonly id: ProviderId,
    readonly cadence: (run: Run, context: CadenceContext) => number = () => 2000,
  ) {
    this.displayName = id;
  }

  cadenceMs(run: Run, context: CadenceContext): number {
    return this.cadence(run, context);
  }

  /** Answers for a run, in order; the last one keeps being given. */
  answer(id: string, ...answers: Answer[]): void {
    this.script.set(id, answers);
  }

  callsFor(id: string): number[] {
    return this.calls.filter(c => c.id === id).map(c => c.at);
  }

  async getRun(ref: RunRef): Promise<Run> {
    this.calls.push({ id: ref.id, at: Date.now() });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const mine = (this.inFlightById.get(ref.id) ?? 0) + 1;
    this.inFlightById.set(ref.id, mine);
    if (mine > 1) this.overlapped = true;
    try {
      if (this.latencyMs) await new Promise(resolve => setTimeout(resolve, this.latencyMs));
      const answers = this.script.get(ref.id);
      const answer = answers && answers.length > 1 ? answers.shift()! : answers?.[0];
      if (answer instanceof ProviderError) throw answer;
      return answer ?? run(this.id, ref.id);
    } finally {
      this.inFlight--;
      this.inFlightById.set(ref.id, (this.inFlightById.get(ref.id) ?? 1) - 1);
    }
  }

  checkKeyFormat() {
    return {};
  }
  async validateKey(): Promise<void> {}
  async listAccounts(): Promise<never> {
    throw new ProviderError('unsupported', 'not scripted');
  }
  async listRuns(): Promise<never> {
    throw new ProviderError('unsupported', 'not scripted');
  }
  async listKinds(): Promise<never> {
    throw new ProviderError('unsupported', 'not scripted');
  }
  async startRun(): Promise<never> {
    throw new ProviderError('unsupported', 'not scripted');
  }
}

const DEFAULTS: SchedulerOptions = {
  whenUnfocused: 'slow',
  unfocusedFactor: 3,
  maxConcurrentPerProvider: 4,
  stuckAfterMs: 15 * MIN,
  minIntervalMs: {},
};

interface Harness {
  store: RunStore;
  scheduler: Scheduler;
  health: { id: ProviderId; health: ProviderHealth }[];
  stuck: string[];
}

function harness(providers: Partial<Record<ProviderId, Provider>>, options: Partial<SchedulerOptions> = {}, random: () => number = () => 0.5): Harness {
  const store = new RunStore();
  const health: Harness['health'] = [];
  const stuck: string[] = [];
  const scheduler = new Scheduler(
    { store, provider: id => providers[id], onHealth: (id, h) => health.push({ id, health: h }), onStuck: key => stuck.push(key), random },
    { ...DEFAULTS, ...options },
  );
  return { store, scheduler, health, stuck };
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]);
}

/** The most requests in any window [t, t + windowMs) that starts at a request. */
function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j] < sorted[i] + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('Scheduler', () => {
  let clock: FakeClock;
  let current: Harness | undefined;

  beforeEach(() => {
    clock = fakeEngineClock(T0);
  });

  afterEach(() => {
    current?.scheduler.dispose();
    current = undefined;
    clock.uninstall();
  });

  function setup(providers: Partial<Record<ProviderId, Provider>>, options: Partial<SchedulerOptions> = {}, random?: () => number): Harness {
    current = harness(providers, options, random);
    return current;
  }

  it('polls each run at its provider’s cadence for its state and age, raised (never lowered) by a user minimum', async () => {
    const bm = new ScriptedProvider('boringMarketing', r => (r.status === 'queued' ? 5000 : 10_000));
    const amz = new ScriptedProvider('automindz', (_r, c) => (c.ageMs < 2 * MIN ? 10_000 : 30_000));
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    const { store, scheduler } = setup({ boringMarketing: bm, automindz: amz, gloriaMundo: gm }, { minIntervalMs: { gloriaMundo: 5000, boringMarketing: 1000 } });
    bm.answer('full', run('boringMarketing', 'full'));
    bm.answer('waiting', run('boringMarketing', 'waiting', { status: 'queued', rawStatus: 'queued' }));
    store.upsert(run('boringMarketing', 'full'));
    store.upsert(run('boringMarketing', 'waiting', { status: 'queued', rawStatus: 'queued' }));
    store.upsert(run('automindz', 'leavers'));
    store.upsert(run('gloriaMundo', 'wf-run'));
    scheduler.start();
    await clock.tickAsync(4 * MIN);

    assert.deepEqual(new Set(gaps(bm.callsFor('full'))), new Set([10_000]), 'running Boring Marketing run: every 10 s (a 1 s user minimum does not lower it)');
    assert.deepEqual(new Set(gaps(bm.callsFor('waiting'))), new Set([5000]), 'queued runs are polled too, at their own cadence');
    assert.deepEqual(new Set(gaps(gm.callsFor('wf-run'))), new Set([5000]), 'the user minimum of 5 s raises GloriaMundo’s 2 s');
    const amzGaps = gaps(amz.callsFor('leavers'));
    assert.equal(amzGaps[0], 10_000, 'young Automindz run: 10 s');
    assert.equal(amzGaps.at(-1), 30_000, 'older than two minutes: 30 s');
    assert.equal(store.get(keyOf(run('boringMarketing', 'full')))?.polls, bm.callsFor('full').length, 'every poll is counted on the run');
  });

  it('never polls terminal runs: 10,000 finished runs leave no timer and no request', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler } = setup({ boringMarketing: bm });
    // Spread over 100 accounts, as real histories are (the store keeps a per-account index).
    for (let i = 0; i < 10_000; i++) store.upsert(run('boringMarketing', `done-${i}`, { accountId: `acct-${i % 100}`, status: i % 3 ? 'succeeded' : 'failed', rawStatus: 'done' }));
    store.upsert(run('boringMarketing', 'live'));
    bm.answer('live', run('boringMarketing', 'live'), run('boringMarketing', 'live'), run('boringMarketing', 'live', { status: 'succeeded', rawStatus: 'done' }));
    scheduler.start();
    await clock.tickAsync(5 * MIN);

    assert.deepEqual([...new Set(bm.calls.map(c => c.id))], ['live'], 'only the active run is fetched');
    assert.equal(bm.calls.length, 3, 'polled until it finished, then never again');
    assert.equal(store.get('boringMarketing:live')?.run.status, 'succeeded');
    // What planning costs with 10,000 runs is a measurement (npm run bench), not a test: under a fake clock real
    // elapsed time says only how busy the machine was.
    assert.equal(clock.countTimers(), 0, 'nothing left to poll: no timer at all');
  });

  it('keeps one request in flight per run, even when answers are slower than the cadence and on refresh', async () => {
    const gm = new ScriptedProvider('gloriaMundo', () => 1000);
    gm.latencyMs = 7000;
    const { store, scheduler } = setup({ gloriaMundo: gm });
    store.upsert(run('gloriaMundo', 'slow'));
    scheduler.start();
    await clock.tickAsync(1500);
    assert.equal(gm.inFlight, 1);
    void scheduler.refreshNow(); // in flight: skipped
    void scheduler.refreshNow(['gloriaMundo:slow']);
    // A change from elsewhere (a list refresh) while the request is out re-plans the run but must not send again.
    store.upsert(run('gloriaMundo', 'slow', { progress: { percent: 40 } }));
    await clock.tickAsync(0);
    assert.equal(gm.calls.length, 1);
    await clock.tickAsync(60 * SEC);
    assert.equal(gm.overlapped, false, 'never two polls of one run at once');
    for (const gap of gaps(gm.callsFor('slow'))) assert.ok(gap >= 7000, `the next poll waits for the answer (gap ${gap} ms)`);
  });

  it('plans the next poll a cadence after the last was sent, so the round trip does not stretch the interval', async () => {
    const adlyse = new ScriptedProvider('adlyse', () => 1000);
    adlyse.latencyMs = 300;
    const { store, scheduler } = setup({ adlyse });
    store.upsert(run('adlyse', 'quick'));
    scheduler.start();
    await clock.tickAsync(20 * SEC);
    const intervals = gaps(adlyse.callsFor('quick'));
    assert.ok(intervals.length >= 15, `polled throughout (${intervals.length} intervals)`);
    assert.deepEqual([...new Set(intervals)], [1000], 'every poll one cadence after the previous one was sent (not 1300 ms: cadence + answer time)');
  });

  it('leaves half a cadence of quiet after an answer slower than half the cadence, rather than polling back to back', async () => {
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    gm.latencyMs = 1500;
    const { store, scheduler } = setup({ gloriaMundo: gm });
    store.upsert(run('gloriaMundo', 'sluggish'));
    scheduler.start();
    await clock.tickAsync(30 * SEC);
    const intervals = gaps(gm.callsFor('sluggish'));
    assert.ok(intervals.length >= 8, `polled throughout (${intervals.length} intervals)`);
    assert.deepEqual([...new Set(intervals)], [2500], 'sent 1.5 s answer + 1 s quiet apart (more than the 2 s cadence, less than the 3.5 s of answer + cadence)');
  });

  it('plans from a confirmation that came from elsewhere after its own poll (a list refresh)', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler } = setup({ boringMarketing: bm });
    store.upsert(run('boringMarketing', 'listed')); // listed now: first poll a cadence later
    scheduler.start();
    await clock.tickAsync(10_100);
    assert.equal(bm.callsFor('listed').length, 1);
    // 4 s after that poll the account's list confirms the run: the next poll is a cadence after the list.
    await clock.tickAsync(3900);
    store.upsert(run('boringMarketing', 'listed', { progress: { percent: 10 } }));
    await clock.tickAsync(7000);
    assert.equal(bm.callsFor('listed').length, 1, 'no poll a cadence after the first one: the list confirmed the run since');
    await clock.tickAsync(3500);
    assert.equal(bm.callsFor('listed').length, 2, 'polled a cadence after the list confirmed it');
  });

  it('on refresh of a run whose poll is out, waits for that answer and sends nothing more', async () => {
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    gm.latencyMs = 3000;
    const { store, scheduler } = setup({ gloriaMundo: gm });
    store.upsert(run('gloriaMundo', 'slow'));
    scheduler.start();
    await clock.tickAsync(2500);
    assert.equal(gm.inFlight, 1);
    let refreshed = false;
    void scheduler.refreshNow(['gloriaMundo:slow']).then(() => (refreshed = true));
    await clock.tickAsync(1000);
    assert.equal(refreshed, false, 'refresh returned before the answer that was on its way');
    await clock.tickAsync(2000);
    assert.equal(refreshed, true, 'refresh did not return once the poll answered');
    assert.equal(gm.calls.length, 1, 'the refresh sent a second poll');
  });

  it('caps requests in flight per provider and serves waiting runs fairly', async () => {
    const talonic = new ScriptedProvider('talonic', () => 2000);
    talonic.latencyMs = 3000;
    const { store, scheduler } = setup({ talonic }, { maxConcurrentPerProvider: 2 });
    for (let i = 0; i < 6; i++) store.upsert(run('talonic', `p${i}`));
    scheduler.start();
    await clock.tickAsync(3 * MIN);
    assert.equal(talonic.maxInFlight, 2, 'at most two requests at once');
    const counts = [0, 1, 2, 3, 4, 5].map(i => talonic.callsFor(`p${i}`).length);
    assert.ok(Math.min(...counts) > 0, 'every run gets its turn');
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `oldest-due first shares the slots evenly: ${counts.join(', ')}`);
  });

  it('never exceeds a GloriaMundo-style budget of 60 polls a minute with 5 active runs, shared evenly', async () => {
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    gm.pollBudget = { requests: 60, perMs: 60_000 };
    const { store, scheduler } = setup({ gloriaMundo: gm });
    for (let i = 0; i < 5; i++) store.upsert(run('gloriaMundo', `r${i}`));
    scheduler.start();
    await clock.tickAsync(2 * MIN);
    const refreshed = scheduler.refreshNow(); // a refresh in the middle must not break the budget either
    await clock.tickAsync(3 * MIN);
    await refreshed;

    const times = gm.calls.map(c => c.at);
    const worst = maxInAnyWindow(times, 60_000);
    assert.ok(worst <= 60, `at most 60 requests in any 60 s window (saw ${worst})`);
    assert.ok(times.length >= 5 * 50, `the budget is used, not wasted (${times.length} polls in 5 min)`);
    const counts = [0, 1, 2, 3, 4].map(i => gm.callsFor(`r${i}`).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `shared evenly: ${counts.join(', ')}`);
    const burst = maxInAnyWindow(times.filter(t => t < T0 + 2 * MIN), 10_000);
    assert.ok(burst <= 12, `spread over the minute, not spent in a burst and then starved (${burst} in 10 s)`);
  });

  it('pauses the whole provider for Retry-After, sends nothing in the window, then resumes every run at once', async () => {
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler, health } = setup({ gloriaMundo: gm, boringMarketing: bm });
    for (const id of ['a', 'b', 'c']) store.upsert(run('gloriaMundo', id));
    store.upsert(run('boringMarketing', 'other'));
    gm.answer('a', run('gloriaMundo', 'a'), new ProviderError('rateLimited', 'GloriaMundo: too many requests', { status: 429, retryAfterMs: 30_000 }), run('gloriaMundo', 'a'));
    scheduler.start();
    await clock.tickAsync(5 * SEC);
    const limitedAt = gm.calls.filter(c => c.id === 'a')[1].at;
    await clock.tickAsync(40 * SEC);

    const inWindow = gm.calls.filter(c => c.at > limitedAt && c.at < limitedAt + 30_000);
    assert.equal(inWindow.length, 0, 'zero requests to the provider during the Retry-After window');
    const after = gm.calls.filter(c => c.at >= limitedAt + 30_000);
    assert.equal(after[0].at, limitedAt + 30_000, 'resumes right when the window ends');
    assert.deepEqual(new Set(after.filter(c => c.at === limitedAt + 30_000).map(c => c.id)), new Set(['a', 'b', 'c']), 'all its runs at once');
    assert.ok(bm.calls.some(c => c.at > limitedAt && c.at < limitedAt + 30_000), 'other providers carry on');
    const limited = health.find(h => h.id === 'gloriaMundo' && h.health.state === 'rateLimited');
    assert.deepEqual(limited?.health, { state: 'rateLimited', message: 'GloriaMundo: too many requests', until: limitedAt + 30_000 });
    assert.deepEqual(health.at(-1), { id: 'gloriaMundo', health: { state: 'ok' } }, 'and says it is fine again');
    assert.equal(store.get('gloriaMundo:a')?.failures, 0, 'a rate limit is not the run’s failure');
  });

  it('refreshNow honours a Retry-After pause and an auth stop: it says so instead of sending', async () => {
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    const { store, scheduler, health } = setup({ gloriaMundo: gm });
    store.upsert(run('gloriaMundo', 'a'));
    gm.answer('a', new ProviderError('rateLimited', 'slow down', { retryAfterMs: 60_000 }), run('gloriaMundo', 'a'));
    scheduler.start();
    await clock.tickAsync(2000);
    assert.equal(gm.calls.length, 1);
    const healthBefore = health.length;
    await scheduler.refreshNow();
    await clock.tickAsync(1000);
    assert.equal(gm.calls.length, 1, 'no request while the provider asked us to wait');
    assert.equal(health.length, healthBefore + 1, 'the health is reported again');
    assert.equal(health.at(-1)?.health.state, 'rateLimited');
    assert.equal(scheduler.health('gloriaMundo').state, 'rateLimited');
  });

  it('backs a failing run off exponentially with jitter; the only run of a provider backed off as a whole, up to 2 cadences', async () => {
    const withRandom = async (random: number) => {
      const bm = new ScriptedProvider('boringMarketing', () => 10_000);
      bm.answer('r', new ProviderError('server', 'Boring Marketing had a server error (HTTP 502).', { status: 502 }));
      const h = harness({ boringMarketing: bm }, {}, () => random);
      h.store.upsert(run('boringMarketing', 'r'));
      h.scheduler.start();
      await clock.tickAsync(30 * MIN);
      h.scheduler.dispose();
      return { gaps: gaps(bm.callsFor('r')), store: h.store, health: h.health };
    };
    const high = await withRandom(1);
    // From the third failure the provider is backed off as a whole (its only run kept failing), and this run is
    // its probe: one request per round of at most OUTAGE_PROBE_CADENCES, not the run's own minute.
    assert.deepEqual(high.gaps.slice(0, 5), [20_000, 40_000, OUTAGE_PROBE_CADENCES * 10_000, OUTAGE_PROBE_CADENCES * 10_000, OUTAGE_PROBE_CADENCES * 10_000], 'doubles from the cadence, then capped at the probe round (2 cadences)');
    const low = await withRandom(0);
    assert.ok(low.gaps.every(g => g === 10_000), 'the jitter never polls a failing run faster than its cadence');
    const mid = await withRandom(0.5);
    assert.deepEqual(mid.gaps.slice(0, 3), [15_000, 25_000, 15_000], 'the delay is drawn between the cadence and the ceiling (capped at the probe round)');
    const tracked = high.store.get('boringMarketing:r')!;
    assert.equal(tracked.stale, true, 'marked stale after repeated failures');
    assert.equal(tracked.run.status, 'running', 'last known state kept');
    assert.match(tracked.lastError ?? '', /HTTP 502/);
  });

  it('backs the provider off when several runs fail in a row, and recovers by itself on the first success', async () => {
    const tal = new ScriptedProvider('talonic', () => 5000);
    const down = new ProviderError('network', 'Could not reach Talonic (ECONNRESET).');
    const { store, scheduler, health } = setup({ talonic: tal }, {}, () => 1);
    for (const id of ['a', 'b', 'c']) {
      store.upsert(run('talonic', id));
      tal.answer(id, down, run('talonic', id));
    }
    scheduler.start();
    await clock.tickAsync(5 * SEC);
    assert.equal(tal.calls.length, 3);
    const backoff = health.find(h => h.health.state === 'backoff')?.health;
    assert.ok(backoff && backoff.state === 'backoff', 'provider health says it is backing off');
    assert.equal(backoff.message, 'Could not reach Talonic (ECONNRESET).');
    assert.ok(backoff.until > Date.now());
    const until = backoff.until;
    await clock.tickAsync(until - Date.now() - 1);
    assert.equal(tal.calls.length, 3, 'no request before the provider back-off ends');
    await clock.tickAsync(5 * MIN);
    assert.deepEqual(health.at(-1), { id: 'talonic', health: { state: 'ok' } }, 'the first success resets the health');
    for (const id of ['a', 'b', 'c']) {
      assert.equal(store.get(`talonic:${id}`)?.failures, 0);
      const runGaps = gaps(tal.callsFor(id));
      assert.deepEqual(runGaps.slice(-3), [5000, 5000, 5000], `run ${id} is back at its cadence`);
    }
  });

  it('raises the provider back-off one step per round of failures, not one per request in flight', async () => {
    const tal = new ScriptedProvider('talonic', () => 5000);
    const down = new ProviderError('server', 'Talonic had a server error (HTTP 503).');
    const { store, scheduler } = setup({ talonic: tal }, { maxConcurrentPerProvider: 4 }, () => 1);
    for (const id of ['a', 'b', 'c', 'd']) {
      store.upsert(run('talonic', id));
      tal.answer(id, down);
    }
    scheduler.start();
    await clock.tickAsync(3 * MIN);
    // Rounds: requests sent together (the four runs are due at once after a provider pause).
    const rounds: number[] = [];
    for (const { at } of tal.calls) if (!rounds.length || at - rounds[rounds.length - 1] > 1000) rounds.push(at);
    const waits = gaps(rounds);
    assert.ok(waits.length >= 3, `several probe rounds within three minutes, got ${waits.length}`);
    for (let i = 1; i < waits.length; i++) {
      assert.ok(waits[i] <= waits[i - 1] * 2 + 5 * SEC, `round ${i + 1} waited ${waits[i]} ms after ${waits[i - 1]} ms: at most double (plus a cadence)`);
    }
    assert.ok(waits[0] <= 20 * SEC, `the first provider back-off is short (${waits[0]} ms), not four levels at once`);
  });

  it('lifts its own provider back-off when the user refreshes', async () => {
    const tal = new ScriptedProvider('talonic', () => 5000);
    const down = new ProviderError('server', 'Talonic had a server error (HTTP 500).', { status: 500 });
    const { store, scheduler } = setup({ talonic: tal }, {}, () => 1);
    for (const id of ['a', 'b', 'c']) {
      store.upsert(run('talonic', id));
      tal.answer(id, down, run('talonic', id));
    }
    scheduler.start();
    await clock.tickAsync(5 * SEC);
    assert.equal(scheduler.health('talonic').state, 'backoff');
    const refreshed = scheduler.refreshNow();
    await clock.tickAsync(0);
    await refreshed;
    assert.equal(tal.calls.length, 6, 'every run asked again at once');
    assert.equal(scheduler.health('talonic').state, 'ok');
  });

  it('applies changed settings at once', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler } = setup({ boringMarketing: bm });
    store.upsert(run('boringMarketing', 'r'));
    scheduler.start();
    await clock.tickAsync(MIN);
    const from = Date.now();
    scheduler.updateOptions({ minIntervalMs: { boringMarketing: 30_000 } });
    await clock.tickAsync(3 * MIN);
    assert.deepEqual(new Set(gaps(bm.callsFor('r').filter(t => t > from))), new Set([30_000]));
  });

  it('stops a provider on a bad key, says so once, and starts again only on resumeProvider', async () => {
    const adl = new ScriptedProvider('adlyse', () => 1000);
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    const { store, scheduler, health } = setup({ adlyse: adl, gloriaMundo: gm });
    for (const id of ['a', 'b', 'c']) store.upsert(run('adlyse', id));
    store.upsert(run('gloriaMundo', 'g'));
    adl.answer('a', new ProviderError('auth', 'Adlyse rejected the API key (401).', { status: 401 }), run('adlyse', 'a'));
    adl.answer('b', new ProviderError('auth', 'Adlyse rejected the API key (401).', { status: 401 }), run('adlyse', 'b'));
    scheduler.start();
    await clock.tickAsync(10 * MIN);
    assert.ok(adl.calls.length <= 3, `at most the requests already sent (${adl.calls.length})`);
    const authHealth = health.filter(h => h.id === 'adlyse');
    assert.deepEqual(authHealth, [{ id: 'adlyse', health: { state: 'authFailed', message: 'Adlyse rejected the API key (401).' } }], 'said once');
    assert.ok(gm.calls.length > 100, 'other providers carry on');

    await scheduler.refreshNow();
    assert.ok(adl.calls.length <= 3, 'a refresh does not send with a rejected key');

    const before = adl.calls.length;
    scheduler.resumeProvider('adlyse');
    await clock.tickAsync(0);
    assert.equal(adl.calls.length, before + 3, 'a new key polls every run at once');
    assert.deepEqual(health.at(-1), { id: 'adlyse', health: { state: 'ok' } });
  });

  it('marks a run the provider no longer knows as gone, keeps it, and stops polling it', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler } = setup({ boringMarketing: bm });
    store.upsert(run('boringMarketing', 'vanished'));
    store.upsert(run('boringMarketing', 'alive'));
    bm.answer('vanished', new ProviderError('notFound', 'Boring Marketing has no run vanished (404).', { status: 404 }));
    scheduler.start();
    await clock.tickAsync(5 * MIN);
    assert.equal(bm.callsFor('vanished').length, 1, 'one 404 and no more requests');
    const gone = store.get('boringMarketing:vanished');
    assert.equal(gone?.gone, true);
    assert.match(gone?.lastError ?? '', /404/);
    assert.ok(bm.callsFor('alive').length >= 29, 'the provider itself is not stopped');
  });

  it('polls a run added after start, stops polling a removed one, and counts an outside confirmation', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler } = setup({ boringMarketing: bm });
    scheduler.start();
    store.upsert(run('boringMarketing', 'late'));
    await clock.tickAsync(10 * SEC);
    assert.equal(bm.callsFor('late').length, 1, 'a run tracked after start is polled at its cadence');
    await clock.tickAsync(5 * SEC);
    store.upsert(run('boringMarketing', 'late')); // a list refresh just confirmed it
    await clock.tickAsync(9 * SEC);
    assert.equal(bm.callsFor('late').length, 1, 'a fresh confirmation from elsewhere postpones the next poll');
    await clock.tickAsync(1 * SEC);
    assert.equal(bm.callsFor('late').length, 2);
    store.remove('boringMarketing:late');
    await clock.tickAsync(5 * MIN);
    assert.equal(bm.callsFor('late').length, 2, 'untracked: never polled again');
    assert.equal(clock.countTimers(), 0);
  });

  it('slows down when unfocused in "slow" mode, stops in "pause" mode, changes nothing in "normal" mode', async () => {
    const rates: Record<string, number[]> = {};
    for (const mode of ['slow', 'pause', 'normal'] as const) {
      const bm = new ScriptedProvider('boringMarketing', () => 10_000);
      const h = harness({ boringMarketing: bm }, { whenUnfocused: mode, unfocusedFactor: 3 });
      h.store.upsert(run('boringMarketing', 'r'));
      h.scheduler.start();
      await clock.tickAsync(30 * SEC);
      h.scheduler.setFocused(false);
      const from = Date.now();
      await clock.tickAsync(5 * MIN);
      rates[mode] = bm.callsFor('r').filter(t => t > from);
      if (mode === 'pause') assert.equal(clock.countTimers(), 0, 'paused: not even a timer');
      h.scheduler.dispose();
    }
    assert.equal(rates.normal.length, 30, 'normal: every 10 s as before');
    assert.ok(rates.slow.length === 10 || rates.slow.length === 11, `slow: about every 30 s (${rates.slow.length})`);
    assert.ok(gaps(rates.slow).every(g => g === 30_000));
    assert.equal(rates.pause.length, 0, 'pause: no request while unfocused');
  });

  it('on refocus polls every stale run at once, then returns to normal cadence', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    const { store, scheduler } = setup({ boringMarketing: bm, gloriaMundo: gm }, { whenUnfocused: 'pause' });
    store.upsert(run('boringMarketing', 'x'));
    store.upsert(run('boringMarketing', 'y'));
    store.upsert(run('gloriaMundo', 'z'));
    scheduler.start();
    await clock.tickAsync(15 * SEC);
    scheduler.setFocused(false);
    await clock.tickAsync(10 * MIN);
    const back = Date.now();
    const before = bm.calls.length + gm.calls.length;
    scheduler.setFocused(true);
    await clock.tickAsync(0);
    assert.equal(bm.calls.length + gm.calls.length, before + 3, 'all three stale runs polled the moment focus returns');
    await clock.tickAsync(60 * SEC);
    assert.deepEqual(new Set(gaps(bm.callsFor('x').filter(t => t >= back))), new Set([10_000]));
    assert.deepEqual(new Set(gaps(gm.callsFor('z').filter(t => t >= back))), new Set([2000]));
  });

  it('flags a run whose stage has not moved past the threshold once, and clears it when it moves', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler, stuck } = setup({ boringMarketing: bm }, { stuckAfterMs: 15 * MIN });
    const stage = (name: string, at: number) => run('boringMarketing', 'r', { progress: { current: name, stageStartedAt: new Date(at).toISOString() } });
    store.upsert(stage('evidence_collection', T0));
    bm.answer('r', stage('evidence_collection', T0));
    scheduler.start();
    await clock.tickAsync(14 * MIN);
    assert.deepEqual(stuck, [], 'not before the threshold');
    await clock.tickAsync(10 * MIN);
    assert.deepEqual(stuck, ['boringMarketing:r'], 'reported once, however many polls follow');
    assert.equal(store.get('boringMarketing:r')?.stuck, true);
    bm.answer('r', stage('leverage_scoring', Date.now()));
    await clock.tickAsync(10 * SEC);
    assert.equal(store.get('boringMarketing:r')?.stuck, false, 'the stage moved on');
    assert.deepEqual(stuck, ['boringMarketing:r']);
  });

  it('falls back to the last change when a provider gives no stage start time', async () => {
    const amz = new ScriptedProvider('automindz', () => 30_000);
    const { store, scheduler, stuck } = setup({ automindz: amz }, { stuckAfterMs: 5 * MIN });
    store.upsert(run('automindz', 'r', { progress: { percent: 10 } }));
    amz.answer('r', run('automindz', 'r', { progress: { percent: 10 } }));
    scheduler.start();
    await clock.tickAsync(6 * MIN);
    assert.deepEqual(stuck, ['automindz:r']);
  });

  it('never calls a run stuck that reports no progress it could stall on', async () => {
    const amz = new ScriptedProvider('automindz', () => 30_000);
    const { store, scheduler, stuck } = setup({ automindz: amz }, { stuckAfterMs: 5 * MIN });
    store.upsert(run('automindz', 'quiet'));
    amz.answer('quiet', run('automindz', 'quiet'));
    scheduler.start();
    await clock.tickAsync(60 * MIN);
    assert.deepEqual(stuck, [], 'no stage, step, percentage or detail: nothing to see stall');
  });

  it('gives Boring Marketing discovery (no stage, 10–20 minutes) its own threshold', () => {
    const bm = new BoringMarketingProvider({ baseUrl: 'http://127.0.0.1:9', getKey: async () => undefined, log: { info() {}, warn() {}, error() {}, debug() {} } as never });
    const discovery = run('boringMarketing', 'd', { kind: 'discovery' });
    assert.equal(stuckThreshold(discovery, 15 * MIN, bm), 30 * MIN, 'not stuck inside its documented 10–20 minutes');
    assert.equal(stuckThreshold(discovery, 45 * MIN, bm), 45 * MIN, 'a longer setting still counts');
    const full = run('boringMarketing', 'f', { kind: 'full', progress: { current: 'evidence_collection', index: 4, total: 6 } });
    assert.equal(stuckThreshold(full, 15 * MIN, bm), 15 * MIN, 'a staged run uses the setting');
    assert.equal(stuckThreshold(run('boringMarketing', 'q', { kind: 'synthesize' }), 15 * MIN, bm), undefined, 'a run that reports nothing is never stuck');
  });

  it('makes no request at all while passive, and polls stale runs at once on taking over', async () => {
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler } = setup({ boringMarketing: bm });
    store.upsert(run('boringMarketing', 'a'));
    store.upsert(run('boringMarketing', 'b'));
    scheduler.setPassive(true);
    scheduler.start();
    await clock.tickAsync(5 * MIN);
    await scheduler.refreshNow();
    store.upsert(run('boringMarketing', 'c'));
    await clock.tickAsync(5 * MIN);
    assert.equal(bm.calls.length, 0, 'another window polls: zero requests from this one');
    assert.equal(clock.countTimers(), 0);
    scheduler.setPassive(false);
    await clock.tickAsync(0);
    assert.deepEqual(bm.calls.map(c => c.id).sort(), ['a', 'b', 'c'], 'every stale run at once');
  });

  it('leaves no timer and makes no request once disposed', async () => {
    const gm = new ScriptedProvider('gloriaMundo', () => 2000);
    const bm = new ScriptedProvider('boringMarketing', () => 10_000);
    const { store, scheduler } = setup({ gloriaMundo: gm, boringMarketing: bm });
    store.upsert(run('gloriaMundo', 'a'));
    store.upsert(run('boringMarketing', 'b'));
    store.upsert(run('boringMarketing', 'c'));
    bm.answer('c', new ProviderError('rateLimited', 'wait', { retryAfterMs: 60_000 }));
    gm.answer('a', new ProviderError('server', 'down', { status: 503 }));
    scheduler.start();
    await clock.tickAsync(15 * SEC);
    assert.ok(clock.countTimers() > 0, 'polling, back-offs and pauses pending');
    scheduler.dispose();
    assert.equal(clock.countTimers(), 0, 'dispose clears every timer');
    const calls = gm.calls.length + bm.calls.length;
    await clock.tickAsync(10 * MIN);
    assert.equal(gm.calls.length + bm.calls.length, calls);
  });

  it('reports noKey for a provider without an adapter and sends nothing for it', async () => {
    const { store, scheduler, health } = setup({});
    store.upsert(run('talonic', 'orphan'));
    scheduler.start();
    await clock.tickAsync(MIN);
    assert.deepEqual(scheduler.health('talonic'), { state: 'noKey' });
    assert.deepEqual(health, [{ id: 'talonic', health: { state: 'noKey' } }]);
    assert.equal(clock.countTimers(), 0);
  });

  it('backs off slowly on answers that retrying will not change (403) without stopping the provider', async () => {
    const tal = new ScriptedProvider('talonic', () => 3000);
    const { store, scheduler, health } = setup({ talonic: tal }, {}, () => 0);
    store.upsert(run('talonic', 'denied'));
    store.upsert(run('talonic', 'fine'));
    tal.answer('denied', new ProviderError('forbidden', 'The key lacks the pipelines:read scope (403).', { status: 403 }));
    scheduler.start();
    await clock.tickAsync(5 * MIN);
    const deniedGaps = gaps(tal.callsFor('denied'));
    assert.ok(deniedGaps.every(g => g >= 60_000), `at most once a minute (${deniedGaps.join(', ')})`);
    assert.ok(tal.callsFor('fine').length >= 99, 'the provider keeps polling its other runs');
    assert.equal(health.length, 0, 'the provider stays healthy');
    assert.match(store.get('talonic:denied')?.lastError ?? '', /scope/);
  });

  it('polls a status it does not know ever more slowly, stops after an hour of it and says why; Refresh asks once more', async () => {
    const adlyse = new ScriptedProvider('adlyse', () => 1000);
    const { store, scheduler } = setup({ adlyse });
    const odd = run('adlyse', 'odd', { status: 'unknown', rawStatus: 'awaiting_review' });
    adlyse.answer('odd', odd);
    store.upsert(odd, { pinned: true });
    scheduler.start();
    await clock.tickAsync(3 * 60 * MIN);

    const times = adlyse.callsFor('odd');
    const intervals = gaps(times);
    assert.deepEqual(intervals.slice(0, 6), [1000, 2000, 4000, 8000, 16_000, 32_000], 'the interval doubles from Adlyse’s 1 s cadence');
    assert.equal(Math.max(...intervals), 5 * MIN, 'up to a cap of 5 minutes');
    assert.ok(times.at(-1)! - T0 >= 60 * MIN && times.at(-1)! - T0 < 66 * MIN, `the last poll comes about an hour in (${(times.at(-1)! - T0) / MIN} min)`);
    assert.ok(times.length < 30, `a bounded number of polls (${times.length}), not one a second forever`);
    const tracked = store.get(keyOf(odd))!;
    assert.equal(tracked.stale, true, 'the run is kept, marked stale');
    assert.match(tracked.lastError ?? '', /"awaiting_review".*does not know.*stopped checking after 1 h/);
    assert.equal(clock.countTimers(), 0, 'nothing left to poll');

    await scheduler.refreshNow([keyOf(odd)]);
    await clock.tickAsync(60 * MIN);
    assert.equal(adlyse.callsFor('odd').length, times.length + 1, 'a Refresh asks once more, then it stops again');
    assert.equal(store.get(keyOf(odd))!.stale, true);
  });

  it('loses no run to an exception while handling an answer: a run it cannot read does not starve the others', async () => {
    // One request at a time: a poll whose completion threw once kept its slot for ever, so the healthy run got 0 polls.
    const tal = new ScriptedProvider('talonic', () => 2000);
    const { store, scheduler } = setup({ talonic: tal }, { maxConcurrentPerProvider: 1 });
    // A run as a downgrade or a hand edit leaves it: progress.stages is not a list (the store's comparison throws on it).
    store.upsert(run('talonic', 'damaged', { progress: { stages: 'extracting' as never } }));
    store.upsert(run('talonic', 'healthy'));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      scheduler.start();
      await clock.tickAsync(2 * MIN);
      await new Promise(resolve => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.ok(tal.callsFor('healthy').length >= 20, `the healthy run keeps being polled (${tal.callsFor('healthy').length} polls)`);
    assert.ok(tal.callsFor('damaged').length >= 2, 'the damaged run is polled again, not dropped');
    assert.ok(store.get('talonic:damaged'), 'and is still tracked');
    assert.match(store.get('talonic:damaged')?.lastError ?? '', /Runwatch/, 'with a word on what went wrong');
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });
});

describe('Scheduler with the real Boring Marketing adapter', () => {
  /** Lets real I/O (the HTTP round trip to the simulator) complete while the fake clock stands still. */
  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = process.hrtime.bigint() + 5_000_000_000n;
    while (!condition()) {
      if (process.hrtime.bigint() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise(resolve => setImmediate(resolve));
    }
  }

  it('polls a run over HTTP at the adapter’s cadence until it finishes, then stops', async function () {
    // The simulator's clock reads Date.now, so the fake clock moves the simulated runs on too.
    const clock = fakeEngineClock(T0);
    const sim = createSimulator();
    let scheduler: Scheduler | undefined;
    try {
      await sim.start();
      const provider = new BoringMarketingProvider({
        baseUrl: sim.baseUrl('boringMarketing'),
        getKey: async () => SIM_KEYS.boringMarketing,
        log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
        timeoutMs: 5000,
      });
      let started: Run;
      try {
        const account = await provider.addAccount!({ value: 'acme.com', label: 'Acme' });
        const kinds = await provider.listKinds(account);
        const kind = kinds.find(k => k.id === 'llm_enrichment') ?? kinds.find(k => k.inputs.every(i => !i.required));
        if (!kind) return this.skip();
        started = (await provider.startRun(account, kind, {})).run;
      } catch (e) {
        // The adapter or its simulator is still a stub: nothing to drive yet.
        if (e instanceof ProviderError && (e.kind === 'unsupported' || e.kind === 'notFound')) return this.skip();
        throw e;
      }
      const store = new RunStore();
      store.upsert(started, { pinned: true });
      const key = keyOf(started);
      const cadence = provider.cadenceMs(started, { ageMs: 0, polls: 0 });
      const runPath = new RegExp(`/runs/${started.id}$`);
      scheduler = new Scheduler({ store, provider: id => (id === 'boringMarketing' ? provider : undefined), onHealth: () => {} }, { ...DEFAULTS });
      scheduler.start();
      const finished = () => ['succeeded', 'failed', 'cancelled'].includes(store.get(key)!.run.status);
      for (let i = 0; i < 100 && !finished(); i++) {
        const polls = store.get(key)!.polls;
        await clock.tickAsync(cadence);
        await until(() => store.get(key)!.polls > polls, `poll ${i + 1}`);
      }
      assert.ok(finished(), `the run finished (${store.get(key)!.run.status})`);
      const times = sim.requestsFor('boringMarketing', runPath).map(r => r.time);
      assert.ok(times.length >= 2, `polled over HTTP (${times.length} times)`);
      assert.deepEqual(new Set(gaps(times)), new Set([cadence]), 'at the adapter’s documented cadence');
      await clock.tickAsync(10 * MIN);
      await new Promise(resolve => setImmediate(resolve));
      assert.equal(sim.requestsFor('boringMarketing', runPath).length, times.length, 'a finished run is not polled any more');
      assert.equal(clock.countTimers(), 0, 'and leaves no timer behind');
    } finally {
      scheduler?.dispose();
      clock.uninstall();
      await sim.stop();
    }
  });
});
