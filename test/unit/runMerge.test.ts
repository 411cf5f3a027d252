// Issue 11: a finished run keeps everything the provider told about it. The store's one merge rule
// (mergeRun), each provider's list shape over the simulator (a list answer never erases what a detail answer
// gave), the reported Talonic case through the service, and lists loaded once per refresh.
import * as assert from 'node:assert/strict';
import { MemoryStorage, RunStore } from '../../src/core/store';
import type { ProviderId, Run } from '../../src/core/run';
import { createRunwatchService } from '../../src/core/service';
import { createDefaultServiceDeps } from '../../src/serviceDeps';
import type { RunwatchService, SchedulerOptions } from '../../src/core/contracts';
import { silentLogger, validateBaseUrl } from '../../src/core/http';
import { BoringMarketingProvider } from '../../src/providers/boringMarketing';
import { TalonicProvider } from '../../src/providers/talonic';
import type { Account } from '../../src/providers/provider';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import { MapVault } from './support';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import { TALONIC_RAILS, type SimSpec, type TalonicSim } from '../simulator/talonic';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrackedRun } from '../../src/core/store';
import { hasErrorsToShow, summarize } from '../../src/core/notifyPolicy';
import { errorDocument } from '../../src/vscode/documentText';
import { runContext } from '../../src/vscode/tree/contextValue';
import { runDescription, runIcon } from '../../src/vscode/tree/format';

const EXTRACTION_FAILURE = 'Extraction failed after 3 attempts.';
const UNREADABLE_FAILURE = 'Unsupported file type: .heic';

/** Six documents one second apart: the third fails in extraction, the fifth before any phase. */
const PARTLY_FAILING = {
  staggerMs: 1_000,
  jitter: false,
  failures: [
    { index: 2, phase: 'extraction', message: EXTRACTION_FAILURE },
    { index: 4, phase: null, message: UNREADABLE_FAILURE },
  ],
};

function detailRun(over: Partial<Run> = {}): Run {
  return {
    provider: 'talonic',
    accountId: 'spec-1',
    id: 'p1',
    kind: 'Six scans',
    status: 'running',
    rawStatus: 'active',
    startedAt: '2026-04-07T10:00:00Z',
    progress: {
      stages: [
        { id: 'extraction', label: 'Extraction', state: 'current', counts: { completed: 3, running: 1, pending: 1, errors: 1 } },
        { id: 'assembly', label: 'Assembly', state: 'pending', scope: 'pipeline' },
      ],
      current: 'Extraction',
      documents: { total: 6, completed: 2, errors: 2 },
      detail: '2/6 docs · 2 errors',
    },
    error: {
      message: '2 of 6 documents failed.',
      code: 'partial',
      items: [
        { id: 'pd_3', phase: 'Extraction', message: EXTRACTION_FAILURE },
        { id: 'pd_5', phase: 'before any phase', message: UNREADABLE_FAILURE },
      ],
    },
    result: { rows: 4 },
    cost: { amount: 1.25, currency: 'USD' },
    links: [{ label: 'Open in Talonic', url: 'https://app.talonic.com/pipelines/p1' }],
    raw: { pipelineId: 'p1', totalDocuments: 6 },
    ...over,
  };
}

/** What a list entry carries: identity, status, times, links; no progress, error, result or cost. */
function listEntry(over: Partial<Run> = {}): Run {
  return {
    provider: 'talonic',
    accountId: 'spec-1',
    id: 'p1',
    kind: 'Six scans',
    status: 'running',
    rawStatus: 'active',
    startedAt: '2026-04-07T10:00:00Z',
    raw: { id: 'p1', phase_count: 5 },
    ...over,
  };
}

