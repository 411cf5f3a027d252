// A start costs money: it happens once, whatever the clicks and the network do, or the user is told it may
// have happened. The service against the simulator over loopback HTTP, for every provider.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRunwatchService } from '../../src/core/service';
import type { RunwatchService, SchedulerOptions } from '../../src/core/contracts';
import { MemoryStorage } from '../../src/core/store';
import { silentLogger, validateBaseUrl } from '../../src/core/http';
import { isProviderError, ProviderError } from '../../src/core/errors';
import { PROVIDER_IDS, type BuiltinProviderId, type ProviderId, type Run } from '../../src/core/run';
import { canonicalJson, describeStart, findStartedRun, isStartInDoubt, mayHaveBeenCarriedOut, START_CLOCK_SKEW_MS, startKey, type StartInDoubtError } from '../../src/core/starts';
import type { Account, PipelineKind, StartResult } from '../../src/providers/provider';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import { MapVault } from './support';
import type { LoggedRequest } from '../simulator/server';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import type { GloriaMundoSim } from '../simulator/gloriaMundo';
import type { TalonicSim } from '../simulator/talonic';
import type { AdlyseSim } from '../simulator/adlyse';

const schedulerOptions: SchedulerOptions = {
  whenUnfocused: 'normal',
  unfocusedFactor: 1,
  maxConcurrentPerProvider: 4,
  stuckAfterMs: 15 * 60_000,
  minIntervalMs: {},
};

const STORAGE_KEY = 'runwatch.trackedRuns.v1';
const AMZ_SECRETS: Record<string, string> = { ai_ark_api_key: 'ark-secret-1111aaaa', exa_api_key: 'exa-secret-2222bbbb', openrouter_api_key: 'sk-or-secret-3333cccc' };


/** What a start needs on each provider, and how its start request shows in the simulator's log. */
interface StartCase {
  id: ProviderId;
  account: Account;
  kind: PipelineKind;
  input: Record<string, unknown>;
  isStart: (r: LoggedRequest) => boolean;
  /** The fault that matches the start request, for scripting its lost answer. */
  fault: { provider: ProviderId; method: string; path?: string; tool?: string };
}

