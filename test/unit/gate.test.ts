// The per-provider gate under a fake clock: polls (the scheduler) and every other request (lists, through
// the gated Provider) share one Retry-After window, one budget and one cap. Then two service "windows" over
// real HTTP against the simulator: the follower sends nothing, and its Refresh is carried out by the leader.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProviderError } from '../../src/core/errors';
import type { RunwatchService, SchedulerOptions } from '../../src/core/contracts';
import { asUserAction, gatedProvider, isWaitCancelled, ProviderGates, REOPENING_BURST_MAX } from '../../src/core/gate';
import type { ProviderId, Run } from '../../src/core/run';
import { Scheduler } from '../../src/core/scheduler';
import { MemoryStorage, RunStore } from '../../src/core/store';
import { createRunwatchService } from '../../src/core/service';
import { createDefaultServiceDeps } from '../../src/serviceDeps';
import { silentLogger, validateBaseUrl } from '../../src/core/http';
import type { Account, Provider, RunRef } from '../../src/providers/provider';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import { MapVault, fakeEngineClock, type FakeClock } from './support';
import type { BoringMarketingSim } from '../simulator/boringMarketing';

const T0 = Date.parse('2026-04-07T10:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;

const OPTIONS: SchedulerOptions = { whenUnfocused: 'normal', unfocusedFactor: 1, maxConcurrentPerProvider: 4, stuckAfterMs: 15 * MIN, minIntervalMs: {} };

function run(provider: ProviderId, id: string): Run {
  return { provider, accountId: 'acct-1', id, kind: 'full', status: 'running', rawStatus: 'running', startedAt: new Date(T0).toISOString() };
}

/** A provider whose polls and account lists answer from scripts (the last answer repeats) and log when they were sent. */
class Scripted implements Provider {
  readonly displayName: string;
  readonly capabilities = { listAccounts: true, addAccount: 'none' as const, listRuns: false, cancel: false, result: false };
  readonly keyHelp = { prompt: '', placeholder: '' };
  pollBudget?: { requests: number; perMs: number };
  readonly sent: { what: 'poll' | 'list'; at: number }[] = [];
  polls: (Run | ProviderError)[] = [];
  lists: (Account[] | ProviderError)[] = [];

  constructor(readonly id: ProviderId) {
    this.displayName = id;
  }

  at(what: 'poll' | 'list'): number[] {
    return this.sent.filter(s => s.what === what).map(s => s.at);
  }

  cadenceMs(): number {
    return 2000;
  }

  private next<T>(what: 'poll' | 'list', script: (T | ProviderError)[], fallback: T): T {
    this.sent.push({ what, at: Date.now() });
    const answer = script.length > 1 ? script.shift()! : (script[0] ?? fallback);
    if (answer instanceof ProviderError) throw answer;
    return answer;
  }

  async getRun(ref: RunRef): Promise<Run> {
    return this.next('poll', this.polls, run(this.id, ref.id));
  }

  async listAccounts(): Promise<Account[]> {
    return this.next('list', this.lists, [{ provider: this.id, id: 'acct-1', label: 'Acct' }]);
  }

  checkKeyFormat() {
    return {};
  }
  async validateKey(): Promise<void> {}
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

const rateLimited = (seconds: number) => new ProviderError('rateLimited', 'Boring Marketing: too many requests (HTTP 429).', { status: 429, retryAfterMs: seconds * SEC });

describe('Provider gate: polls and lists share one limit', () => {
  let clock: FakeClock;
  let scheduler: Scheduler | undefined;
  let gates: ProviderGates | undefined;

  beforeEach(() => {
    clock = fakeEngineClock(T0);
  });

  afterEach(() => {
    scheduler?.dispose();
    gates?.dispose();
    scheduler = gates = undefined;
    clock.uninstall();
  });

  /** A scheduler and a gated adapter over the same gates, as the service builds them. */
  function setup(provider: Scripted): { store: RunStore; gated: Provider } {
    const store = new RunStore();
    gates = new ProviderGates({ budget: id => (id === provider.id ? provider.pollBudget : undefined) });
    scheduler = new Scheduler({ store, gates, provider: id => (id === provider.id ? provider : undefined), onHealth: () => undefined, random: () => 0.5 }, OPTIONS);
    return { store, gated: gatedProvider(provider, gates.get(provider.id)) };
  }

  it('a 429 on a poll holds a Refresh: the list waits, visibly, for the window and is then sent once', async () => {
    const bm = new Scripted('boringMarketing');
    const { store, gated } = setup(bm);
    bm.polls = [rateLimited(20), run('boringMarketing', 'r')];
    store.upsert(run('boringMarketing', 'r'));
    scheduler!.start();
    await clock.tickAsync(2 * SEC); // the first poll, one cadence after the run was seen
    const limitedAt = bm.at('poll')[0];

    await clock.tickAsync(8 * SEC);
    let listed: Account[] | undefined;
    const refresh = asUserAction(() => gated.listAccounts()).then(a => (listed = a));
    await clock.tickAsync(0);
    assert.deepEqual(gates!.userWaits(), [{ provider: 'boringMarketing', until: limitedAt + 20 * SEC, count: 1 }], 'the user’s Refresh is shown waiting, with when it goes');
    await clock.tickAsync(11 * SEC);
    assert.deepEqual(bm.at('list'), [], 'nothing is sent inside the Retry-After window');
    assert.equal(listed, undefined);

    await clock.tickAsync(1 * SEC);
    await refresh;
    assert.deepEqual(bm.at('list'), [limitedAt + 20 * SEC], 'sent once, when the window ends');
    assert.deepEqual(gates!.userWaits(), [], 'and no longer shown waiting');
    assert.ok((listed as Account[] | undefined)?.length, 'and answered');
  });

  it('a Refresh waiting for a Retry-After window can be cancelled: it fails as cancelled and is never sent', async () => {
    const bm = new Scripted('boringMarketing');
    const { store, gated } = setup(bm);
    bm.polls = [rateLimited(20), run('boringMarketing', 'r')];
    store.upsert(run('boringMarketing', 'r'));
    scheduler!.start();
    await clock.tickAsync(3 * SEC);
    const refresh = asUserAction(() => gated.listAccounts());
    const outcome = refresh.then(
      () => 'sent',
      (e: unknown) => (isWaitCancelled(e) ? 'cancelled' : `failed: ${String(e)}`),
    );
    await clock.tickAsync(0);
    gates!.get('boringMarketing').cancelUserWaits();
    assert.equal(await outcome, 'cancelled');
    await clock.tickAsync(MIN);
    assert.deepEqual(bm.at('list'), [], 'the cancelled request never went out, not even after the window');
  });

  it('a 429 on a list holds the polls: no poll in the window, every run polled when it ends', async () => {
    const bm = new Scripted('boringMarketing');
    const { store, gated } = setup(bm);
    for (const id of ['a', 'b']) store.upsert(run('boringMarketing', id));
    scheduler!.start();
    await clock.tickAsync(5 * SEC);
    bm.lists = [rateLimited(30), []];
    const limitedAt = Date.now();
    await assert.rejects(gated.listAccounts(), (e: unknown) => e instanceof ProviderError && e.kind === 'rateLimited');
    await clock.tickAsync(40 * SEC);

    const polls = bm.at('poll');
    assert.deepEqual(
      polls.filter(t => t > limitedAt && t < limitedAt + 30 * SEC),
      [],
      'zero polls while the list’s Retry-After window lasts',
    );
    assert.equal(polls.filter(t => t === limitedAt + 30 * SEC).length, 2, 'both runs are polled right when it ends');
    assert.equal(scheduler!.health('boringMarketing').state, 'ok', 'and the provider is healthy again');
  });

  it('a GloriaMundo budget of 60 a minute is shared by polls and lists', async () => {
    const gm = new Scripted('gloriaMundo');
    gm.pollBudget = { requests: 60, perMs: MIN };
    const { store, gated } = setup(gm);
    for (let i = 0; i < 5; i++) store.upsert(run('gloriaMundo', `r${i}`));
    scheduler!.start();
    // A list every 3 s on top of five runs that alone would use the whole budget.
    const lister = setInterval(() => void gated.listAccounts(), 3 * SEC);
    await clock.tickAsync(5 * MIN);
    clearInterval(lister);
    await clock.tickAsync(MIN);

    const all = gm.sent.map(s => s.at);
    const worst = maxInAnyWindow(all, MIN);
    assert.ok(worst <= 60, `at most 60 requests of any kind in any minute (saw ${worst})`);
    assert.ok(gm.at('list').length >= 50, `the lists got their share (${gm.at('list').length})`);
    assert.ok(gm.at('poll').length >= 150, `and the polls theirs (${gm.at('poll').length})`);
  });

  it('caps requests in flight per provider across polls and lists', async () => {
    const tal = new Scripted('talonic');
    const slow = tal.getRun.bind(tal);
    let inFlight = 0;
    let most = 0;
    tal.getRun = async ref => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise(r => setTimeout(r, 3 * SEC));
        return await slow(ref);
      } finally {
        inFlight--;
      }
    };
    const { store, gated } = setup(tal);
    for (let i = 0; i < 4; i++) store.upsert(run('talonic', `p${i}`));
    scheduler!.start();
    await clock.tickAsync(2 * SEC);
    assert.equal(inFlight, 4, 'four polls fill the cap');
    const list = gated.listAccounts();
    await clock.tickAsync(1 * SEC);
    assert.deepEqual(tal.at('list'), [], 'the list waits for a free slot');
    await clock.tickAsync(2 * SEC);
    await list;
    assert.equal(tal.at('list').length, 1, 'and takes the first one that comes free, ahead of the next poll');
    assert.ok(most <= 4);
  });

  /** `runs` slow runs; the first poll meets `refusal`; how many polls were in flight at once when its pause ended. */
  async function inFlightWhenPauseEnds(refusal: ProviderError, runs = 8): Promise<{ atEnd: number; before: number; after: number }> {
    const tal = new Scripted('talonic');
    const answer = tal.getRun.bind(tal);
    let inFlight = 0;
    let most = 0;
    let refused = false;
    tal.getRun = async ref => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise(r => setTimeout(r, 500));
        if (!refused) {
          refused = true;
          tal.sent.push({ what: 'poll', at: Date.now() });
          throw refusal;
        }
        return await answer(ref);
      } finally {
        inFlight--;
      }
    };
    const { store } = setup(tal);
    for (let i = 0; i < runs; i++) store.upsert(run('talonic', `p${i}`));
    scheduler!.start();
    // The first polls go at 2 s (the cadence) and are answered at 2.5 s.
    await clock.tickAsync(3 * SEC);
    const before = most;
    most = 0;
    // The pause (30 s from 2.5 s) ends at 32.5 s.
    await clock.tickAsync(31 * SEC);
    const atEnd = most;
    most = 0;
    await clock.tickAsync(20 * SEC);
    return { atEnd, before, after: most };
  }

  it('the polls that waited out a 503 with Retry-After go together when it ends; after a 429 the cap holds', async () => {
    const unavailable = await inFlightWhenPauseEnds(new ProviderError('server', 'Talonic had a server error (HTTP 503).', { status: 503, retryAfterMs: 30 * SEC }));
    assert.equal(unavailable.before, 4, 'the cap held before the 503');
    assert.equal(unavailable.atEnd, 8, 'every run was asked at once when the time the server gave came');
    assert.equal(unavailable.after, 4, 'and the next polls, which did not wait for it, keep to the cap');
    scheduler!.dispose();
    gates!.dispose();
    const limited = await inFlightWhenPauseEnds(rateLimited(30));
    assert.equal(limited.atEnd, 4, 'after a rate limit, no more than the cap at once');
  });

  it('the polls that waited out a 503 with Retry-After go in rounds of at most 16 when there are more', async () => {
    const many = await inFlightWhenPauseEnds(new ProviderError('server', 'Talonic had a server error (HTTP 503).', { status: 503, retryAfterMs: 30 * SEC }), 40);
    assert.equal(many.atEnd, REOPENING_BURST_MAX, `${many.atEnd} in flight at once when the pause ended`);
  });
});