describe('The store’s merge rule', () => {
  it('a list entry keeps progress, errors, result, cost and links, and takes status and finishedAt', () => {
    const store = new RunStore();
    store.upsert(detailRun());
    const transition = store.replaceAccountRuns('talonic', 'spec-1', [listEntry({ status: 'succeeded', rawStatus: 'completed', finishedAt: '2026-04-07T10:05:00Z' })]);
    const run = store.get('talonic:p1')!.run;
    assert.deepEqual(transition.map(t => [t.from, t.to]), [['running', 'succeeded']]);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.rawStatus, 'completed');
    assert.equal(run.finishedAt, '2026-04-07T10:05:00Z');
    const { progress, error, result, cost, links } = detailRun();
    assert.deepEqual({ progress: run.progress, error: run.error, result: run.result, cost: run.cost, links: run.links }, { progress, error, result, cost, links });
    assert.deepEqual(run.raw, { pipelineId: 'p1', totalDocuments: 6, id: 'p1', phase_count: 5 }, 'the tooltip keeps what either answer sent');
  });

  it('a newer detail answer replaces what it carries: the stage moves on, counts and error change', () => {
    const store = new RunStore();
    store.upsert(detailRun());
    const next = detailRun({
      progress: { stages: [{ id: 'extraction', label: 'Extraction', state: 'done' }, { id: 'assembly', label: 'Assembly', state: 'current', scope: 'pipeline' }], current: 'Assembly', documents: { total: 6, completed: 4, errors: 2 } },
      error: { message: 'Assembly failed.', step: 'Assembly', items: [{ id: 'pd_3', message: EXTRACTION_FAILURE }] },
      links: [],
    });
    store.upsert(next);
    const run = store.get('talonic:p1')!.run;
    assert.deepEqual(run.progress, next.progress, 'the progress is replaced whole (no old detail left behind)');
    assert.deepEqual(run.error, next.error);
    assert.deepEqual(run.links, [], 'an empty list the answer carries replaces');
  });

  it('a partial body: progress without stages keeps the stages, an error without items keeps the items', () => {
    const store = new RunStore();
    store.upsert(detailRun());
    store.upsert(detailRun({ progress: { documents: { total: 6, completed: 3, errors: 2 } }, error: { message: '2 of 6 documents failed.', code: 'partial' } }));
    const run = store.get('talonic:p1')!.run;
    assert.deepEqual(run.progress?.documents, { total: 6, completed: 3, errors: 2 }, 'the new counts are taken');
    assert.deepEqual(run.progress?.stages, detailRun().progress?.stages);
    assert.deepEqual(run.error?.items, detailRun().error?.items);
  });

  it('a terminal status is final: a list’s "active" or a summary’s "failed" does not move it', async () => {
    const store = new RunStore();
    store.upsert(detailRun({ status: 'succeeded' }));
    const changes: string[] = [];
    store.onDidChange(c => changes.push(...c.transitions.map(t => `${t.from}→${t.to}`)));
    assert.deepEqual(store.replaceAccountRuns('talonic', 'spec-1', [listEntry({ status: 'running', rawStatus: 'active' })]), []);
    assert.equal(store.get('talonic:p1')!.run.status, 'succeeded');

    store.upsert({ ...detailRun({ id: 'c1', status: 'cancelled', rawStatus: 'failed' }), error: undefined });
    store.upsert(listEntry({ id: 'c1', status: 'failed', rawStatus: 'failed' }));
    assert.equal(store.get('talonic:c1')!.run.status, 'cancelled');
    await new Promise(r => setImmediate(r));
    assert.deepEqual(changes, [], 'no transition was reported');
  });

  it('a 404 after deletion keeps the run as it was, marked gone', () => {
    const store = new RunStore();
    store.upsert(detailRun({ status: 'succeeded' }));
    store.markGone('talonic:p1', 'Talonic: Pipeline not found');
    const t = store.get('talonic:p1')!;
    assert.equal(t.gone, true);
    assert.deepEqual(t.run, detailRun({ status: 'succeeded' }));
  });

  it('another window’s poorer copy of a run does not erase this window’s', () => {
    const store = new RunStore();
    store.upsert(detailRun());
    const other = new RunStore();
    other.upsert(listEntry({ status: 'succeeded' }));
    store.applyRemote({ ...other.get('talonic:p1')!, lastConfirmedAt: Date.now() + 1000 });
    const run = store.get('talonic:p1')!.run;
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.error, detailRun().error);
    assert.deepEqual(run.progress?.stages, detailRun().progress?.stages);
  });
});

