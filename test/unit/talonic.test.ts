// The Talonic adapter against the simulated Talonic over real loopback HTTP.
import * as assert from 'node:assert/strict';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import { TALONIC_RAILS, assemblyPhase, documentPhase, type SimSpec, type TalonicPhaseDef, type TalonicSim } from '../simulator/talonic';
import { TalonicProvider } from '../../src/providers/talonic';
import { redact } from '../../src/core/errors';
import type { Logger } from '../../src/core/http';
import type { Account, Provider } from '../../src/providers/provider';
import type { Run, RunStage } from '../../src/core/run';
import { recordingLogger, rejection } from './support';

const PIPELINE_KIND = { id: 'pipeline', label: 'Run pipeline', inputs: [] };

/** The example response from Talonic's progress page (seeds/003), verbatim. */
const SEED_PROGRESS = {
  pipelineId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  status: 'active',
  totalDocuments: 24,
  completedDocuments: 15,
  errorDocuments: 1,
  phases: [
    { phaseId: 'transfer', name: 'Transfer', type: 'transfer', completed: 24, running: 0, pending: 0, errors: 0 },
    { phaseId: 'extraction', name: 'Extraction', type: 'extraction', completed: 23, running: 6, pending: 0, errors: 1 },
    { phaseId: 'resolution', name: 'Resolution', type: 'resolution', completed: 16, running: 7, pending: 1, errors: 0 },
    { phaseId: 'validation', name: 'Validation', type: 'validation', completed: 15, running: 2, pending: 7, errors: 0 },
    { phaseId: 'assembly', name: 'Assembly', type: 'assembly', scope: 'pipeline', status: null, completed: 0, running: 0, pending: 24, errors: 0 },
  ],
  errors: [{ pipelineDocumentId: 'pd_uuid_9', documentId: 'doc_uuid_9', phase: 'extraction', message: 'Extraction failed after 3 attempts.' }],
};

/** Every phase takes exactly 10 s and all documents move together unless a test staggers them. */
const TEN_SECOND_RAIL = (): TalonicPhaseDef[] => [
  documentPhase('transfer', 'Transfer', 'transfer', 10_000),
  documentPhase('extraction', 'Extraction', 'extraction', 10_000),
  documentPhase('resolution', 'Resolution', 'resolution', 10_000),
  documentPhase('validation', 'Validation', 'validation', 10_000),
  assemblyPhase(10_000),
];



function stage(run: Run, id: string): RunStage {
  const s = run.progress?.stages?.find(x => x.id === id);
  assert.ok(s, `no stage ${id} in ${run.progress?.stages?.map(x => x.id).join(', ')}`);
  return s;
}

function stateOf(run: Run): Record<string, string> {
  return Object.fromEntries((run.progress?.stages ?? []).map(s => [s.id, s.state]));
}