describe('Two windows: the follower sends nothing', () => {
  let sim: Simulator;
  let dir: string;
  const services: RunwatchService[] = [];

  beforeEach(async () => {
    sim = await createSimulator().start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-gate-'));
  });

  afterEach(async () => {
    for (const s of services.splice(0)) s.dispose();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const LIST_REFRESH_MS = 150;

  function window(): RunwatchService {
    const vault = new MapVault();
    vault.keys.set('boringMarketing', SIM_KEYS.boringMarketing);
    const service = createRunwatchService({
      storage: new MemoryStorage(),
      keys: vault,
      baseUrl: id => validateBaseUrl(sim.baseUrl(id)),
      log: silentLogger,
      scheduler: OPTIONS,
      sharedDir: dir,
      listRefreshMs: LIST_REFRESH_MS,
    }, createDefaultServiceDeps());
    services.push(service);
    return service;
  }

  async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
    for (const end = Date.now() + ms; !check(); ) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 20));
    }
  }

  it('a follower with its view visible lists nothing itself; it shows the leader’s lists and its Refresh is the leader’s', async () => {
    const bm = sim.provider<BoringMarketingSim>('boringMarketing');
    const acme = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    bm.addRun(acme.id, { kind: 'full', status: 'done' });
    const leader = window();
    assert.equal(leader.isPollingWindow(), true);
    await leader.refreshAccounts('boringMarketing');
    await until('the leader to list the brand’s runs', () => leader.store.forAccount('boringMarketing', acme.id).length === 1);

    const follower = window();
    assert.equal(follower.isPollingWindow(), false, 'the second window follows');
    await until('the leader’s published brands to reach the follower', () => !!follower.accounts('boringMarketing'));
    const before = sim.requestsFor('boringMarketing').length;
    // What the Runs view does in the follower: its periodic list refresh, and rendering the provider's accounts.
    follower.setViewVisible(true);
    const accounts = await follower.refreshAccounts('boringMarketing');
    await new Promise(r => setTimeout(r, 6 * LIST_REFRESH_MS));
    assert.deepEqual(sim.requestsFor('boringMarketing').slice(before), [], 'zero requests over six list-refresh periods');
    assert.deepEqual(
      accounts.map(a => a.id),
      [acme.id],
      'the leader’s brands, from the shared state',
    );
    assert.equal(follower.store.forAccount('boringMarketing', acme.id).length, 1, 'and its runs');

    // The user's Refresh in the follower: the leader lists, once; the follower still sends nothing.
    const leaderRequestsBefore = sim.requestsFor('boringMarketing', /\/brands$/).length;
    bm.addBrand({ domain: 'initech.dev', name: 'Initech' });
    const refreshed = await follower.asUserAction(() => follower.refreshAccounts('boringMarketing'));
    assert.equal(refreshed.length, 2, 'the new brand is shown once the leader has listed it');
    assert.equal(sim.requestsFor('boringMarketing', /\/brands$/).length, leaderRequestsBefore + 1, 'listed once, by the leader');
  });

  it('a follower’s Cancel is carried out by the leader, and its answer brings the cancelled run', async () => {
    const bm = sim.provider<BoringMarketingSim>('boringMarketing');
    const acme = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    const running = bm.addRun(acme.id, { kind: 'full', status: 'running', stage: 'evidence_collection' });
    const key = `boringMarketing:${running.id}`;
    const leader = window();
    await leader.trackRun('boringMarketing', acme.id, running.id);
    const follower = window();
    await until('the follower to show the run', () => !!follower.store.get(key));

    const cancelled = await follower.asUserAction(() => follower.cancelRun(key));
    assert.equal(cancelled.status, 'cancelled', 'the follower’s Cancel returns the cancelled run');
    assert.equal(leader.store.get(key)?.run.status, 'cancelled', 'the leader cancelled it');
    assert.equal(sim.requestsFor('boringMarketing', /cancel/).length, 1, 'one cancel request, made by one window');
  });

  it('a request the leader never answered is carried out by the follower once it has taken the lease', async () => {
    const bm = sim.provider<BoringMarketingSim>('boringMarketing');
    bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    const leader = window();
    const follower = window();
    assert.equal(follower.isPollingWindow(), false);
    leader.dispose(); // closed before it read the follower's inbox
    const before = sim.requestsFor('boringMarketing', /\/brands$/).length;
    const accounts = await follower.asUserAction(() => follower.refreshAccounts('boringMarketing'));
    assert.equal(follower.isPollingWindow(), true, 'the follower took the lease');
    assert.equal(accounts.length, 1, 'and listed the brands itself');
    assert.equal(sim.requestsFor('boringMarketing', /\/brands$/).length, before + 1, 'once');
  });
});