describe('Each provider’s list never erases detail (over the simulator)', () => {
  let sim: Simulator;

  before(async () => {
    sim = await createSimulator().start();
  });
  after(() => sim.stop());
  beforeEach(() => sim.reset());

  describe('Boring Marketing', () => {
    let bm: BoringMarketingSim;
    let provider: BoringMarketingProvider;
    let store: RunStore;
    let account: Account;

    beforeEach(async () => {
      bm = sim.provider<BoringMarketingSim>('boringMarketing');
      provider = new BoringMarketingProvider({ baseUrl: sim.baseUrl('boringMarketing'), getKey: async () => SIM_KEYS.boringMarketing, log: silentLogger });
      store = new RunStore();
      const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      account = (await provider.listAccounts()).find(a => a.id === brand.id)!;
    });

    async function polledThenListed(runId: string): Promise<{ polled: Run; after: Run }> {
      const polled = await provider.getRun({ accountId: account.id, id: runId });
      store.upsert(polled);
      store.replaceAccountRuns('boringMarketing', account.id, (await provider.listRuns(account)).runs);
      return { polled, after: store.get(`boringMarketing:${runId}`)!.run };
    }

    for (const shape of ['summary', 'full'] as const) {
      it(`${shape} list: a running full run keeps its stages and stage detail`, async () => {
        bm.runListShape = shape;
        const sim = bm.addRun(account.id, { kind: 'full', status: 'running', stage: 'evidence_collection', inStageMs: 1_000 });
        const { polled, after } = await polledThenListed(sim.id);
        assert.equal(polled.progress?.current, 'evidence_collection');
        assert.equal(after.status, 'running');
        assert.deepEqual(after.progress, polled.progress);
      });

      it(`${shape} list: a failed run keeps the reason and the stage it failed in`, async () => {
        bm.runListShape = shape;
        const sim = bm.addRun(account.id, { kind: 'full', status: 'failed', stage: 'evidence_collection', error: 'DataForSEO rate limit exceeded — retry in 60 seconds' });
        const { polled, after } = await polledThenListed(sim.id);
        assert.match(polled.error?.message ?? '', /DataForSEO rate limit/);
        assert.deepEqual(after.error, polled.error);
        assert.deepEqual(after.progress?.stages, polled.progress?.stages);
        assert.equal(after.progress?.stages?.find(s => s.state === 'failed')?.id, 'evidence_collection');
      });

      it(`${shape} list: a run that finished since its last poll takes the new status and finish time`, async () => {
        bm.runListShape = shape;
        const sim = bm.addRun(account.id, { kind: 'full', status: 'running', stage: 'leverage_scoring' });
        store.upsert(await provider.getRun({ accountId: account.id, id: sim.id }));
        bm.clock.advance(60 * 60_000);
        const transitions = store.replaceAccountRuns('boringMarketing', account.id, (await provider.listRuns(account)).runs);
        assert.deepEqual(transitions.map(t => t.to), ['succeeded']);
        const run = store.get(`boringMarketing:${sim.id}`)!.run;
        assert.ok(run.finishedAt, 'no finish time');
        assert.deepEqual(run.progress?.stages?.map(s => s.state), ['done', 'done', 'done', 'done', 'done', 'done']);
      });

      it(`${shape} list: a run cancelled from Runwatch stays cancelled though the API records "failed"`, async () => {
        bm.runListShape = shape;
        const sim = bm.addRun(account.id, { kind: 'full', status: 'running', stage: 'family_discovery' });
        store.upsert(await provider.cancelRun({ accountId: account.id, id: sim.id, kind: 'full' }));
        store.replaceAccountRuns('boringMarketing', account.id, (await provider.listRuns(account)).runs);
        const run = store.get(`boringMarketing:${sim.id}`)!.run;
        assert.equal(run.status, 'cancelled');
        assert.equal(run.error, undefined, 'a cancel is not an error');
      });
    }

    it('full list: a list entry as rich as the detail moves the stage on', async () => {
      bm.runListShape = 'full';
      const sim = bm.addRun(account.id, { kind: 'full', status: 'running', stage: 'brand_enrichment' });
      store.upsert(await provider.getRun({ accountId: account.id, id: sim.id }));
      bm.clock.advance(3 * 60_000);
      const listed = (await provider.listRuns(account)).runs.find(r => r.id === sim.id)!;
      assert.notEqual(listed.progress?.current, 'brand_enrichment', 'the simulated run did not move on');
      store.replaceAccountRuns('boringMarketing', account.id, [listed]);
      assert.deepEqual(store.get(`boringMarketing:${sim.id}`)!.run.progress, listed.progress);
    });
  });

  describe('Talonic', () => {
    let tl: TalonicSim;
    let provider: TalonicProvider;
    let store: RunStore;
    let spec: SimSpec;
    let account: Account;

    beforeEach(async () => {
      tl = sim.provider<TalonicSim>('talonic');
      provider = new TalonicProvider({ baseUrl: sim.baseUrl('talonic'), getKey: async () => SIM_KEYS.talonic, log: silentLogger });
      store = new RunStore();
      spec = tl.addSpec({ name: 'Invoices', rail: TALONIC_RAILS.standard() });
      account = (await provider.listAccounts()).find(a => a.label === 'Invoices')!;
    });

    async function poll(id: string): Promise<Run> {
      const run = await provider.getRun({ accountId: account.id, id });
      store.upsert(run);
      return run;
    }

    async function list(): Promise<void> {
      store.replaceAccountRuns('talonic', account.id, (await provider.listRuns(account)).runs);
    }

    for (const statusMode of ['alwaysActive', 'settles'] as const) {
      it(`pipelines list (${statusMode}): a finished pipeline keeps its phases, both error items and its status`, async () => {
        tl.options.statusMode = statusMode;
        const pipeline = tl.addPipeline(spec, { documents: 6, name: 'Six scans', plan: PARTLY_FAILING });
        tl.clock.advance(60_000);
        const polled = await poll(pipeline.id);
        assert.equal(polled.status, 'succeeded');
        await list();
        const run = store.get(`talonic:${pipeline.id}`)!.run;
        assert.equal(run.status, 'succeeded');
        assert.deepEqual(run.progress, polled.progress);
        assert.deepEqual(run.error?.items?.map(i => i.message).sort(), [EXTRACTION_FAILURE, UNREADABLE_FAILURE]);
        assert.deepEqual(run.links, [{ label: 'Open in Talonic', url: `https://app.talonic.com/pipelines/${pipeline.id}` }]);
      });
    }

    it('pipelines list (settles): a pipeline that ended since its last poll takes the status, keeps the phases', async () => {
      tl.options.statusMode = 'settles';
      const pipeline = tl.addPipeline(spec, { documents: 6, name: 'Six scans', plan: PARTLY_FAILING });
      tl.clock.advance(6_000);
      const polled = await poll(pipeline.id);
      assert.equal(polled.status, 'running');
      tl.clock.advance(60_000);
      await list();
      const run = store.get(`talonic:${pipeline.id}`)!.run;
      assert.equal(run.status, 'succeeded');
      assert.deepEqual(run.progress?.stages, polled.progress?.stages);
      assert.deepEqual(run.error, polled.error);
    });

    it('a progress body without phases and errors keeps both, and takes the new counts', async () => {
      const pipeline = tl.addPipeline(spec, { documents: 6, name: 'Six scans', plan: PARTLY_FAILING });
      tl.clock.advance(60_000);
      const polled = await poll(pipeline.id);
      const partial = tl.progressJson(pipeline);
      delete partial.phases;
      delete partial.errors;
      sim.addFault({ provider: 'talonic', path: '/progress$', status: 200, body: partial });
      await poll(pipeline.id);
      assert.equal(sim.requestsFor('talonic', /\/progress$/).filter(r => r.fault).length, 1, 'the partial body was not served');
      const run = store.get(`talonic:${pipeline.id}`)!.run;
      assert.deepEqual(run.progress?.stages, polled.progress?.stages);
      assert.deepEqual(run.progress?.documents, { total: 6, completed: 4, errors: 2 });
      assert.deepEqual(run.error?.items, polled.error?.items);
    });
  });
});

