// The service through its seams, with fakes instead of HTTP: a provider descriptor the registry hands it, and
// the scheduler, lease and shared state it gets from the composition root. What the service itself decides
// (how a run was started, which providers it knows, how a bug in an adapter reads) is tested here once.
import * as assert from 'node:assert/strict';
import { createRunwatchService } from '../../src/core/service';
import type { PollScheduler, RunwatchService, SchedulerDeps, SchedulerOptions, ServiceDeps, SharedState, WindowLease } from '../../src/core/contracts';
import { Emitter } from '../../src/core/emitter';
import { ProviderError } from '../../src/core/errors';
import type { Account, PipelineKind, Provider, ProviderContext, ProviderDescriptor, RunPage, RunRef, StartResult } from '../../src/core/ports';
import { ProviderRegistry } from '../../src/core/registry';
import type { Run } from '../../src/core/run';
import { MemoryStorage } from '../../src/core/store';
import { createDefaultServiceDeps } from '../../src/serviceDeps';
import { MapVault, recordingLogger, type RecordingLogger } from './support';

const OPTIONS: SchedulerOptions = { whenUnfocused: 'normal', unfocusedFactor: 1, maxConcurrentPerProvider: 4, stuckAfterMs: 15 * 60_000, minIntervalMs: {} };
const ACCOUNT: Account = { provider: 'fake', id: 'acct', label: 'Acct' };
const KIND: PipelineKind = {
  id: 'report',
  label: 'Report',
  inputs: [
    { name: 'topic', label: 'Topic', type: 'string', required: true },
    { name: 'token', label: 'Token', type: 'string', required: false, secret: true },
  ],
};

/** An in-memory provider: runs it started or was given, and a switch for what startRun and getRun answer. */
class FakeProvider implements Provider {
  readonly id = 'fake';
  readonly displayName = 'Fake Cloud';
  readonly capabilities = { listAccounts: true, addAccount: 'none' as const, listRuns: false, cancel: false, result: false };
  readonly keyHelp = { prompt: 'key', placeholder: 'fk_…' };
  readonly runs = new Map<string, Run>();
  /** The next start adopts this run (a 409-style "already going") instead of starting one. */
  adopt: Run | undefined;
  /** getRun throws this (a mapper bug) instead of answering. */
  getRunThrows: unknown;
  started = 0;

  checkKeyFormat() {
    return {};
  }
  async validateKey(): Promise<void> {}
  cadenceMs(): number {
    return 1000;
  }
  async listAccounts(): Promise<Account[]> {
    return [ACCOUNT];
  }
  async listRuns(): Promise<RunPage> {
    return { runs: [] };
  }
  async getRun(ref: RunRef): Promise<Run> {
    if (this.getRunThrows) throw this.getRunThrows;
    const run = this.runs.get(ref.id);
    if (!run) throw new ProviderError('notFound', 'no such run');
    return { ...run };
  }
  async listKinds(): Promise<PipelineKind[]> {
    return [KIND];
  }
  async startRun(account: Account): Promise<StartResult> {
    if (this.adopt) return { run: { ...this.adopt }, adopted: true, message: 'already going' };
    const run: Run = { provider: 'fake', accountId: account.id, id: `r${++this.started}`, kind: 'report', status: 'running', rawStatus: 'running' };
    this.runs.set(run.id, run);
    return { run: { ...run } };
  }
}

function fakeDescriptor(provider: FakeProvider, contexts: ProviderContext[] = []): ProviderDescriptor {
  return {
    id: 'fake',
    displayName: 'Fake Cloud',
    defaultBaseUrl: 'https://fake.example.com',
    accountNoun: 'board',
    icon: 'beaker',
    keyPrefixes: ['fk_'],
    secretPatterns: [/\bfk_[a-z0-9]{6,}/g],
    create: context => {
      contexts.push(context);
      return provider;
    },
  };
}

/** A scheduler that records what the service asks of it. */
class RecordingScheduler implements PollScheduler {
  readonly calls: string[] = [];
  passive: boolean | undefined;
  constructor(readonly deps: SchedulerDeps) {}
  start() {
    this.calls.push('start');
  }
  wake(key: string) {
    this.calls.push(`wake ${key}`);
  }
  async refreshNow(keys?: string[]) {
    this.calls.push(`refresh ${keys?.join(',') ?? 'all'}`);
  }
  setFocused() {}
  resumeProvider(id: string) {
    this.calls.push(`resume ${id}`);
  }
  health() {
    return { state: 'ok' as const };
  }
  setPassive(passive: boolean) {
    this.passive = passive;
  }
  updateOptions() {}
  dispose() {
    this.calls.push('dispose');
  }
}

