// The Boring Marketing adapter against the simulator over real loopback HTTP.
import * as assert from 'node:assert/strict';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import { BoringMarketingProvider } from '../../src/providers/boringMarketing';
import { ProviderError } from '../../src/core/errors';
import type { Logger } from '../../src/core/http';
import type { Account, PipelineKind, ProviderContext } from '../../src/providers/provider';
import { rejection } from './support';

const KEY = SIM_KEYS.boringMarketing;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A Logger that keeps every line, to prove no key reaches it. */
function capturingLogger(...sinks: string[][]): Logger {
  const keep = (m: string) => void sinks.forEach(lines => lines.push(m));
  return { trace: keep, debug: keep, info: keep, warn: keep, error: keep };
}


describe('Boring Marketing adapter', () => {
  let sim: Simulator;
  let bm: BoringMarketingSim;
  let logLines: string[];
  /** Every log line of every test, checked at the end for the key. */
  const allLogLines: string[] = [];
  /** Every error the tests saw, checked at the end for the key. */
  const seenErrors: ProviderError[] = [];

  function provider(overrides: Partial<ProviderContext> = {}): BoringMarketingProvider {
    return new BoringMarketingProvider({
      baseUrl: sim.baseUrl('boringMarketing'),
      getKey: async () => KEY,
      log: capturingLogger(logLines, allLogLines),
      ...overrides,
    });
  }

  async function failure(promise: Promise<unknown>): Promise<ProviderError> {
    const e = await rejection(promise);
    seenErrors.push(e);
    return e;
  }

  function account(brand: { id: string; name: string; domain: string }): Account {
    return { provider: 'boringMarketing', id: brand.id, label: brand.name, description: brand.domain };
  }

  async function kind(p: BoringMarketingProvider, id: string): Promise<PipelineKind> {
    const kinds = await p.listKinds(account({ id: 'x', name: 'x', domain: 'x' }));
    const k = kinds.find(x => x.id === id);
    assert.ok(k, `kind ${id} is offered`);
    return k;
  }

  before(async () => {
    sim = createSimulator();
    await sim.start();
    bm = sim.provider<BoringMarketingSim>('boringMarketing');
  });

  beforeEach(() => {
    sim.reset();
    logLines = [];
    bm.setSingleStageMode('own');
    bm.setTier('agency', 10);
    bm.runListShape = 'full';
    bm.cancelError = 'Cancelled via API';
    bm.keys.clear();
    bm.addKey(KEY);
  });

  after(async () => {
    await sim.stop();
  });

  describe('brands', () => {
    it('lists brands as accounts', async () => {
      const acme = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      bm.addBrand({ domain: 'globex.io', name: 'Globex' });
      const accounts = await provider().listAccounts();
      assert.deepEqual(
        accounts.map(a => [a.id, a.label, a.description]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
        [
          [acme.id, 'Acme', 'acme.com'],
          [accounts.find(a => a.label === 'Globex')!.id, 'Globex', 'globex.io'],
        ],
      );
    });

    it('tolerates a brand list wrapped in an envelope', async () => {
      sim.addFault({ provider: 'boringMarketing', method: 'GET', path: '^/brands$', status: 200, body: { brands: [{ id: 'b-1', domain: 'acme.com', name: null }] } });
      const accounts = await provider().listAccounts();
      assert.deepEqual(accounts.map(a => a.label), ['acme.com']);
    });

    it('creates a brand from a pasted URL, naming it after the domain', async () => {
      const created = await provider().addAccount({ value: ' https://Acme.com/about ' });
      assert.equal(created.label, 'acme.com');
      const stored = [...bm.brands.values()];
      assert.deepEqual(stored.map(b => [b.id, b.domain, b.name]), [[created.id, 'acme.com', 'acme.com']]);
    });

    it('returns the existing brand when the domain is already registered', async () => {
      const acme = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      const again = await provider().addAccount({ value: 'acme.com', label: 'Another name' });
      assert.equal(again.id, acme.id);
      assert.equal(again.label, 'Acme');
      assert.equal(again.raw?.existing, true);
      assert.equal(bm.brands.size, 1);
    });

    it('explains the tier brand limit (403)', async () => {
      bm.setTier('builder', 1);
      bm.addBrand({ domain: 'acme.com' });
      const e = await failure(provider().addAccount({ value: 'globex.io', label: 'Globex' }));
      assert.equal(e.kind, 'forbidden');
      assert.match(e.message, /builder tier allows 1 brand\(s\)\./);
      assert.match(e.message, /brand limit is reached/);
      assert.equal(bm.brands.size, 1);
    });

    it('says a 403 on someone else\'s brand is about ownership', async () => {
      const acme = bm.addBrand({ domain: 'acme.com' });
      sim.addFault({ provider: 'boringMarketing', path: '/runs$', status: 403, body: { detail: 'Brand not owned by caller' } });
      const e = await failure(provider().listRuns(account({ ...acme })));
      assert.equal(e.kind, 'forbidden');
      assert.match(e.message, /Brand not owned by caller: the brand is not yours/);
    });
  });

  describe('starting pipelines', () => {
    const routes: Array<[kindId: string, route: string, input: Record<string, unknown>]> = [
      ['full', 'analyze', {}],
      ['discovery', 'discover', {}],
      ['competitor_discovery', 'discover-competitors', {}],
      ['brand_enrichment', 'enrich/brand', {}],
      ['technical_enrichment', 'enrich/technical', {}],
      ['llm_enrichment', 'enrich/llm', {}],
      ['synthesize', 'synthesize', {}],
      ['scoring', 'score', {}],
      ['brief', 'brief', { queue_item_id: 'q-42' }],
      ['execution', 'execute', { brief_id: 'br-7' }],
    ];

    it('offers the nine pipelines with their inputs', async () => {
      const kinds = await provider().listKinds(account({ id: 'b', name: 'b', domain: 'b' }));
      assert.deepEqual(
        kinds.map(k => k.label),
        ['Analyze (full pipeline)', 'Discover', 'Discover competitors', 'Enrich brand', 'Enrich technical', 'Enrich LLM', 'Synthesize', 'Score', 'Brief', 'Execute'],
      );
      const inputs = Object.fromEntries(kinds.map(k => [k.id, k.inputs.map(i => `${i.name}:${i.type}:${i.required}:${String(i.default)}`)]));
      assert.deepEqual(inputs.competitor_discovery, ['persist:boolean:false:true']);
      assert.deepEqual(inputs.technical_enrichment[0], 'trigger:boolean:false:true');
      assert.deepEqual(inputs.brief, ['queue_item_id:string:true:undefined']);
      assert.deepEqual(inputs.execution, ['brief_id:string:true:undefined']);
    });

    for (const [kindId, route, input] of routes) {
      it(`starts ${kindId} with POST /brands/{id}/${route}`, async () => {
        const p = provider();
        const brand = bm.addBrand({ domain: `${kindId.replace(/_/g, '-')}.com`, name: kindId });
        const { run, adopted } = await p.startRun(account(brand), await kind(p, kindId), input);
        assert.equal(adopted, undefined);
        assert.equal(run.kind, kindId);
        assert.equal(run.status, 'queued');
        assert.equal(run.accountId, brand.id);
        const simRun = bm.runs.get(run.id);
        assert.ok(simRun, 'the simulator holds the started run');
        assert.equal(simRun.trigger?.route, route);
        if (kindId === 'competitor_discovery') assert.deepEqual(simRun.trigger?.query, { persist: 'true' });
        if (kindId === 'technical_enrichment') assert.deepEqual(simRun.trigger?.body, { trigger: true });
        if (kindId === 'brief') assert.deepEqual(simRun.trigger?.body, { queue_item_id: 'q-42' });
        if (kindId === 'execution') assert.deepEqual(simRun.trigger?.body, { brief_id: 'br-7' });
      });
    }

    it('sends persist=false as a query parameter when asked', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'competitor_discovery'), { persist: false });
      assert.deepEqual(bm.runs.get(run.id)?.trigger?.query, { persist: 'false' });
    });

    it('refuses Brief without a queue item id before calling the API', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const before = sim.requestsFor('boringMarketing').length;
      const e = await failure(p.startRun(account(brand), await kind(p, 'brief'), {}));
      assert.equal(e.kind, 'validation');
      assert.match(e.message, /queue item id/);
      assert.equal(sim.requestsFor('boringMarketing').length, before);
    });

    it('shows FastAPI validation lists (a non-UUID brand id → 422)', async () => {
      const p = provider();
      const e = await failure(p.startRun({ provider: 'boringMarketing', id: 'not-a-uuid', label: 'x' }, await kind(p, 'full'), {}));
      assert.equal(e.kind, 'validation');
      assert.match(e.message, /brand_id: Input should be a valid UUID/);
    });

    it('an empty technical enrichment is accepted and then fails at once, with a hint', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'technical_enrichment'), { trigger: false });
      assert.deepEqual(bm.runs.get(run.id)?.trigger?.body, {});
      sim.clock.advance(5 * SECOND);
      const after = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(after.status, 'failed');
      assert.match(after.error?.hint ?? '', /technical audit/);
    });

    it('technical enrichment results appear in the tooltip fields', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'technical_enrichment'), {});
      sim.clock.advance(30 * MINUTE);
      const done = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(done.status, 'succeeded');
      assert.equal(done.raw?.['meta.health_score'], 72);
      assert.equal(done.raw?.['meta.insights_count'], 14);
    });
  });

  describe('progress', () => {
    it('a full run walks the six stages with index, total and detail', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      bm.scriptNextRun(brand.id, { queuedMs: 2 * SECOND, durationMs: MINUTE });
      const { run } = await p.startRun(account(brand), await kind(p, 'full'), {});
      assert.equal(run.status, 'queued');
      assert.equal(run.progress?.total, 6);
      assert.equal(run.progress?.index, undefined);
      const ref = { accountId: brand.id, id: run.id };

      sim.clock.advance(2 * SECOND + 10);
      const expected = ['brand_enrichment', 'competitor_discovery', 'family_discovery', 'evidence_collection', 'leverage_scoring', 'queue_building'];
      let lastStageStart = '';
      for (let i = 0; i < 6; i++) {
        const now = await p.getRun(ref);
        assert.equal(now.status, 'running');
        assert.equal(now.progress?.current, expected[i]);
        assert.equal(now.progress?.index, i + 1);
        assert.equal(now.progress?.total, 6);
        assert.deepEqual(
          now.progress?.stages?.map(s => s.state),
          expected.map((_, j) => (j < i ? 'done' : j === i ? 'current' : 'pending')),
        );
        assert.ok(now.progress?.detail, `stage ${expected[i]} has a detail`);
        assert.ok(now.progress?.stageStartedAt && now.progress.stageStartedAt !== lastStageStart, 'stage_started_at moves on');
        lastStageStart = now.progress!.stageStartedAt!;
        if (expected[i] === 'evidence_collection') {
          sim.clock.advance(30 * SECOND);
          const mid = await p.getRun(ref);
          assert.equal(mid.progress?.detail, 'analyzing SERPs for family 7 of 12');
          assert.equal(mid.progress?.stages?.[3].detail, 'analyzing SERPs for family 7 of 12');
          sim.clock.advance(30 * SECOND);
        } else {
          sim.clock.advance(MINUTE);
        }
      }
      const done = await p.getRun(ref);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.rawStatus, 'done');
      assert.equal(done.raw?.['meta.current_stage'], 'queue_building');
      assert.equal(done.progress?.detail, undefined);
      assert.ok(done.progress?.stages?.every(s => s.state === 'done'));
      assert.ok(done.finishedAt);
      assert.equal(done.durationSeconds, 6 * 60 + 2);
    });

    it('a full run on a brand with competitors skips competitor discovery', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'globex.io', competitors: ['initech.dev'] });
      bm.scriptNextRun(brand.id, { queuedMs: 0, durationMs: MINUTE });
      const { run } = await p.startRun(account(brand), await kind(p, 'full'), {});
      sim.clock.advance(MINUTE + 10);
      const now = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(now.progress?.current, 'family_discovery');
      assert.equal(now.progress?.index, 3);
      assert.deepEqual(now.progress?.stages?.slice(0, 3).map(s => s.state), ['done', 'done', 'current']);
    });

    it('discovery reports no stage at all', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'discovery'), {});
      sim.clock.advance(5 * MINUTE);
      const now = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(now.status, 'running');
      assert.equal(now.progress?.stages, undefined);
      assert.equal(now.progress?.current, undefined);
      assert.equal(p.cadenceMs(now), 10_000);
    });

    it('single-stage runs show their own stage (Polling guide reading)', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'scoring'), {});
      sim.clock.advance(30 * SECOND);
      const now = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(now.status, 'running');
      assert.equal(now.progress?.current, 'leverage_scoring');
      assert.deepEqual(now.progress?.stages?.map(s => [s.id, s.state]), [['leverage_scoring', 'current']]);
      assert.ok(now.progress?.stageStartedAt);
      assert.equal(p.cadenceMs(now), 5_000);
    });

    it('single-stage runs with a null stage show none (Analyze page reading)', async () => {
      bm.setSingleStageMode('null');
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'brief'), { queue_item_id: 'q-1' });
      sim.clock.advance(30 * SECOND);
      const now = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(now.status, 'running');
      assert.equal(now.progress, undefined);
      assert.equal(p.cadenceMs(now), 5_000);
    });

    it('a stuck run keeps its stage_started_at', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      bm.scriptNextRun(brand.id, { queuedMs: 0, durationMs: MINUTE, stuckAt: 'evidence_collection' });
      const { run } = await p.startRun(account(brand), await kind(p, 'full'), {});
      sim.clock.advance(4 * MINUTE);
      const first = await p.getRun({ accountId: brand.id, id: run.id });
      sim.clock.advance(20 * MINUTE);
      const later = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(later.status, 'running');
      assert.equal(later.progress?.current, 'evidence_collection');
      assert.equal(later.progress?.stageStartedAt, first.progress?.stageStartedAt);
    });

    it('lists runs newest first, also when the list carries only summaries', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const old = bm.addRun(brand.id, { kind: 'full', status: 'done', finishedAgoMs: 60 * MINUTE });
      const failed = bm.addRun(brand.id, { kind: 'discovery', status: 'failed', error: 'Tavily timeout', finishedAgoMs: 5 * MINUTE });
      const queued = bm.addRun(brand.id, { kind: 'scoring', status: 'queued', queuedMs: MINUTE });
      const page = await p.listRuns(account(brand));
      assert.deepEqual(page.runs.map(r => r.id), [queued.id, failed.id, old.id]);
      assert.deepEqual(page.runs.map(r => r.status), ['queued', 'failed', 'succeeded']);
      assert.equal(page.total, 3);

      bm.runListShape = 'summary';
      const summaries = await p.listRuns(account(brand));
      assert.deepEqual(summaries.runs.map(r => [r.id, r.status, r.accountId]), [
        [queued.id, 'queued', brand.id],
        [failed.id, 'failed', brand.id],
        [old.id, 'succeeded', brand.id],
      ]);
    });
  });

  describe('duplicate runs (409)', () => {
    it('adopts the run named by X-Running-Run-Id instead of starting another', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      const first = await p.startRun(account(brand), await kind(p, 'full'), {});
      const second = await p.startRun(account(brand), await kind(p, 'scoring'), {});
      assert.equal(second.adopted, true);
      assert.equal(second.run.id, first.run.id);
      assert.equal(second.run.kind, 'full');
      assert.match(second.message ?? '', /^A full run was already going on Acme; Runwatch is following it instead of starting another\./);
      assert.equal(bm.runsFor(brand.id).length, 1, 'no second run was created');
      const conflicts = sim.requestsFor('boringMarketing', /\/score$/);
      assert.deepEqual(conflicts.map(r => r.status), [409]);
    });

    // What an adopted run keeps of a start's input is the service's rule, tested there (service.test.ts).
    it('adopts the run of the kind asked for without a message to start it again', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      const first = await p.startRun(account(brand), await kind(p, 'competitor_discovery'), { persist: false });
      const again = await p.startRun(account(brand), await kind(p, 'competitor_discovery'), { persist: false });
      assert.equal(again.adopted, true);
      assert.equal(again.run.id, first.run.id);
      assert.doesNotMatch(again.message ?? '', /again once it finishes/);
      assert.equal(bm.runsFor(brand.id).length, 1);
    });

    it('finds the running run in the list when the header is missing', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      bm.addRun(brand.id, { kind: 'full', status: 'done' });
      const running = bm.addRun(brand.id, { kind: 'scoring', status: 'running' });
      sim.addFault({ provider: 'boringMarketing', method: 'POST', path: '/score$', status: 409, body: { detail: 'A run is already in progress for this brand' } });
      const result = await p.startRun(account(brand), await kind(p, 'scoring'), {});
      assert.equal(result.adopted, true);
      assert.equal(result.run.id, running.id);
      assert.equal(bm.runsFor(brand.id).length, 2);
    });

    it('does not block on a run older than 15 minutes: the API expires it first', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const old = await p.startRun(account(brand), await kind(p, 'full'), {});
      sim.clock.advance(16 * MINUTE);
      const fresh = await p.startRun(account(brand), await kind(p, 'full'), {});
      assert.equal(fresh.adopted, undefined);
      assert.notEqual(fresh.run.id, old.run.id);
      const expired = await p.getRun({ accountId: brand.id, id: old.run.id });
      assert.equal(expired.status, 'failed');
      assert.match(expired.error?.message ?? '', /expired/);
      assert.match(expired.error?.hint ?? '', /Re-run/);
    });
  });

  describe('cancel', () => {
    it('cancels a running run; it then reads as cancelled, not failed', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'full'), {});
      sim.clock.advance(5 * MINUTE);
      const cancelled = await p.cancelRun({ accountId: brand.id, id: run.id });
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.error, undefined);
      assert.ok(!cancelled.progress?.stages?.some(s => s.state === 'current'));
      assert.equal(bm.runView(run.id)?.status, 'failed', 'the API records a cancel as failed');
      const polled = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(polled.status, 'cancelled');
    });

    it('reports cancelled even when the API leaves the error empty', async () => {
      bm.cancelError = null;
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const run = bm.addRun(brand.id, { kind: 'scoring', status: 'running' });
      const cancelled = await p.cancelRun({ accountId: brand.id, id: run.id });
      assert.equal(cancelled.status, 'cancelled');
    });

    it('explains that a finished run cannot be cancelled', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const done = bm.addRun(brand.id, { kind: 'full', status: 'done' });
      const e = await failure(p.cancelRun({ accountId: brand.id, id: done.id }));
      assert.equal(e.kind, 'validation');
      assert.match(e.message, /already finished, so there is nothing to cancel \(Run is done, not queued or running\)/);
    });

    it('a cancel of an unknown run is notFound', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const e = await failure(p.cancelRun({ accountId: brand.id, id: '00000000-0000-4000-8000-000000000000' }));
      assert.equal(e.kind, 'notFound');
    });
  });

  describe('failures', () => {
    it('a failed run carries the error, its stage, and when to retry', async () => {
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      bm.scriptNextRun(brand.id, {
        queuedMs: 0,
        durationMs: MINUTE,
        failAt: { stage: 'evidence_collection', error: 'DataForSEO rate limit exceeded — retry in 60 seconds', afterMs: 10 * SECOND },
      });
      const { run } = await p.startRun(account(brand), await kind(p, 'full'), {});
      sim.clock.advance(3 * MINUTE + 11 * SECOND);
      const failed = await p.getRun({ accountId: brand.id, id: run.id });
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.message, 'DataForSEO rate limit exceeded — retry in 60 seconds');
      assert.equal(failed.error?.step, 'evidence_collection');
      assert.equal(failed.error?.retryAfterSeconds, 60);
      assert.match(failed.error?.hint ?? '', /Wait 60 seconds after the failure, then Re-run/);
      assert.equal(failed.progress?.index, 4);
      assert.equal(failed.progress?.stages?.[3].state, 'failed');
    });

    it('401 is an auth error that names no key', async () => {
      const wrong = 'bm_0000000000000000wrongwrongwrong';
      const e = await failure(provider({ getKey: async () => wrong }).validateKey());
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /Invalid or missing API key/);
      assert.match(e.hint ?? '', /Set API Key/);
      assert.ok(!e.message.includes(wrong) && !(e.hint ?? '').includes(wrong));
    });

    it('a revoked key stops working', async () => {
      const p = provider();
      bm.addBrand({ domain: 'acme.com' });
      assert.equal((await p.listAccounts()).length, 1);
      bm.revokeKey(KEY);
      assert.equal((await failure(p.listAccounts())).kind, 'auth');
    });

    it('no key is noKey, without a request', async () => {
      const before = sim.requestsFor('boringMarketing').length;
      const e = await failure(provider({ getKey: async () => undefined }).listAccounts());
      assert.equal(e.kind, 'noKey');
      assert.equal(sim.requestsFor('boringMarketing').length, before);
    });

    it('validateKey falls back to the brand list when /auth/usage is missing', async () => {
      sim.addFault({ provider: 'boringMarketing', path: '^/auth/usage$', status: 404, body: { detail: 'Not Found' } });
      await provider().validateKey();
      assert.deepEqual(sim.requestsFor('boringMarketing').map(r => `${r.path} ${r.status}`), ['/auth/usage 404', '/brands 200']);
    });

    it('402 credits_exhausted is a payment error with a reset hint', async () => {
      sim.addFault({ provider: 'boringMarketing', status: 402, body: { detail: 'credits_exhausted' } });
      const e = await failure(provider().listAccounts());
      assert.equal(e.kind, 'payment');
      assert.equal(e.code, 'credits_exhausted');
      assert.match(e.message, /daily API call budget/);
      assert.match(e.hint ?? '', /midnight UTC/);
    });

    it('429 with Retry-After is rateLimited with the wait', async () => {
      sim.addFault({ provider: 'boringMarketing', status: 429, headers: { 'retry-after': '7' }, body: { detail: 'Too many requests' } });
      const e = await failure(provider().listAccounts());
      assert.equal(e.kind, 'rateLimited');
      assert.equal(e.retryAfterMs, 7000);
      assert.ok(e.transient);
    });

    it('a 5xx HTML page is a server error with a clear message', async () => {
      sim.addFault({ provider: 'boringMarketing', status: 502, html: true });
      const e = await failure(provider().listAccounts());
      assert.equal(e.kind, 'server');
      assert.equal(e.message, 'Boring Marketing had a server error (HTTP 502, an HTML error page instead of JSON).');
    });

    it('a truncated run body is badResponse', async () => {
      const brand = bm.addBrand({ domain: 'acme.com' });
      const run = bm.addRun(brand.id, { kind: 'full' });
      sim.addFault({ provider: 'boringMarketing', path: '/runs/', status: 200, truncated: true });
      const e = await failure(provider().getRun({ accountId: brand.id, id: run.id }));
      assert.equal(e.kind, 'badResponse');
      assert.match(e.message, /cut off or malformed/);
    });

    it('a run body with wrong types is badResponse, naming each wrong field (the nested one too)', async () => {
      const brand = bm.addBrand({ domain: 'acme.com' });
      sim.addFault({ provider: 'boringMarketing', path: '/runs/', status: 200, body: { id: 'r-1', status: 42, meta: { current_stage: ['x'] } } });
      const e = await failure(provider().getRun({ accountId: brand.id, id: 'r-1' }));
      assert.equal(e.kind, 'badResponse');
      assert.match(e.message, /unexpected shape/);
      assert.match(e.message, /→ at status;/);
      assert.match(e.message, /→ at meta\.current_stage$/);
    });

    it('a run body with added fields and nulls is fine', async () => {
      const brand = bm.addBrand({ domain: 'acme.com' });
      sim.addFault({
        provider: 'boringMarketing',
        path: '/runs/',
        status: 200,
        body: { id: 'r-1', status: 'running', kind: 'full', brand_id: null, error: null, started_at: null, meta: { current_stage: 'leverage_scoring', new_field: 1 }, priority: 'high' },
      });
      const run = await provider().getRun({ accountId: brand.id, id: 'r-1' });
      assert.equal(run.accountId, brand.id);
      assert.equal(run.progress?.index, 5);
      assert.equal(run.raw?.priority, 'high');
      assert.equal(run.raw?.['meta.new_field'], 1);
    });

    it('an unknown status is unknown, not a crash', async () => {
      const brand = bm.addBrand({ domain: 'acme.com' });
      sim.addFault({ provider: 'boringMarketing', path: '/runs/', status: 200, body: { id: 'r-1', status: 'paused', kind: 'scoring', meta: null } });
      const run = await provider().getRun({ accountId: brand.id, id: 'r-1' });
      assert.equal(run.status, 'unknown');
      assert.equal(run.rawStatus, 'paused');
    });

    it('a hanging server is a timeout', async () => {
      sim.addFault({ provider: 'boringMarketing', hang: true });
      const e = await failure(provider({ timeoutMs: 300 }).listAccounts());
      assert.equal(e.kind, 'timeout');
      // The configured timeout fired, not a default one (the mocha timeout guards against a hang).
      assert.match(e.message, /within 300 ms/);
    });

    it('shows the actions[] recovery steps as the hint', async () => {
      sim.addFault({
        provider: 'boringMarketing',
        status: 400,
        body: { detail: 'Brand is not analyzed yet', actions: [{ description: 'Run the full pipeline', method: 'POST', endpoint: '/brands/{id}/analyze' }, 'Then retry'] },
      });
      const e = await failure(provider().listAccounts());
      assert.equal(e.kind, 'validation');
      assert.match(e.message, /Brand is not analyzed yet/);
      assert.equal(e.hint, 'Suggested: Run the full pipeline (POST /brands/{id}/analyze); Then retry');
    });

    it('a key echoed back by the server is scrubbed from message and hint', async () => {
      sim.addFault({ provider: 'boringMarketing', status: 401, body: { detail: `Key ${KEY} is not valid`, actions: [`Replace ${KEY}`] } });
      const e = await failure(provider().listAccounts());
      assert.equal(e.kind, 'auth');
      assert.ok(!e.message.includes(KEY), e.message);
      assert.ok(!(e.hint ?? '').includes(KEY), e.hint);
    });

    it('checks the key prefix without refusing', () => {
      const p = provider();
      assert.deepEqual(p.checkKeyFormat(KEY), {});
      assert.match(p.checkKeyFormat('sk_live_123').warning ?? '', /"bm_"/);
      assert.ok(p.checkKeyFormat('  ').error);
    });
  });

  describe('keys stay secret', () => {
    it('no key in any error or in anything the logger received', async () => {
      // Drive a round of normal traffic too, so that the log is not empty.
      const p = provider();
      const brand = bm.addBrand({ domain: 'acme.com' });
      const { run } = await p.startRun(account(brand), await kind(p, 'full'), {});
      await p.getRun({ accountId: brand.id, id: run.id });
      assert.ok(logLines.length > 0, 'the logger received lines');
      assert.ok(allLogLines.some(l => / → 401/.test(l)) && allLogLines.some(l => /timeout/.test(l)), 'the log holds the failures too');
      for (const line of allLogLines) assert.ok(!line.includes(KEY), `log line leaks the key: ${line}`);
      assert.ok(seenErrors.length > 10, 'earlier tests collected errors');
      for (const e of seenErrors) {
        assert.ok(!e.message.includes(KEY), `error message leaks the key: ${e.message}`);
        assert.ok(!(e.hint ?? '').includes(KEY), `error hint leaks the key: ${e.hint}`);
      }
    });
  });
});