const schedulerOptions: SchedulerOptions = { whenUnfocused: 'normal', unfocusedFactor: 1, maxConcurrentPerProvider: 4, stuckAfterMs: 15 * 60_000, minIntervalMs: {} };


async function until<T>(what: string, check: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = check();
    if (value) return value;
    await new Promise(r => setTimeout(r, 10));
  }
  assert.fail(`gave up waiting for ${what}`);
}

describe('The service: a partly failed Talonic pipeline, and lists loaded once', () => {
  let sim: Simulator;
  let tl: TalonicSim;
  let service: RunwatchService;

  const make = (listRefreshMs?: number) => {
    const vault = new MapVault();
    vault.keys.set('talonic', SIM_KEYS.talonic);
    return createRunwatchService({ storage: new MemoryStorage(), keys: vault, baseUrl: id => validateBaseUrl(sim.baseUrl(id)), log: silentLogger, scheduler: schedulerOptions, listRefreshMs }, createDefaultServiceDeps());
  };

  beforeEach(async () => {
    sim = await createSimulator().start();
    tl = sim.provider<TalonicSim>('talonic');
  });
  afterEach(async () => {
    service?.dispose();
    await sim.stop();
  });

  const listRequests = () => sim.requestsFor('talonic', /^\/v1\/pipelines$/).filter(r => r.method === 'GET' && r.status === 200).length;

  it('followed to its end, then through two list refreshes, it keeps its phases and both document errors', async () => {
    const spec = tl.addSpec({ name: 'Invoices', rail: TALONIC_RAILS.standard() });
    const pipeline = tl.addPipeline(spec, { documents: 6, name: 'Six scans', plan: PARTLY_FAILING });
    const key = `talonic:${pipeline.id}`;
    service = make(20);
    await service.refreshAccounts('talonic');
    await until('the pipeline listed', () => service.store.get(key));

    tl.clock.advance(60_000);
    await service.refreshNow([key]);
    const finished = service.store.get(key)!.run;
    assert.equal(finished.status, 'succeeded');
    assert.deepEqual(finished.progress?.documents, { total: 6, completed: 4, errors: 2 });

    // The Runs view is visible: its lists reload (GET /v1/pipelines?schema_id=…), twice.
    const before = listRequests();
    service.setViewVisible(true);
    await until('two list refreshes', () => listRequests() >= before + 2);
    service.setViewVisible(false);
    assert.ok(sim.requestsFor('talonic', /^\/v1\/pipelines$/).every(r => r.status === 200));

    const run = service.store.get(key)!.run;
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.progress?.stages?.map(s => s.label), ['Transfer', 'Extraction', 'Resolution', 'Validation', 'Assembly']);
    assert.deepEqual(run.progress?.documents, { total: 6, completed: 4, errors: 2 });
    assert.deepEqual(
      run.error?.items?.map(i => [i.phase, i.message]).sort(),
      [
        ['Extraction', EXTRACTION_FAILURE],
        ['before any phase', UNREADABLE_FAILURE],
      ],
    );
  });

  it('accounts asked for twice at once go out once, and each Spec’s runs once per refresh', async () => {
    tl.addSpec({ name: 'Invoices' });
    tl.addSpec({ name: 'Contracts', rail: TALONIC_RAILS.twoResolutions() });
    service = make();
    // A key change lists the accounts while the tree, redrawn by it, asks for them too.
    const [first, second] = await Promise.all([service.refreshAccounts('talonic'), service.refreshAccounts('talonic')]);
    assert.equal(first, second);
    await until('both Specs’ runs listed', () => listRequests() >= 2);
    // The tree then renders each Spec: the runs this refresh listed serve it.
    for (const account of first) await service.refreshRuns('talonic', account);
    assert.equal(sim.requestsFor('talonic', /^\/v1\/specs$/).length, 1, 'GET /v1/specs went out more than once');
    assert.equal(listRequests(), 2, 'a Spec’s runs were listed more than once');

    // The user's own reload lists again; so does the next refresh.
    await service.asUserAction(() => service.refreshRuns('talonic', first[0]));
    assert.equal(listRequests(), 3);
    await service.refreshAccounts('talonic');
    for (const account of first) await service.refreshRuns('talonic', account);
    assert.equal(sim.requestsFor('talonic', /^\/v1\/specs$/).length, 2);
    assert.equal(listRequests(), 5);
  });
});