describe('Talonic adapter', () => {
  let sim: Simulator;
  let tl: TalonicSim;

  before(async () => {
    sim = await createSimulator().start();
    tl = sim.provider<TalonicSim>('talonic');
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    tl.options.plan = { staggerMs: 0, jitter: false, failures: [] };
  });

  function talonic(key = SIM_KEYS.talonic, log?: Logger): TalonicProvider {
    return new TalonicProvider({ baseUrl: sim.baseUrl('talonic'), getKey: async () => key, log: log ?? recordingLogger() });
  }

  async function accountFor(spec: SimSpec, provider = talonic()): Promise<Account> {
    const account = (await provider.listAccounts()).find(a => a.label === spec.name);
    assert.ok(account, `spec ${spec.name} not listed`);
    return account;
  }

  describe('keys', () => {
    it('warns about a key without the tlnc_ prefix and refuses an empty one', () => {
      const p = talonic();
      assert.deepEqual(p.checkKeyFormat('tlnc_live_abc123'), {});
      assert.match(p.checkKeyFormat('sk_live_abc123').warning ?? '', /tlnc_/);
      assert.ok(p.checkKeyFormat('   ').error);
    });

    it('validates a working key and rejects a wrong one without echoing it', async () => {
      await talonic().validateKey();
      const wrongKey = 'tlnc_live_wrong0000000000';
      const err = await rejection(talonic(wrongKey).validateKey());
      assert.equal(err.kind, 'auth');
      assert.equal(err.stopsProvider, true);
      assert.ok(!err.message.includes(wrongKey));
      assert.match(err.requestId ?? '', /^req_/);
    });

    it('says which scope a key without read lacks when validating', async () => {
      tl.addKey('tlnc_live_extractonly0001', ['extract']);
      const err = await rejection(talonic('tlnc_live_extractonly0001').validateKey());
      assert.equal(err.kind, 'forbidden');
      assert.match(err.message, /lacks the read scope/);
      assert.equal(err.hint, 'Create a key with the read scope in Talonic settings.');
    });
  });

  describe('specs as accounts', () => {
    for (const shape of ['data', 'array'] as const) {
      it(`lists specs by schema_id when the listing is ${shape === 'data' ? '{data: [...]}' : 'a bare array'}`, async () => {
        tl.options.specsShape = shape;
        const invoices = tl.addSpec({ name: 'Invoices', description: 'AP ledger' });
        const contracts = tl.addSpec({ name: 'Contracts' });
        const accounts = await talonic().listAccounts();
        assert.deepEqual(
          accounts.map(a => [a.id, a.label]),
          [
            [invoices.schemaId, 'Invoices'],
            [contracts.schemaId, 'Contracts'],
          ],
        );
        assert.equal(accounts[0].description, 'AP ledger');
        assert.equal(accounts[0].raw?.spec_id, invoices.id);
        assert.equal(accounts[0].raw?.schema_id, invoices.schemaId);
      });
    }

    it('falls back to the spec id when a spec has no schema_id', async () => {
      const spec = tl.addSpec({ name: 'Legacy', withoutSchemaId: true });
      const [account] = await talonic().listAccounts();
      assert.equal(account.id, spec.id);
      assert.equal(account.label, 'Legacy');
    });
  });

  describe('listing pipelines', () => {
    let specA: SimSpec;
    let specB: SimSpec;
    let aIds: string[];

    beforeEach(() => {
      specA = tl.addSpec({ name: 'Invoices' });
      specB = tl.addSpec({ name: 'Contracts' });
      aIds = [];
      // Interleaved in time, one a minute: A, B, A, A, B, … (30 on A, 6 on B).
      for (let i = 0; i < 36; i++) {
        const onB = i % 6 === 1;
        const p = tl.addPipeline(onB ? specB : specA, { documents: 2, name: `run ${i}`, agoMs: (36 - i) * 60_000 });
        if (!onB) aIds.push(p.id);
      }
    });

    it('pages a spec’s pipelines newest first, 25 at a time, with a cursor', async () => {
      const p = talonic();
      const account = await accountFor(specA, p);
      const first = await p.listRuns(account);
      assert.equal(first.runs.length, 25);
      assert.equal(first.total, 30);
      assert.ok(first.nextCursor);
      const second = await p.listRuns(account, first.nextCursor);
      assert.equal(second.runs.length, 5);
      assert.equal(second.nextCursor, undefined);

      const all = [...first.runs, ...second.runs];
      assert.deepEqual(all.map(r => r.id), [...aIds].reverse());
      const started = all.map(r => Date.parse(r.startedAt!));
      assert.deepEqual(started, [...started].sort((x, y) => y - x));
      assert.ok(all.every(r => r.accountId === specA.schemaId && r.status === 'running' && r.rawStatus === 'active'));
      assert.equal(all[0].kind, 'run 35');
    });

    it('keeps only the spec’s pipelines when the server ignores schema_id', async () => {
      tl.options.honourSchemaFilter = false;
      const p = talonic();
      const account = await accountFor(specA, p);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await p.listRuns(account, cursor);
        assert.equal(page.total, undefined, 'a total from an unfiltered listing would be wrong');
        seen.push(...page.runs.map(r => r.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 2);
      assert.deepEqual(seen, [...aIds].reverse());
    });

    it('shows listed finished pipelines as finished when the server settles their status', async () => {
      sim.reset();
      tl.options.statusMode = 'settles';
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      tl.addPipeline(spec, { documents: 2, agoMs: 3600_000 });
      const p = talonic();
      const { runs } = await p.listRuns(await accountFor(spec, p));
      assert.equal(runs[0].status, 'succeeded');
      assert.equal(runs[0].rawStatus, 'completed');
    });
  });

  describe('a pipeline run', () => {
    it('starts with 201, then follows the phases as the clock advances', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      const p = talonic();
      const account = await accountFor(spec, p);
      const [kind] = await p.listKinds(account);
      assert.deepEqual(kind.inputs.map(i => [i.name, i.type, i.required]), [
        ['document_ids', 'string[]', true],
        ['name', 'string', false],
      ]);

      const started = await p.startRun(account, kind, { document_ids: ['doc_1', 'doc_2', 'doc_3'], name: 'March invoices' });
      assert.deepEqual(sim.requestsFor('talonic', /^\/v1\/pipelines$/).map(r => [r.method, r.status]), [['POST', 201]]);
      const run = started.run;
      assert.equal(run.status, 'queued');
      assert.equal(run.kind, 'March invoices');
      assert.equal(run.accountId, spec.schemaId);
      assert.deepEqual(tl.pipelines.find(pl => pl.id === run.id)?.documents.map(d => d.documentId), ['doc_1', 'doc_2', 'doc_3']);
      assert.deepEqual(run.progress?.documents, { total: 3, completed: 0, errors: 0 });
      assert.match(p.dashboardUrl(run) ?? '', /^https:\/\/app\.talonic\.com\/pipelines\//);

      const ref = { accountId: run.accountId, id: run.id, kind: run.kind };
      sim.clock.advance(15_000);
      let now = await p.getRun(ref);
      assert.equal(now.status, 'running');
      assert.deepEqual(stateOf(now), { transfer: 'done', extraction: 'current', resolution: 'pending', validation: 'pending', assembly: 'pending' });
      assert.deepEqual(stage(now, 'extraction').counts, { completed: 0, running: 3, pending: 0, errors: 0 });
      assert.equal(now.progress?.current, 'Extraction');
      assert.equal(now.progress?.detail, '0/3 docs');
      assert.equal(now.kind, 'March invoices');

      sim.clock.advance(20_000); // 35 s: validation
      now = await p.getRun(ref);
      assert.equal(stage(now, 'validation').state, 'current');
      assert.equal(now.status, 'running');

      sim.clock.advance(20_000); // 55 s: documents done at 40 s, assembly at 50 s
      now = await p.getRun(ref);
      assert.equal(now.status, 'succeeded');
      assert.equal(now.progress?.detail, '3/3 docs');
      assert.equal(now.progress?.percent, 100);
      assert.equal(now.error, undefined);

      // One request per poll: the name came from the start, so the pipeline itself is never fetched.
      assert.equal(sim.requestsFor('talonic', /\/progress$/).length, 3);
      assert.equal(sim.requestsFor('talonic', /^\/v1\/pipelines\/[^/]+$/).length, 0);
    });

    it('fetches name and creation time once for a pipeline it did not start or list', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      const pipeline = tl.addPipeline(spec, { documents: 2, name: 'Tracked by id', agoMs: 5_000 });
      const p = talonic();
      const ref = { accountId: spec.schemaId!, id: pipeline.id };
      const first = await p.getRun(ref);
      await p.getRun(ref);
      await p.getRun(ref);
      assert.equal(first.kind, 'Tracked by id');
      assert.equal(first.startedAt, new Date(pipeline.createdAt).toISOString());
      assert.equal(sim.requestsFor('talonic', /^\/v1\/pipelines\/[^/]+$/).length, 1);
      assert.equal(sim.requestsFor('talonic', /\/progress$/).length, 3);
    });

    it('keeps the progress when the one-time details fetch fails, and tries it again later', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      const pipeline = tl.addPipeline(spec, { documents: 2, name: 'Tracked by id', agoMs: 15_000 });
      sim.addFault({ provider: 'talonic', path: '^/v1/pipelines/[^/]+$', status: 503, body: { statusCode: 503, code: 'unavailable', message: 'Try again' } });
      const p = talonic();
      const ref = { accountId: spec.schemaId!, id: pipeline.id, kind: 'Name from the store' };
      const first = await p.getRun(ref);
      assert.equal(first.status, 'running');
      assert.equal(first.kind, 'Name from the store');
      const second = await p.getRun(ref);
      assert.equal(second.kind, 'Tracked by id');
      assert.equal(sim.requestsFor('talonic', /^\/v1\/pipelines\/[^/]+$/).length, 2);
    });

    it('shows the phases the response lists: no transfer row without transfer, both resolution phases', async () => {
      const p = talonic();
      const noTransfer = tl.addSpec({ name: 'NoTransfer', rail: TALONIC_RAILS.noTransfer() });
      const twoPolicies = tl.addSpec({ name: 'TwoPolicies', rail: TALONIC_RAILS.twoResolutions() });
      const a = tl.addPipeline(noTransfer, { documents: 2 });
      const b = tl.addPipeline(twoPolicies, { documents: 2 });
      sim.clock.advance(5_000); // both rails: 4 s of extraction, then resolution

      const runA = await p.getRun({ accountId: noTransfer.schemaId!, id: a.id });
      assert.deepEqual(runA.progress?.stages?.map(s => s.id), ['extraction', 'resolution', 'validation', 'assembly']);

      const runB = await p.getRun({ accountId: twoPolicies.schemaId!, id: b.id });
      assert.deepEqual(
        runB.progress?.stages?.map(s => [s.label, s.state, s.scope]),
        [
          ['Extraction', 'done', 'document'],
          ['Resolution: Vendors', 'current', 'document'],
          ['Resolution: Currency', 'pending', 'document'],
          ['Validation: Totals', 'pending', 'document'],
          ['Validation: Dates', 'pending', 'document'],
          ['Assembly', 'pending', 'pipeline'],
        ],
      );
    });

    it('trusts assembly’s own status, not its counters, and is not terminal while it runs', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      const pipeline = tl.addPipeline(spec, { documents: 4 });
      const p = talonic();
      const ref = { accountId: spec.schemaId!, id: pipeline.id };

      sim.clock.advance(25_000);
      let run = await p.getRun(ref);
      assert.equal(stage(run, 'assembly').state, 'pending');
      assert.equal(stage(run, 'assembly').rawStatus, null);

      sim.clock.advance(20_000); // 45 s: every document done at 40 s, assembly runs until 50 s
      run = await p.getRun(ref);
      assert.equal(run.progress?.documents?.completed, 4);
      const assembly = stage(run, 'assembly');
      assert.equal(assembly.rawStatus, 'running');
      // The approximate counters already read "all completed, nothing pending" while assembly runs.
      assert.deepEqual(assembly.counts, { completed: 4, running: 0, pending: 0, errors: 0 });
      assert.equal(assembly.state, 'current');
      assert.equal(run.status, 'running');
      assert.equal(run.progress?.current, 'Assembly');
      assert.ok((run.progress?.percent ?? 0) < 100);

      sim.clock.advance(10_000);
      run = await p.getRun(ref);
      assert.equal(stage(run, 'assembly').state, 'done');
      assert.equal(run.status, 'succeeded');
    });

    for (const statusMode of ['alwaysActive', 'settles'] as const) {
      it(`decides terminal from the counters whatever status says (${statusMode})`, async () => {
        tl.options.statusMode = statusMode;
        const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
        const ok = tl.addPipeline(spec, { documents: 3 });
        const allFail = tl.addPipeline(spec, {
          documents: 2,
          plan: { failures: [{ index: 0, phase: 'extraction' }, { index: 1, phase: null, message: 'Unreadable PDF.' }] },
        });
        sim.clock.advance(60_000);
        const p = talonic();
        const done = await p.getRun({ accountId: spec.schemaId!, id: ok.id });
        assert.equal(done.status, 'succeeded');
        assert.equal(done.rawStatus, statusMode === 'settles' ? 'completed' : 'active');

        const failed = await p.getRun({ accountId: spec.schemaId!, id: allFail.id });
        assert.equal(failed.status, 'failed');
        assert.equal(failed.rawStatus, statusMode === 'settles' ? 'failed' : 'active');
        assert.equal(failed.error?.message, 'All 2 documents failed.');
        assert.equal(failed.error?.items?.length, 2);
      });
    }

    it('lists documents that failed before any phase and marks a partly failed run succeeded', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      const pipeline = tl.addPipeline(spec, {
        documents: 4,
        plan: {
          failures: [
            { index: 1, phase: null, message: 'Unsupported file type.' },
            { index: 2, phase: 'extraction', message: 'Extraction failed after 3 attempts.' },
          ],
        },
      });
      const p = talonic();
      const ref = { accountId: spec.schemaId!, id: pipeline.id };

      sim.clock.advance(5_000);
      let run = await p.getRun(ref);
      assert.equal(run.status, 'running');
      assert.deepEqual(run.error?.items?.map(i => [i.label ?? i.id, i.phase, i.message]), [[pipeline.documents[1].documentId, 'before any phase', 'Unsupported file type.']]);
      assert.equal(run.progress?.detail, '0/4 docs · 1 error');

      sim.clock.advance(60_000);
      run = await p.getRun(ref);
      assert.equal(run.status, 'succeeded');
      assert.equal(run.progress?.detail, '2/4 docs · 2 errors');
      assert.equal(run.error?.code, 'partial');
      assert.deepEqual(run.error?.items?.map(i => [i.phase, i.message]).sort(), [
        ['Extraction', 'Extraction failed after 3 attempts.'],
        ['before any phase', 'Unsupported file type.'],
      ]);
      // The documents that failed earlier never reach the later phases, which still finish.
      assert.deepEqual(stateOf(run), { transfer: 'done', extraction: 'done', resolution: 'done', validation: 'done', assembly: 'done' });
    });

    it('reads the documented progress example exactly', async () => {
      tl.addSpec({ name: 'Invoices' });
      sim.addFault({ provider: 'talonic', path: '/progress$', status: 200, body: SEED_PROGRESS });
      sim.addFault({ provider: 'talonic', path: '^/v1/pipelines/[^/]+$', status: 200, body: { id: SEED_PROGRESS.pipelineId, name: 'Seed', created_at: '2026-04-25T14:30:00.000Z' } });
      const run = await talonic().getRun({ accountId: 'schema-1', id: SEED_PROGRESS.pipelineId });
      assert.equal(run.status, 'running');
      assert.equal(run.rawStatus, 'active');
      assert.deepEqual(stateOf(run), { transfer: 'done', extraction: 'current', resolution: 'current', validation: 'current', assembly: 'pending' });
      assert.deepEqual(stage(run, 'resolution').counts, { completed: 16, running: 7, pending: 1, errors: 0 });
      assert.equal(stage(run, 'assembly').scope, 'pipeline');
      assert.equal(run.progress?.detail, '15/24 docs · 1 error');
      assert.deepEqual(run.progress?.documents, { total: 24, completed: 15, errors: 1 });
      assert.deepEqual(run.error?.items, [{ id: 'pd_uuid_9', label: 'doc_uuid_9', phase: 'Extraction', message: 'Extraction failed after 3 attempts.' }]);
      assert.equal(run.startedAt, '2026-04-25T14:30:00.000Z');
    });

    const explicit: [string, Run['status']][] = [
      ['completed', 'succeeded'],
      ['failed', 'failed'],
      ['error', 'failed'],
      ['cancelled', 'cancelled'],
      ['bogus_state', 'unknown'],
    ];
    for (const [raw, expected] of explicit) {
      it(`honours an explicit pipeline status "${raw}"`, async () => {
        const body = { ...SEED_PROGRESS, status: raw };
        sim.addFault({ provider: 'talonic', path: '/progress$', status: 200, body });
        sim.addFault({ provider: 'talonic', path: '^/v1/pipelines/[^/]+$', status: 200, body: { id: 'x' } });
        const run = await talonic().getRun({ accountId: 'schema-1', id: SEED_PROGRESS.pipelineId });
        assert.equal(run.status, expected);
        assert.equal(run.rawStatus, raw);
      });
    }

    it('reports queued while an active pipeline has not started any document', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      tl.options.plan = { queuedMs: 30_000, staggerMs: 0, jitter: false, failures: [] };
      const p = talonic();
      const { run } = await p.startRun(await accountFor(spec, p), PIPELINE_KIND, { document_ids: 'doc_a, doc_b' });
      assert.deepEqual(tl.pipelines.find(p => p.id === run.id)?.documents.map(d => d.documentId), ['doc_a', 'doc_b'], 'the comma-separated ids became the pipeline\'s documents');
      sim.clock.advance(10_000);
      let now = await p.getRun({ accountId: run.accountId, id: run.id });
      assert.equal(now.status, 'queued');
      assert.equal(now.rawStatus, 'active');
      assert.ok(now.progress?.stages?.every(s => s.state === 'pending'));
      sim.clock.advance(30_000);
      now = await p.getRun({ accountId: run.accountId, id: run.id });
      assert.equal(now.status, 'running');
    });

    it('refuses 0 or more than 500 document ids before calling Talonic', async () => {
      const spec = tl.addSpec({ name: 'Invoices' });
      const p = talonic();
      const account = await accountFor(spec, p);
      sim.requests.length = 0;
      for (const ids of [[], Array.from({ length: 501 }, (_, i) => `doc_${i}`)]) {
        const err = await rejection(p.startRun(account, PIPELINE_KIND, { document_ids: ids }));
        assert.equal(err.kind, 'validation');
        assert.match(err.message, /1–500 document ids/);
      }
      assert.equal(sim.requestsFor('talonic').length, 0);
    });

    it('passes on 400 bad_request for a spec without a composed rail', async () => {
      const spec = tl.addSpec({ name: 'Draft', rail: null });
      const p = talonic();
      const err = await rejection(p.startRun(await accountFor(spec, p), PIPELINE_KIND, { document_ids: ['doc_1'] }));
      assert.equal(err.kind, 'validation');
      assert.equal(err.code, 'bad_request');
      assert.match(err.message, /no composed rail/);
    });

    it('says Talonic cannot cancel', () => {
      const p = talonic();
      assert.equal(p.capabilities.cancel, false);
      assert.equal(p.capabilities.cancelUnavailableReason, 'Talonic documents no way to cancel a pipeline run.');
      assert.equal((p as Provider).cancelRun, undefined);
      assert.equal(p.cadenceMs(), 5_000);
    });
  });

  describe('errors', () => {
    it('names the missing scope on 403 insufficient_scope with the request id', async () => {
      tl.addKey('tlnc_live_readonly00000001', ['read']);
      const spec = tl.addSpec({ name: 'Invoices' });
      const p = talonic('tlnc_live_readonly00000001');
      const err = await rejection(p.startRun(await accountFor(spec, p), PIPELINE_KIND, { document_ids: ['doc_1'] }));
      assert.equal(err.kind, 'forbidden');
      assert.equal(err.code, 'insufficient_scope');
      assert.match(err.requestId ?? '', /^req_[0-9a-f]+$/);
      assert.equal(err.message, `Talonic: this API key lacks the write scope (request ${err.requestId})`);
      assert.equal(err.hint, 'Create a key with the write scope in Talonic settings.');
    });

    for (const shape of ['envelope', 'flat', 'nested'] as const) {
      it(`reads the ${shape} error shape: message, code and request id`, async () => {
        tl.options.errorShape = shape;
        const spec = tl.addSpec({ name: 'Invoices' });
        const notFound = await rejection(talonic().getRun({ accountId: spec.schemaId!, id: 'no-such-pipeline' }));
        assert.equal(notFound.kind, 'notFound');
        assert.equal(notFound.code, 'not_found');
        assert.match(notFound.requestId ?? '', /^req_/);
        assert.equal(notFound.message, `Talonic: Pipeline not found (request ${notFound.requestId})`);

        tl.addKey('tlnc_live_readonly00000002', ['read']);
        const p = talonic('tlnc_live_readonly00000002');
        const forbidden = await rejection(p.startRun(await accountFor(spec, p), PIPELINE_KIND, { document_ids: ['doc_1'] }));
        assert.equal(forbidden.kind, 'forbidden');
        assert.match(forbidden.message, /lacks the write scope \(request req_/);

        const wrongKey = 'tlnc_live_notakey0000000000';
        const auth = await rejection(talonic(wrongKey).listAccounts());
        assert.equal(auth.kind, 'auth');
        assert.equal(auth.code, 'unauthorized');
        assert.match(auth.message, /Invalid or revoked API key\. \(request req_/);
        assert.ok(!auth.message.includes(wrongKey));
      });
    }

    it('stops at the daily budget with 429, Retry-After until midnight UTC and rate-limit headers', async () => {
      tl.options.dailyBudget = 2;
      tl.addSpec({ name: 'Invoices' });
      const p = talonic();
      await p.listAccounts();
      const direct = await fetch(`${sim.baseUrl('talonic')}/v1/specs`, { headers: { authorization: `Bearer ${SIM_KEYS.talonic}` } });
      assert.equal(direct.status, 200);
      assert.equal(direct.headers.get('x-ratelimit-limit'), '2');
      assert.equal(direct.headers.get('x-ratelimit-remaining'), '0');
      assert.match(direct.headers.get('x-request-id') ?? '', /^req_/);
      const resetSeconds = Number(direct.headers.get('x-ratelimit-reset'));
      assert.equal(resetSeconds % 86_400, 0, 'resets at midnight UTC');

      const err = await rejection(p.listAccounts());
      assert.equal(err.kind, 'rateLimited');
      assert.equal(err.code, 'RATE_LIMIT_EXCEEDED');
      assert.ok(err.transient);
      const expectedMs = resetSeconds * 1000 - sim.clock.now();
      assert.ok(Math.abs((err.retryAfterMs ?? -1) - expectedMs) < 2_000, `retry after ${err.retryAfterMs} ms, expected ~${expectedMs}`);
      assert.match(err.hint ?? '', /per UTC day/);
    });

    it('honours a short Retry-After on 429', async () => {
      sim.addFault({ provider: 'talonic', path: '^/v1/specs$', status: 429, headers: { 'retry-after': '7' }, body: { status: 429, code: 'rate_limited', message: 'Slow down' } });
      const err = await rejection(talonic().listAccounts());
      assert.equal(err.kind, 'rateLimited');
      assert.equal(err.retryAfterMs, 7_000);
      assert.equal(err.message, 'Talonic: Slow down');
    });

    describe('unreadable bodies', () => {
      const cases: [string, Parameters<Simulator['addFault']>[0]][] = [
        ['an HTML page', { html: true, status: 200 }],
        ['truncated JSON', { truncated: true, status: 200, body: SEED_PROGRESS }],
        ['a count as a string', { status: 200, body: { ...SEED_PROGRESS, totalDocuments: '24' } }],
        ['phases that are not a list', { status: 200, body: { ...SEED_PROGRESS, phases: { transfer: {} } } }],
        ['a phase counter as a string', { status: 200, body: { ...SEED_PROGRESS, phases: [{ phaseId: 'transfer', completed: 'all' }] } }],
      ];
      for (const [what, fault] of cases) {
        it(`turns ${what} into badResponse`, async () => {
          sim.addFault({ provider: 'talonic', path: '/progress$', ...fault });
          const err = await rejection(talonic().getRun({ accountId: 'schema-1', id: SEED_PROGRESS.pipelineId }));
          assert.equal(err.kind, 'badResponse');
        });
      }

      it('turns a specs listing of the wrong type into badResponse', async () => {
        sim.addFault({ provider: 'talonic', path: '^/v1/specs$', status: 200, body: { data: 'Invoices' } });
        assert.equal((await rejection(talonic().listAccounts())).kind, 'badResponse');
        sim.addFault({ provider: 'talonic', path: '^/v1/pipelines$', status: 200, body: { data: [{ id: 7 }] } });
        const account: Account = { provider: 'talonic', id: 'schema-1', label: 'x' };
        assert.equal((await rejection(talonic().listRuns(account))).kind, 'badResponse');
      });

      it('tolerates added fields and nulls', async () => {
        const body = {
          ...SEED_PROGRESS,
          newField: { nested: true },
          errorDocuments: null,
          errors: null,
          finalizationPending: null,
          phases: SEED_PROGRESS.phases.map(ph => ({ ...ph, weight: 3, pending: null })),
        };
        sim.addFault({ provider: 'talonic', path: '/progress$', status: 200, body });
        sim.addFault({ provider: 'talonic', path: '^/v1/pipelines/[^/]+$', status: 200, body: { id: 'x', name: null, created_at: null } });
        const run = await talonic().getRun({ accountId: 'schema-1', id: SEED_PROGRESS.pipelineId });
        assert.equal(run.status, 'running');
        assert.equal(run.progress?.stages?.length, 5);
        assert.equal(run.kind, 'pipeline');
      });
    });
  });

  describe('data products', () => {
    it('creates one from a finished pipeline, keeps the share token out of logs, and reactivates it', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      const log = recordingLogger();
      const p = talonic(SIM_KEYS.talonic, log);
      const { run } = await p.startRun(await accountFor(spec, p), PIPELINE_KIND, { document_ids: ['doc_1', 'doc_2'] });
      sim.clock.advance(60_000);
      assert.equal((await p.getRun({ accountId: run.accountId, id: run.id })).status, 'succeeded');

      const created = await p.createDataProduct({ accountId: run.accountId, id: run.id }, 'Invoice ledger');
      assert.equal(created.product.name, 'Invoice ledger');
      assert.equal(created.product.pipeline_id, run.id);
      assert.equal(created.product.status, 'active');
      const token = created.shareToken!;
      assert.match(token, /^shr_/);
      assert.equal(token, tl.pipelines[0].dataProduct?.token);
      assert.ok(!JSON.stringify(created.product).includes(token));
      assert.ok(!redact(`share link token ${token} ready`).includes(token));

      const again = await p.createDataProduct({ accountId: run.accountId, id: run.id });
      assert.equal(again.product.id, created.product.id);

      assert.ok(log.lines.length >= 5, 'the client logged its requests');
      for (const line of log.lines) {
        assert.ok(!line.includes(token), `token leaked: ${line}`);
        assert.ok(!line.includes(SIM_KEYS.talonic), `key leaked: ${line}`);
      }
    });

    it('keeps a share token of any shape out of anything redacted', async () => {
      const token = 'opaque-share-9f8e7d6c5b4a3210';
      sim.addFault({
        provider: 'talonic',
        path: '/data-product$',
        status: 201,
        body: { dataProduct: { id: 'dp_1', name: 'Ledger', pipeline_id: 'p1', status: 'active' }, shareToken: { data_product_id: 'dp_1', token } },
      });
      const created = await talonic().createDataProduct({ accountId: 'schema-1', id: 'p1' });
      assert.equal(created.shareToken, token);
      assert.equal(redact(`shared with ${token}`), 'shared with ***');
    });

    it('explains the 400 when no document has completed yet', async () => {
      const spec = tl.addSpec({ name: 'Invoices', rail: TEN_SECOND_RAIL() });
      const p = talonic();
      const { run } = await p.startRun(await accountFor(spec, p), PIPELINE_KIND, { document_ids: ['doc_1'] });
      const err = await rejection(p.createDataProduct({ accountId: run.accountId, id: run.id }));
      assert.equal(err.kind, 'validation');
      assert.equal(err.status, 400);
      assert.match(err.message, /needs at least one completed document/);
      assert.match(err.requestId ?? '', /^req_/);
      assert.equal(tl.pipelines[0].dataProduct, undefined);
    });
  });
});
