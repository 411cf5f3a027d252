// The Runs view's list refresh (every minute while the view is visible). While the window is not focused it
// follows runwatch.polling.whenUnfocused as the polls do: `slow` lists unfocusedFactor times less often, `pause`
// not at all, and focus brings the minute back. After a pause the provider asked for, it lists again by itself.
// The real service and Talonic adapter against the simulator over real HTTP, under a fake clock.
import * as assert from 'node:assert/strict';
import type { FocusMode, RunwatchService } from '../../src/core/contracts';
import { silentLogger, validateBaseUrl } from '../../src/core/http';
import { createRunwatchService } from '../../src/core/service';
import { MemoryStorage } from '../../src/core/store';
import { createDefaultServiceDeps } from '../../src/serviceDeps';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import type { TalonicSim } from '../simulator/talonic';
import { MapVault, fakeEngineClock, type FakeClock } from './support';

const T0 = Date.parse('2026-04-07T10:00:00Z');
const MINUTE = 60_000;

describe('The Runs view\'s list refresh: unfocused windows, and after a pause', () => {
  let clock: FakeClock;
  let sim: Simulator;
  let service: RunwatchService | undefined;

  beforeEach(async () => {
    clock = fakeEngineClock(T0);
    sim = createSimulator();
    await sim.start();
  });

  afterEach(async () => {
    service?.dispose();
    service = undefined;
    clock.uninstall();
    await sim.stop();
  });

  /** A Talonic key, one Spec whose runs the user opened, the Runs view visible. */
  async function start(whenUnfocused: FocusMode): Promise<RunwatchService> {
    sim.provider<TalonicSim>('talonic').addSpec({ name: 'Invoices' });
    const vault = new MapVault();
    vault.keys.set('talonic', SIM_KEYS.talonic);
    const scheduler = { whenUnfocused, unfocusedFactor: 3, maxConcurrentPerProvider: 4, stuckAfterMs: 0, minIntervalMs: {} };
    service = createRunwatchService({ storage: new MemoryStorage(), keys: vault, baseUrl: id => validateBaseUrl(sim.baseUrl(id)), log: silentLogger, scheduler }, createDefaultServiceDeps());
    const [spec] = await service.refreshAccounts('talonic');
    await service.asUserAction(() => service!.refreshRuns('talonic', spec));
    service.setViewVisible(true);
    return service;
  }

  const lists = () => sim.requestsFor('talonic', /^\/v1\/pipelines$/).filter(r => r.method === 'GET').length;

  /** Moves the fake clock `n` minutes, one at a time, and lets the list requests each minute started finish. */
  async function minutes(n: number): Promise<number> {
    const before = lists();
    for (let i = 0; i < n; i++) {
      await clock.tickAsync(MINUTE);
      const settleBy = process.hrtime.bigint() + 200_000_000n;
      while (process.hrtime.bigint() < settleBy) await new Promise(resolve => setImmediate(resolve));
    }
    return lists() - before;
  }

  it('"slow": once every 3 minutes (unfocusedFactor) while unfocused, every minute again once focused', async () => {
    const s = await start('slow');
    assert.equal(await minutes(3), 3, 'focused: one list a minute');
    s.setFocused(false);
    assert.equal(await minutes(9), 3, 'unfocused: one list every 3 minutes');
    s.setFocused(true);
    assert.equal(await minutes(3), 3, 'focused again: one list a minute');
  });

  it('"pause": none while unfocused, every minute again once focused', async () => {
    const s = await start('pause');
    s.setFocused(false);
    assert.equal(await minutes(4), 0, 'paused: no list while unfocused');
    s.setFocused(true);
    assert.equal(await minutes(2), 2, 'focused again: one list a minute');
  });

  it('"normal": every minute, focused or not', async () => {
    const s = await start('normal');
    s.setFocused(false);
    assert.equal(await minutes(4), 4, 'one list a minute while unfocused');
  });

  it('after a 503 that said when to come back, lists again once that time is over, with no run active to poll', async () => {
    const s = await start('normal');
    // The provider is down for one request and says for how long: the next refresh meets it.
    sim.addFault({ provider: 'talonic', method: 'GET', path: '^/v1/pipelines$', status: 503, headers: { 'retry-after': '90' }, body: { error: { code: 'unavailable', message: 'Service Unavailable' } }, times: 1 });
    assert.equal(await minutes(1), 1, 'the refresh met the 503');
    assert.equal(s.health('talonic').state, 'backoff', 'the provider shows as unavailable');
    assert.equal(await minutes(1), 0, 'nothing inside the 90 s it gave');
    // Nothing else will ask (no run is active): the list refresh is what finds the provider back.
    assert.equal(await minutes(2), 2, 'a list a minute again once the pause is over');
    assert.equal(s.health('talonic').state, 'ok', 'and the provider shows as up');
  });
});