describe('A finished run with document errors says so', () => {
  const finished = detailRun({ status: 'succeeded', progress: { ...detailRun().progress, documents: { total: 6, completed: 4, errors: 2 } } });
  const now = Date.parse('2026-04-07T10:10:00Z');
  const tracked = (run: Run): TrackedRun => ({
    key: `talonic:${run.id}`,
    run,
    firstSeenAt: now - 600_000,
    lastConfirmedAt: now,
    lastChangedAt: now - 60_000,
    failures: 0,
    stale: false,
    gone: false,
    stuck: false,
    acknowledged: false,
    polls: 5,
    pinned: false,
  });

  it('in its row: a warning-coloured check and "4/6 docs · 2 errors"', () => {
    assert.deepEqual(runIcon(tracked(finished)), { id: 'pass', color: 'problemsWarningIcon.foreground' });
    assert.deepEqual(runIcon(tracked({ ...finished, error: undefined })), { id: 'pass', color: 'testing.iconPassed' }, 'a clean success looks as before');
    assert.equal(runDescription(tracked(finished), now), '4/6 docs · 2 errors · $1.25 · 1m ago');
  });

  it('in its notification: "finished with 2 document errors", with Show Error', () => {
    const event = { key: 'talonic:p1', kind: 'succeeded' as const, run: finished };
    assert.equal(summarize([event], r => `${r.kind} on Invoices`), 'Six scans on Invoices finished with 2 document errors');
    assert.equal(hasErrorsToShow(event), true);
    const clean = { key: 'talonic:p2', kind: 'succeeded' as const, run: { ...finished, id: 'p2', error: undefined } };
    assert.equal(hasErrorsToShow(clean), false);
    assert.equal(summarize([event, clean]), '2 runs finished: 1 succeeded, 1 with errors');
  });

  it('in Show Error: its title and both document errors, the one with no phase too', () => {
    const doc = errorDocument(tracked(finished), { providerName: 'Talonic', accountLabel: 'Invoices', now });
    assert.match(doc, /^Six scans on Invoices finished with 2 document errors$/m);
    assert.match(doc, /^pd_3 +Extraction +Extraction failed after 3 attempts\.$/m);
    assert.match(doc, /^pd_5 +before any phase +Unsupported file type: \.heic$/m);
    assert.match(doc, /Fix or replace the documents listed above/);
    assert.doesNotMatch(doc, /Nothing: this run succeeded/, 'a run with failed documents has something to do');
  });

  it('Show Error is in the row’s menu of a run that succeeded with errors', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
    const entry = (pkg.contributes.menus['view/item/context'] as { command: string; when: string }[]).find(m => m.command === 'runwatch.showError')!;
    const [, source] = /viewItem =~ \/(.+?)\//.exec(entry.when)!;
    const value = runContext('succeeded', { rerunnable: true, hasError: !!finished.error, hasResult: true, dataProduct: true, dashboard: true });
    assert.match(value, new RegExp(source));
  });
});
