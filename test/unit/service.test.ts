// The service facade end to end against the simulator over loopback HTTP: what a command does.
import * as assert from 'node:assert/strict';
import { createRunwatchService } from '../../src/core/service';
import { createDefaultServiceDeps } from '../../src/serviceDeps';
import type { RunwatchService, SchedulerOptions } from '../../src/core/contracts';
import { MemoryStorage } from '../../src/core/store';
import { silentLogger, validateBaseUrl } from '../../src/core/http';
import { isProviderError } from '../../src/core/errors';
import type { ProviderId } from '../../src/core/run';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import { MapVault } from './support';
import type { BoringMarketingSim } from '../simulator/boringMarketing';

const schedulerOptions: SchedulerOptions = {
  whenUnfocused: 'normal',
  unfocusedFactor: 1,
  maxConcurrentPerProvider: 4,
  stuckAfterMs: 15 * 60_000,
  minIntervalMs: {},
};


describe('RunwatchService against the simulator', () => {
  let sim: Simulator;
  let bm: BoringMarketingSim;
  let storage: MemoryStorage;
  let vault: MapVault;
  let service: RunwatchService;

  const make = () =>
    createRunwatchService({
      storage,
      keys: vault,
      baseUrl: id => validateBaseUrl(sim.baseUrl(id)),
      log: silentLogger,
      scheduler: schedulerOptions,
    }, createDefaultServiceDeps());

  beforeEach(async () => {
    sim = await createSimulator().start();
    bm = sim.provider<BoringMarketingSim>('boringMarketing');
    storage = new MemoryStorage();
    vault = new MapVault();
    vault.keys.set('boringMarketing', SIM_KEYS.boringMarketing);
    vault.keys.set('gloriaMundo', SIM_KEYS.gloriaMundo);
    service = make();
  });

  afterEach(async () => {
    service.dispose();
    await sim.stop();
  });

  it('lists brands, starts an analysis, follows its stages and records how it was started', async () => {
    const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    const accounts = await service.refreshAccounts('boringMarketing');
    const acme = accounts.find(a => a.id === brand.id);
    assert.ok(acme, 'the brand is listed');
    const kinds = await service.kinds('boringMarketing', acme);
    const analyze = kinds.find(k => k.id === 'full');
    assert.ok(analyze);
    const { run } = await service.startRun('boringMarketing', acme, analyze, {});
    const key = `boringMarketing:${run.id}`;
    assert.equal(service.store.get(key)?.pinned, true);
    assert.deepEqual(service.store.get(key)?.run.input, { kindId: 'full', values: {} });

    sim.clock.advance(30 * 60_000);
    await service.refreshNow([key]);
    const done = service.store.get(key)!;
    assert.equal(done.run.status, 'succeeded');
    assert.deepEqual(done.run.input, { kindId: 'full', values: {} }, 'polling keeps the start input');
  });

  it('loads every brand’s runs with the accounts, so active runs in collapsed brands are known', async () => {
    bm.addBrand({ domain: 'acme.com' });
    const initech = bm.addBrand({ domain: 'initech.dev' });
    const queued = bm.addRun(initech.id, { kind: 'scoring', status: 'queued' });
    await service.refreshAccounts('boringMarketing');
    for (let i = 0; i < 100 && !service.store.get(`boringMarketing:${queued.id}`); i++) await new Promise(r => setTimeout(r, 10));
    assert.equal(service.store.get(`boringMarketing:${queued.id}`)?.run.status, 'queued');
    assert.equal(sim.requestsFor('boringMarketing', /\/runs$/).length, 2, 'one list request per brand');
  });

  it('adopts the run already going on 409 instead of starting a second one', async () => {
    const brand = bm.addBrand({ domain: 'acme.com' });
    const running = bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'family_discovery' });
    const [acme] = (await service.refreshAccounts('boringMarketing')).filter(a => a.id === brand.id);
    const analyze = (await service.kinds('boringMarketing', acme)).find(k => k.id === 'full')!;
    const result = await service.startRun('boringMarketing', acme, analyze, {});
    assert.equal(result.adopted, true);
    assert.equal(result.run.id, running.id);
    assert.equal(bm.runsFor(brand.id).length, 1, 'no duplicate run was created');
    assert.ok(service.store.get(`boringMarketing:${running.id}`));
  });

  it('re-runs a failed run with the same pipeline', async () => {
    const brand = bm.addBrand({ domain: 'acme.com' });
    const [acme] = (await service.refreshAccounts('boringMarketing')).filter(a => a.id === brand.id);
    const score = (await service.kinds('boringMarketing', acme)).find(k => k.id === 'scoring')!;
    bm.scriptNextRun(brand.id, { failAt: { stage: 'leverage_scoring', error: 'DataForSEO rate limit exceeded — retry in 60 seconds' } });
    const first = (await service.startRun('boringMarketing', acme, score, {})).run;
    sim.clock.advance(30 * 60_000);
    await service.refreshNow([`boringMarketing:${first.id}`]);
    assert.equal(service.store.get(`boringMarketing:${first.id}`)?.run.status, 'failed');

    const again = await service.rerun(`boringMarketing:${first.id}`);
    assert.notEqual(again.run.id, first.id);
    assert.equal(again.run.kind, 'scoring');
    assert.equal(bm.runsFor(brand.id).length, 2);
  });

  it('cancels a running Boring Marketing run and shows it as cancelled', async () => {
    const brand = bm.addBrand({ domain: 'acme.com' });
    const running = bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'evidence_collection' });
    await service.trackRun('boringMarketing', brand.id, running.id);
    const run = await service.cancelRun(`boringMarketing:${running.id}`);
    assert.equal(run.status, 'cancelled');
    assert.equal(service.store.get(`boringMarketing:${running.id}`)?.run.status, 'cancelled');
  });

  it('refuses to cancel where the provider has no cancel, and says why', async () => {
    const account = await service.addAccount('gloriaMundo', { value: 'wf_daily_digest', label: 'Daily digest' });
    const gm = sim.provider<import('../simulator/gloriaMundo').GloriaMundoSim>('gloriaMundo');
    gm.seedDemo();
    const kinds = await service.kinds('gloriaMundo', account);
    const { run } = await service.startRun('gloriaMundo', account, kinds[0], { input: { topic: 'x' } });
    await assert.rejects(service.cancelRun(`gloriaMundo:${run.id}`), (e: unknown) => isProviderError(e) && e.kind === 'unsupported' && /no cancel/i.test(e.message));
  });

  it('remembers GloriaMundo workflows added by id across restarts', async () => {
    await service.addAccount('gloriaMundo', { value: 'wf_daily_digest', label: 'Daily digest' });
    service.dispose();
    service = make();
    const accounts = await service.refreshAccounts('gloriaMundo');
    assert.deepEqual(
      accounts.map(a => [a.id, a.label]),
      [['wf_daily_digest', 'Daily digest']],
    );
  });

  it('starts with whatever globalState holds: bad saved runs and accounts are dropped, the good ones kept', async () => {
    service.dispose();
    storage.data.set('runwatch.trackedRuns.v1', { not: 'a list' });
    storage.data.set('runwatch.rememberedAccounts.v1', 'corrupt');
    service = make();
    assert.equal(service.store.size, 0, 'a value that is not a list: an empty store, and the service is up');
    assert.deepEqual(await service.refreshAccounts('gloriaMundo'), []);
    service.dispose();

    const saved = (id: string, run: Record<string, unknown> = {}) => ({
      key: `gloriaMundo:${id}`,
      run: { provider: 'gloriaMundo', accountId: 'wf_daily_digest', id, kind: 'Daily digest', status: 'succeeded', rawStatus: 'completed', ...run },
      firstSeenAt: 1,
      lastConfirmedAt: 2,
      lastChangedAt: 2,
      failures: 0,
      stale: false,
      gone: false,
      stuck: false,
      acknowledged: false,
      polls: 1,
      pinned: true,
    });
    storage.data.set('runwatch.trackedRuns.v1', [saved('good-1'), saved('bad-1', { provider: 'nowhere' }), saved('bad-2', { progress: { stages: {} } }), 7, saved('good-2')]);
    storage.data.set('runwatch.rememberedAccounts.v1', {
      gloriaMundo: [{ provider: 'gloriaMundo', id: { an: 'object' }, label: 'x' }, 'junk', { provider: 'gloriaMundo', id: 'wf_daily_digest', label: 'Daily digest' }],
      talonic: 5,
    });
    service = make();
    assert.deepEqual(service.store.all().map(t => t.key).sort(), ['gloriaMundo:good-1', 'gloriaMundo:good-2']);
    const accounts = await service.refreshAccounts('gloriaMundo');
    assert.deepEqual(accounts.map(a => [a.id, a.label]), [['wf_daily_digest', 'Daily digest']]);
  });

  it('keeps tracked runs across a restart', async () => {
    const brand = bm.addBrand({ domain: 'acme.com' });
    const running = bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'evidence_collection' });
    await service.trackRun('boringMarketing', brand.id, running.id);
    await service.store.flush();
    service.dispose();
    service = make();
    assert.equal(service.store.get(`boringMarketing:${running.id}`)?.run.progress?.current, 'evidence_collection');
  });

  it('reports a rejected key as the provider’s health, and clears it when the key changes', async () => {
    vault.keys.set('boringMarketing', 'bm_wrongwrongwrong');
    await service.refreshAccounts('boringMarketing');
    const health = service.health('boringMarketing');
    assert.equal(health.state, 'authFailed');
    assert.ok(!JSON.stringify(health).includes('bm_wrongwrongwrong'), 'the key is not in the message');
    vault.keys.set('boringMarketing', SIM_KEYS.boringMarketing);
    await service.keyChanged('boringMarketing');
    assert.equal(service.health('boringMarketing').state, 'ok');
  });

  it('says which setting is wrong when a base URL is not https', async () => {
    service.dispose();
    service = createRunwatchService({
      storage,
      keys: vault,
      baseUrl: id => (id === 'boringMarketing' ? validateBaseUrl('http://api.example.com') : validateBaseUrl(sim.baseUrl(id))),
      log: silentLogger,
      scheduler: schedulerOptions,
    }, createDefaultServiceDeps());
    const health = service.health('boringMarketing');
    assert.equal(health.state, 'misconfigured');
    assert.match((health as { message: string }).message, /runwatch\.providers\.boringMarketing\.baseUrl/);
    assert.equal(sim.requestsFor('boringMarketing').length, 0, 'nothing was sent over plain http');
  });

  it('two windows sharing a folder: one polls, the other shows what it publishes', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-windows-'));
    const window = () =>
      createRunwatchService({ storage: new MemoryStorage(), keys: vault, baseUrl: id => validateBaseUrl(sim.baseUrl(id)), log: silentLogger, scheduler: schedulerOptions, sharedDir: dir }, createDefaultServiceDeps());
    const first = window();
    const second = window();
    try {
      assert.deepEqual([first.isPollingWindow(), second.isPollingWindow()].sort(), [false, true], 'exactly one window polls');
      const [leader, follower] = first.isPollingWindow() ? [first, second] : [second, first];
      const brand = bm.addBrand({ domain: 'acme.com' });
      const running = bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'family_discovery' });
      await leader.trackRun('boringMarketing', brand.id, running.id);
      const key = `boringMarketing:${running.id}`;
      for (let i = 0; i < 100 && !follower.store.get(key); i++) await new Promise(r => setTimeout(r, 50));
      assert.equal(follower.store.get(key)?.run.progress?.current, 'family_discovery', 'the follower shows the leader’s run');
      leader.dispose();
      for (let i = 0; i < 200 && !follower.isPollingWindow(); i++) await new Promise(r => setTimeout(r, 50));
      assert.equal(follower.isPollingWindow(), true, 'the other window takes over when the leader closes');
    } finally {
      first.dispose();
      second.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