class FakeLease implements WindowLease {
  readonly id = 'window-1';
  readonly leadership = new Emitter<boolean>('leadership');
  started = false;
  disposed = false;
  constructor(public isLeader: boolean) {}
  start() {
    this.started = true;
  }
  onDidChangeLeadership(listener: (isLeader: boolean) => void) {
    return this.leadership.event(listener);
  }
  dispose() {
    this.disposed = true;
  }
}

class FakeSharedState implements SharedState {
  remoteHealth = {};
  remoteLists = undefined;
  role: string | undefined;
  readonly asked: unknown[] = [];
  onRequest() {}
  async request(request: unknown) {
    this.asked.push(request);
  }
  onDidApply() {
    return { dispose() {} };
  }
  setRole(role: 'leader' | 'follower') {
    this.role = role;
  }
  publishSoon() {}
  dispose() {}
}

describe('RunwatchService through its seams (fakes, no HTTP)', () => {
  let provider: FakeProvider;
  let storage: MemoryStorage;
  let log: RecordingLogger;
  let scheduler: RecordingScheduler | undefined;
  let service: RunwatchService | undefined;

  const deps = (over: Partial<ServiceDeps> = {}): ServiceDeps => ({
    ...createDefaultServiceDeps([fakeDescriptor(provider)]),
    createScheduler: schedulerDeps => (scheduler = new RecordingScheduler(schedulerDeps)),
    ...over,
  });
  const make = (over: Partial<ServiceDeps> = {}, options: { sharedDir?: string } = {}) =>
    (service = createRunwatchService(
      { storage, keys: new MapVault([['fake', 'fk_abcdef123']]), baseUrl: () => ({ ok: true, url: 'https://fake.example.com' }), log, scheduler: OPTIONS, ...options },
      deps(over),
    ));

  beforeEach(() => {
    provider = new FakeProvider();
    storage = new MemoryStorage();
    log = recordingLogger();
    scheduler = undefined;
  });
  afterEach(() => service?.dispose());

  it('knows the providers of its registry, and builds their adapters from the descriptor with the configured address', async () => {
    const contexts: ProviderContext[] = [];
    make({ providers: new ProviderRegistry([fakeDescriptor(provider, contexts)]) });
    assert.deepEqual(service!.providerIds(), ['fake']);
    assert.equal(service!.displayName('fake'), 'Fake Cloud');
    assert.equal(service!.providers.facts('fake').accountNoun, 'board');
    assert.deepEqual(await service!.refreshAccounts('fake'), [ACCOUNT]);
    assert.equal(contexts.length, 1);
    assert.equal(contexts[0].baseUrl, 'https://fake.example.com');
    assert.equal(await contexts[0].getKey(), 'fk_abcdef123');
  });

  it('polls through the scheduler the composition root gave it', async () => {
    make();
    assert.ok(scheduler, 'the injected factory made the scheduler');
    assert.deepEqual(scheduler.calls, ['start']);
    await service!.refreshNow(['fake:r1']);
    assert.ok(scheduler.calls.includes('refresh fake:r1'));
    // The scheduler polls the bare adapter of a provider with a key, and names it as the registry does.
    assert.equal(scheduler.deps.provider('fake'), provider);
    assert.equal(scheduler.deps.provider('nobody'), undefined, 'a provider the registry does not know is never polled');
    assert.equal(scheduler.deps.displayName?.('fake'), 'Fake Cloud');
    service!.dispose();
    service = undefined;
    assert.equal(scheduler.calls.at(-1), 'dispose');
  });

  it('coordinates windows through the injected lease and shared state', async () => {
    const lease = new FakeLease(false);
    const shared = new FakeSharedState();
    const dirs: string[] = [];
    make(
      {
        createLease: dir => {
          dirs.push(dir);
          return lease;
        },
        createSharedState: (dir, _store, parts) => {
          dirs.push(dir);
          assert.equal(parts.id, lease.id, 'the shared state speaks for the lease holder');
          return shared;
        },
      },
      { sharedDir: '/shared/folder' },
    );
    assert.deepEqual(dirs, ['/shared/folder', '/shared/folder']);
    assert.equal(lease.started, true);
    assert.equal(service!.isPollingWindow(), false, 'another window holds the lease');
    assert.equal(scheduler!.passive, true);
    assert.equal(shared.role, 'follower');
    await service!.refreshNow(['fake:r1']);
    assert.deepEqual(shared.asked, [{ op: 'refresh', keys: ['fake:r1'] }], 'a follower has the leader poll');
    lease.isLeader = true;
    lease.leadership.fire(true);
    assert.equal(service!.isPollingWindow(), true);
    assert.equal(scheduler!.passive, false);
    assert.equal(shared.role, 'leader');
    service!.dispose();
    service = undefined;
    assert.equal(lease.disposed, true, 'the lease is released with the service');
  });

  describe('how a run was started (Run.input, the service alone records it)', () => {
    it('records the kind and the non-secret inputs of a start', async () => {
      make();
      const { run } = await service!.startRun('fake', ACCOUNT, KIND, { topic: 'q3', token: 'fk_secret99' });
      assert.deepEqual(service!.store.get(`fake:${run.id}`)?.run.input, { kindId: 'report', values: { topic: 'q3' } });
    });

    it('gives an adopted run started elsewhere no input, even when it is the kind asked for', async () => {
      make();
      provider.adopt = { provider: 'fake', accountId: 'acct', id: 'elsewhere', kind: 'report', status: 'running', rawStatus: 'running' };
      const result = await service!.startRun('fake', ACCOUNT, KIND, { topic: 'q3' });
      assert.equal(result.adopted, true);
      assert.equal(result.run.input, undefined);
      assert.equal(service!.store.get('fake:elsewhere')?.run.input, undefined, 'Re-run must not repeat inputs Runwatch never gave');
    });

    it('keeps the input of a run this window started when a later start adopts it', async () => {
      make();
      const first = await service!.startRun('fake', ACCOUNT, KIND, { topic: 'q3' });
      provider.adopt = first.run;
      const again = await service!.startRun('fake', ACCOUNT, KIND, { topic: 'other' });
      assert.equal(again.adopted, true);
      assert.equal(again.run.id, first.run.id);
      assert.deepEqual(service!.store.get(`fake:${first.run.id}`)?.run.input, { kindId: 'report', values: { topic: 'q3' } });
    });
  });

  it('a saved run of a provider the registry does not know stays in storage, unloaded, and activation goes on', async () => {
    const stranger = { key: 'gone:r9', run: { provider: 'gone', accountId: 'a', id: 'r9', kind: 'k', status: 'running', rawStatus: 'running' }, firstSeenAt: 1, lastChangedAt: 1 };
    const ours = { key: 'fake:r1', run: { provider: 'fake', accountId: 'acct', id: 'r1', kind: 'report', status: 'running', rawStatus: 'running' }, firstSeenAt: 1, lastChangedAt: 1 };
    await storage.update('runwatch.trackedRuns.v1', [stranger, ours]);
    make();
    assert.deepEqual(service!.store.all().map(t => t.key), ['fake:r1']);
    assert.ok(log.lines.some(l => /does not know now \(gone\); it stays saved/.test(l)), log.lines.join('\n'));
    await service!.store.flush();
    const saved = storage.get<{ key: string }[]>('runwatch.trackedRuns.v1')!;
    assert.deepEqual(saved.map(e => e.key).sort(), ['fake:r1', 'gone:r9'], 'written back as it was');
    assert.throws(() => service!.provider('gone'), (e: unknown) => e instanceof ProviderError && e.kind === 'unsupported');
  });

  it('a mapper that throws is a Runwatch bug: logged, the run kept and marked, the provider not backed off as if down', async () => {
    make({ createScheduler: createDefaultServiceDeps().createScheduler });
    const a = await service!.startRun('fake', ACCOUNT, KIND, { topic: 'a' });
    const b = await service!.startRun('fake', ACCOUNT, KIND, { topic: 'b' });
    provider.getRunThrows = new TypeError("Cannot read properties of undefined (reading 'stage')");
    const keys = [`fake:${a.run.id}`, `fake:${b.run.id}`];
    // Three failures from two runs would back a provider that is down off (PROVIDER_FAILURE_STREAK).
    for (let i = 0; i < 3; i++) await service!.refreshNow(keys);
    assert.equal(service!.health('fake').state, 'ok', 'no outage: the provider answered, Runwatch failed on the answer');
    const tracked = service!.store.get(keys[0])!;
    assert.equal(tracked.run.status, 'running', 'the run is kept');
    assert.ok(tracked.failures >= 1);
    assert.match(tracked.lastError ?? '', /a bug in Runwatch: Cannot read properties of undefined/);
    assert.ok(log.lines.some(l => l.startsWith('error ') && /a bug in Runwatch/.test(l)), log.lines.join('\n'));
  });
});