describe('Starts happen once', () => {
  let sim: Simulator;
  let storage: MemoryStorage;
  let service: RunwatchService;

  const make = (timeoutMs = 15_000, baseUrl = (id: ProviderId) => validateBaseUrl(sim.baseUrl(id))) =>
    createRunwatchService({ storage, keys: new MapVault(PROVIDER_IDS.map(id => [id, SIM_KEYS[id]]), (id, name) => (id === 'automindz' ? AMZ_SECRETS[name] : undefined)), baseUrl, log: silentLogger, scheduler: schedulerOptions, timeoutMs });

  beforeEach(async () => {
    sim = await createSimulator().start();
    storage = new MemoryStorage();
    service = make();
  });

  afterEach(async () => {
    service.dispose();
    await sim.stop();
  });

  const startsSent = (c: StartCase) => sim.requestsFor(c.id).filter(c.isStart);

  async function accountLabelled(id: ProviderId, label: string): Promise<Account> {
    const account = (await service.refreshAccounts(id)).find(a => a.label === label);
    assert.ok(account, `no ${id} account "${label}"`);
    return account;
  }

  /** A start on each provider, set up in the simulator. */
  async function startCase(id: BuiltinProviderId): Promise<StartCase> {
    switch (id) {
      case 'boringMarketing': {
        const brand = sim.provider<BoringMarketingSim>('boringMarketing').addBrand({ domain: 'acme.com', name: 'Acme' });
        const account = await accountLabelled(id, 'Acme');
        const kind = (await service.kinds(id, account)).find(k => k.id === 'synthesize')!;
        const path = `/brands/${brand.id}/synthesize`;
        return { id, account, kind, input: {}, isStart: r => r.method === 'POST' && r.path === path, fault: { provider: id, method: 'POST', path: 'synthesize$' } };
      }
      case 'gloriaMundo': {
        sim.provider<GloriaMundoSim>('gloriaMundo').seedDemo();
        const account = await service.addAccount(id, { value: 'wf_daily_digest', label: 'Daily digest' });
        const [kind] = await service.kinds(id, account);
        return { id, account, kind, input: { input: { channel: '#daily-digest', limit: 3 } }, isStart: r => r.method === 'POST' && /\/execute$/.test(r.path), fault: { provider: id, method: 'POST', path: '/execute$' } };
      }
      case 'automindz': {
        const account = await accountLabelled(id, 'Find leavers');
        const [kind] = await service.kinds(id, account);
        return {
          id,
          account,
          kind,
          input: { org_name: 'Acme', industries: ['software development'], limit: 5 },
          isStart: r => r.method === 'POST' && /hiring-signals\/leavers$/.test(r.path),
          fault: { provider: id, method: 'POST', path: 'hiring-signals/leavers$' },
        };
      }
      case 'talonic': {
        sim.provider<TalonicSim>('talonic').addSpec({ name: 'Invoices' });
        const account = await accountLabelled(id, 'Invoices');
        const [kind] = await service.kinds(id, account);
        return {
          id,
          account,
          kind,
          input: { document_ids: ['doc_1', 'doc_2'], name: 'March invoices' },
          isStart: r => r.method === 'POST' && r.path === '/v1/pipelines',
          fault: { provider: id, method: 'POST', path: '^/v1/pipelines$' },
        };
      }
      case 'adlyse': {
        sim.provider<AdlyseSim>('adlyse').seedDemo();
        const account = await accountLabelled(id, 'Lead enrichment');
        const [kind] = await service.kinds(id, account);
        return { id, account, kind, input: { email: 'lead@example.com' }, isStart: r => r.tool === 'run_workflow', fault: { provider: id, method: 'POST', tool: 'run_workflow' } };
      }
    }
  }

  /** Awaits a start that must end in doubt, and returns its error. */
  async function inDoubt(start: Promise<StartResult>): Promise<StartInDoubtError> {
    try {
      const result = await start;
      assert.fail(`expected the start to be in doubt, but it returned run ${result.run.id}`);
    } catch (e) {
      assert.ok(isStartInDoubt(e), `expected a StartInDoubtError, got ${String(e)}`);
      return e;
    }
  }

  describe('a second identical start while the first is in flight joins it', () => {
    for (const id of PROVIDER_IDS) {
      it(`${id}: two concurrent Start Runs send one start request and track one run`, async () => {
        const c = await startCase(id);
        const [first, second] = await Promise.all([
          service.startRun(id, c.account, c.kind, c.input),
          service.startRun(id, c.account, c.kind, { ...c.input }),
        ]);
        assert.equal(startsSent(c).length, 1, 'one start request reached the provider');
        assert.equal(second.run.id, first.run.id);
        assert.equal(second.adopted, undefined, 'the second click was joined, not adopted from a conflict');
        assert.deepEqual(
          service.store.forAccount(id, first.run.accountId).map(t => t.run.id),
          [first.run.id],
        );
      });
    }

    it('the same input in another key order is the same start; another input is another start', async () => {
      const c = await startCase('gloriaMundo');
      await Promise.all([
        service.startRun('gloriaMundo', c.account, c.kind, { input: { channel: '#daily-digest', limit: 3 } }),
        service.startRun('gloriaMundo', c.account, c.kind, { input: { limit: 3, channel: '#daily-digest' } }),
      ]);
      assert.equal(startsSent(c).length, 1);
      await Promise.all([
        service.startRun('gloriaMundo', c.account, c.kind, { input: { channel: '#a' } }),
        service.startRun('gloriaMundo', c.account, c.kind, { input: { channel: '#b' } }),
      ]);
      assert.equal(startsSent(c).length, 3, 'two different inputs are two runs');
    });

    it('a start after the first one answered is a new start (only starts in flight are joined)', async () => {
      const c = await startCase('gloriaMundo');
      const first = await service.startRun('gloriaMundo', c.account, c.kind, c.input);
      const second = await service.startRun('gloriaMundo', c.account, c.kind, c.input);
      assert.notEqual(second.run.id, first.run.id);
      assert.equal(startsSent(c).length, 2);
    });

    it('a double-clicked Re-run sends one start request', async () => {
      const c = await startCase('gloriaMundo');
      const { run } = await service.startRun('gloriaMundo', c.account, c.kind, c.input);
      const key = `gloriaMundo:${run.id}`;
      const [a, b] = await Promise.all([service.rerun(key), service.rerun(key)]);
      assert.equal(a.run.id, b.run.id);
      assert.notEqual(a.run.id, run.id);
      assert.equal(startsSent(c).length, 2, 'the first start and one re-run');
    });
  });

  describe('a start whose answer never came', () => {
    beforeEach(() => {
      service.dispose();
      service = make(500);
    });

    for (const id of ['gloriaMundo', 'automindz', 'adlyse'] as const) {
      it(`${id} (no run list): created, answer lost to a timeout → "may have started", sent once`, async () => {
        const c = await startCase(id);
        sim.addFault({ ...c.fault, afterProvider: true, hang: true });
        const error = await inDoubt(service.startRun(id, c.account, c.kind, c.input));
        assert.equal(startsSent(c).length, 1, 'the start was not sent again');
        assert.equal(error.doubt.check, 'cannotList');
        assert.equal(error.doubt.provider, id);
        assert.equal(error.doubt.account.id, c.account.id);
        assert.equal(error.doubt.cause.kind, 'timeout');
        assert.match(error.message, /^.+ on .+ may have started: the answer did not arrive \(/);
        assert.match(error.message, /cannot list runs/);
        assert.equal(service.store.forAccount(id, c.account.id).length, 0, 'nothing is tracked that Runwatch cannot name');
      });
    }

    for (const id of ['boringMarketing', 'talonic'] as const) {
      it(`${id}: created, answer lost to a timeout → the new run is found in the run list and followed`, async () => {
        const c = await startCase(id);
        sim.addFault({ ...c.fault, afterProvider: true, hang: true });
        const result = await service.startRun(id, c.account, c.kind, c.input);
        assert.equal(startsSent(c).length, 1, 'the start was not sent again');
        assert.equal(result.recovered, true);
        assert.match(result.message ?? '', /did not arrive, but the run it started .* is in .+'s run list: Runwatch is following it/);
        const created = await service.provider(id).listRuns(c.account);
        assert.equal(created.runs.length, 1, 'the simulator created exactly one run');
        assert.equal(result.run.id, created.runs[0].id);
        const tracked = service.store.get(`${id}:${result.run.id}`);
        assert.equal(tracked?.pinned, true);
        assert.deepEqual(tracked?.run.input, { kindId: c.kind.id, values: c.input }, 'Re-run knows how it was started');
      });
    }

    it('Talonic: the run list shows no new run (the request died before creating one) → "may have started"', async () => {
      const c = await startCase('talonic');
      sim.addFault({ ...c.fault, hang: true }); // before the provider sees it: nothing created
      const error = await inDoubt(service.startRun('talonic', c.account, c.kind, c.input));
      assert.equal(error.doubt.check, 'notListed');
      assert.match(error.message, /found no new run in Talonic's run list yet/);
      assert.equal(startsSent(c).length, 1);
    });

    it('a reset after the run was created, and a 502 after it, are in doubt too; neither is sent again', async () => {
      const gm = await startCase('gloriaMundo');
      sim.addFault({ ...gm.fault, afterProvider: true, reset: true });
      assert.equal((await inDoubt(service.startRun('gloriaMundo', gm.account, gm.kind, gm.input))).doubt.cause.kind, 'network');
      assert.equal(startsSent(gm).length, 1);

      const amz = await startCase('automindz');
      sim.addFault({ ...amz.fault, afterProvider: true, status: 502, html: true });
      assert.equal((await inDoubt(service.startRun('automindz', amz.account, amz.kind, amz.input))).doubt.cause.kind, 'server');
      assert.equal(startsSent(amz).length, 1, 'a 5xx on a start is not retried (nor taken as "not found" for the legacy path)');
    });

    it('Adlyse: run_workflow cut off after the run was created is in doubt and not repeated', async () => {
      const c = await startCase('adlyse');
      sim.addFault({ ...c.fault, afterProvider: true, reset: true });
      const error = await inDoubt(service.startRun('adlyse', c.account, c.kind, c.input));
      assert.equal(error.doubt.cause.kind, 'network');
      assert.equal(startsSent(c).length, 1);
    });

    it('a refused answer (4xx) is a plain failure: nothing started, nothing in doubt', async () => {
      const c = await startCase('talonic');
      sim.addFault({ ...c.fault, status: 422, body: { statusCode: 422, code: 'VALIDATION_ERROR', message: 'document_ids are unknown' } });
      await assert.rejects(service.startRun('talonic', c.account, c.kind, c.input), (e: unknown) => isProviderError(e) && !isStartInDoubt(e) && e.kind === 'validation');
    });

    it('a connection refused before sending is a plain failure: the start certainly did not happen', async () => {
      const closed = http.createServer();
      await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>(resolve => closed.close(() => resolve()));
      const c = await startCase('gloriaMundo');
      service.dispose();
      service = make(500, id => validateBaseUrl(id === 'gloriaMundo' ? `http://127.0.0.1:${port}/gm/api/v1` : sim.baseUrl(id)));
      await assert.rejects(service.startRun('gloriaMundo', c.account, c.kind, c.input), (e: unknown) => isProviderError(e) && !isStartInDoubt(e) && e.kind === 'network' && e.notSent === true);
    });
  });

  describe('a started or tracked run is written to storage at once', () => {
    const stored = () => (storage.get<Array<{ run: Run }>>(STORAGE_KEY) ?? []).map(t => t.run.id);

    it('Start Run: the run is in storage as soon as the start resolves', async () => {
      const c = await startCase('gloriaMundo');
      const { run } = await service.startRun('gloriaMundo', c.account, c.kind, c.input);
      assert.deepEqual(stored(), [run.id]);
    });

    it('Track Run by ID: the run is in storage as soon as tracking resolves', async () => {
      const bm = sim.provider<BoringMarketingSim>('boringMarketing');
      const brand = bm.addBrand({ domain: 'acme.com' });
      const running = bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'evidence_collection' });
      await service.trackRun('boringMarketing', brand.id, running.id);
      assert.ok(stored().includes(running.id));
    });
  });
});

describe('Start keys and doubt', () => {
  it('canonical JSON sorts keys at every level and keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }), '{"a":{"c":null,"d":[2,1]},"b":1}');
    assert.equal(startKey('talonic', 's', 'pipeline', { name: 'x', document_ids: ['a'] }), startKey('talonic', 's', 'pipeline', { document_ids: ['a'], name: 'x' }));
    assert.notEqual(startKey('talonic', 's', 'pipeline', { document_ids: ['a', 'b'] }), startKey('talonic', 's', 'pipeline', { document_ids: ['b', 'a'] }));
  });

  it('which failures may still have started something', () => {
    const may = (kind: ProviderError['kind'], init: ConstructorParameters<typeof ProviderError>[2] = {}) => mayHaveBeenCarriedOut(new ProviderError(kind, 'x', init));
    assert.equal(may('timeout'), true);
    assert.equal(may('network'), true, 'a reset');
    assert.equal(may('network', { notSent: true }), false, 'connection refused');
    assert.equal(may('timeout', { notSent: true }), false, 'connect timeout');
    assert.equal(may('server', { status: 503 }), true);
    assert.equal(may('server'), false, 'a tool error that says it could not start');
    assert.equal(may('badResponse', { status: 200 }), true, 'a success Runwatch could not read');
    assert.equal(may('badResponse', { status: 400 }), false);
    for (const kind of ['validation', 'conflict', 'payment', 'auth', 'forbidden', 'notFound', 'rateLimited'] as const) assert.equal(may(kind, { status: 400 }), false, kind);
  });

  it('takes a listed run for the lost start only when it is new, recent enough and of the kind asked for', () => {
    const sentAt = Date.parse('2026-05-01T10:00:00Z');
    const kind: PipelineKind = { id: 'synthesize', label: 'Synthesize', inputs: [] };
    const run = (id: string, startedAt: number | undefined, runKind = 'synthesize'): Run => ({
      provider: 'boringMarketing',
      accountId: 'b1',
      id,
      kind: runKind,
      status: 'queued',
      rawStatus: 'queued',
      startedAt: startedAt === undefined ? undefined : new Date(startedAt).toISOString(),
    });
    const find = (listed: Run[], more: { onlyKind?: boolean; knownBefore?: string[]; input?: Record<string, unknown> } = {}) =>
      findStartedRun(listed, { kind, onlyKind: more.onlyKind ?? false, input: more.input ?? {}, sentAt, knownBefore: new Set(more.knownBefore ?? []) });
    const older = run('old', sentAt - START_CLOCK_SKEW_MS - 60_000);
    const mine = run('new', sentAt + 2_000);
    assert.equal((find([mine, older]) as Run | undefined)?.id, 'new');
    assert.equal(find([older]), undefined, 'started before the request was sent');
    assert.ok(find([run('skewed', sentAt - 5_000)]), 'a provider clock a little behind ours');
    assert.equal(find([mine], { knownBefore: ['new'] }), undefined, 'already tracked before the start');
    assert.equal(find([run('undated', undefined)]), undefined, 'no start time: cannot tell');
    assert.equal(find([run('other', sentAt + 1_000, 'full')]), undefined, 'another kind');
    assert.equal((find([run('named', sentAt + 1_000, 'March invoices')], { input: { name: 'March invoices' } }) as Run | undefined)?.id, 'named', 'named as the input named it');
    assert.ok(find([run('any', sentAt + 1_000, 'Invoices 2026-05-01')], { onlyKind: true }), 'an account with one kind: any new run is of it');
    assert.equal(find([mine, run('new2', sentAt + 3_000)]), 'ambiguous');
  });

  it('names the start as the user knows it', () => {
    assert.equal(describeStart({ label: 'Run Weekly ads report' }, { label: 'Weekly ads report' }, 'Adlyse'), 'Weekly ads report on Adlyse');
    assert.equal(describeStart({ label: 'Find leavers' }, { label: 'Find leavers' }, 'Automindz'), 'Find leavers on Automindz');
    assert.equal(describeStart({ label: 'Synthesize' }, { label: 'Acme' }, 'Boring Marketing'), 'Synthesize on Acme (Boring Marketing)');
  });
});
