// The adapters' pure mappers, tested directly: a wire answer in, the run (or the error text) a user sees out.
// The adapter tests reach the same code over HTTP through the simulator; these pin each reading of the
// documents without a server, so a mapping regression names the mapper that broke.
import * as assert from 'node:assert/strict';
import { isFullRun, markStopped, toRun } from '../../src/providers/boringMarketing/mapping';
import { describeBoringMarketingError } from '../../src/providers/boringMarketing/errorBodies';
import { normalizeDomain } from '../../src/providers/boringMarketing/kinds';
import { describeTalonicError, progressToRun } from '../../src/providers/talonic';
import { describeGmError } from '../../src/providers/gloriaMundo';
import { describeAmzError } from '../../src/providers/automindz';

type BmWire = Parameters<typeof toRun>[0];
type TalonicWire = Parameters<typeof progressToRun>[0];

describe('Mappers, directly', () => {
  describe('Boring Marketing toRun', () => {
    it('shows a full run in its fourth stage as 4 of 6, the stages before it done, with the stage detail', () => {
      const wire: BmWire = {
        id: 'r1',
        brand_id: 'b1',
        kind: 'full',
        status: 'running',
        started_at: '2026-12-06T10:00:00Z',
        meta: { current_stage: 'evidence_collection', stage_detail: '12 of 40 pages' },
        error: null,
      };
      const run = toRun(wire, 'b1');
      assert.equal(run.status, 'running');
      assert.equal(run.progress?.index, 4);
      assert.equal(run.progress?.total, 6);
      assert.deepEqual(
        run.progress?.stages?.map(s => `${s.label}:${s.state}`),
        ['Brand enrichment:done', 'Competitor discovery:done', 'Family discovery:done', 'Evidence collection:current', 'Leverage scoring:pending', 'Queue building:pending'],
      );
      assert.equal(run.progress?.stages?.[3].detail, '12 of 40 pages');
    });

    it('says which stage a failed run stopped at and why, and how long it took', () => {
      const run = toRun(
        {
          id: 'r2',
          kind: 'full',
          status: 'failed',
          started_at: '2026-12-06T10:00:00Z',
          finished_at: '2026-12-06T10:02:30Z',
          meta: { current_stage: 'leverage_scoring' },
          error: 'Scoring model timed out',
        },
        'b1',
      );
      assert.equal(run.status, 'failed');
      assert.equal(run.accountId, 'b1', 'a run without brand_id is filed under the brand it was asked for');
      assert.match(run.error?.message ?? '', /Scoring model timed out/);
      assert.equal(run.progress?.stages?.find(s => s.state === 'failed')?.id, 'leverage_scoring');
      assert.equal(run.durationSeconds, 150);
    });

    it('reads a failed run whose error says it was cancelled as cancelled, and "done" as succeeded with every stage done', () => {
      assert.equal(toRun({ id: 'r3', kind: 'scoring', status: 'failed', meta: {}, error: 'Run cancelled by user' }, 'b1').status, 'cancelled');
      const done = toRun({ id: 'r4', kind: 'full', status: 'done', meta: {}, error: null }, 'b1');
      assert.equal(done.status, 'succeeded');
      assert.ok(done.progress?.stages?.every(s => s.state === 'done'));
    });

    it('leaves progress and error out of a summary list entry (no meta, no error key), so the store keeps what a poll gave', () => {
      const summary: BmWire = { id: 'r5', kind: 'scoring', status: 'failed' };
      assert.equal(isFullRun(summary), false);
      const run = toRun(summary, 'b1');
      assert.equal(run.status, 'failed');
      assert.equal(run.progress, undefined);
      assert.equal(run.error, undefined);
      assert.equal(isFullRun({ ...summary, meta: null, error: null }), true);
    });

    it('keeps an undocumented status as unknown with the raw word, not a crash', () => {
      const run = toRun({ id: 'r6', kind: 'scoring', status: 'paused', meta: null, error: null }, 'b1');
      assert.equal(run.status, 'unknown');
      assert.equal(run.rawStatus, 'paused');
    });

    it('stops the current stage after a cancel', () => {
      const running = toRun({ id: 'r7', kind: 'full', status: 'running', meta: { current_stage: 'family_discovery', stage_detail: 'x' }, error: null }, 'b1');
      const stopped = markStopped(running.progress);
      assert.ok(!stopped?.stages?.some(s => s.state === 'current'));
      assert.equal(stopped?.detail, undefined);
    });

    it('turns a pasted URL into the bare domain the API wants', () => {
      assert.equal(normalizeDomain('https://www.Acme.com/about?x=1'), 'www.acme.com');
      assert.equal(normalizeDomain('  user@acme.io  '), 'acme.io');
    });
  });

  describe('error bodies', () => {
    it('Boring Marketing: a 402 credits_exhausted says the daily budget is used up and when it resets', () => {
      const detail = describeBoringMarketingError(402, { detail: 'credits_exhausted' });
      assert.match(detail?.message ?? '', /daily API call budget/);
      assert.match(detail?.hint ?? '', /midnight UTC/);
    });

    it('Boring Marketing: a 409 tells the user a run is already going', () => {
      assert.match(describeBoringMarketingError(409, { detail: 'A run is in progress' })?.hint ?? '', /already going/);
    });

    it('GloriaMundo: the two 402s need different actions', () => {
      const spend = describeGmError(402, { error: 'spend_limit_exceeded', period_reset_at: '2026-12-07T00:00:00Z' });
      const credits = describeGmError(402, { error: 'insufficient_credits' });
      assert.match(spend?.hint ?? '', /Spend Controls/);
      assert.match(spend?.message ?? '', /resets at 2026-12-07T00:00:00/);
      assert.match(credits?.hint ?? '', /credits/);
      assert.notEqual(spend?.message, credits?.message);
    });

    it('Automindz: a FastAPI validation list becomes one message naming the fields', () => {
      const detail = describeAmzError(422, { detail: [{ loc: ['body', 'industries'], msg: 'field required', type: 'missing' }, { loc: ['body', 'max_results'], msg: 'must be positive' }] });
      assert.equal(detail?.message, 'the request was rejected (HTTP 422): industries: field required; max_results: must be positive.');
    });

    it('Talonic: a 403 insufficient_scope names the scope the key lacks', () => {
      const detail = describeTalonicError(403, { statusCode: 403, code: 'insufficient_scope', error: 'Forbidden', required_scopes: ['pipelines:write'] });
      assert.match(detail?.message ?? '', /pipelines:write scope/);
      assert.match(detail?.hint ?? '', /pipelines:write/);
    });

    it('an HTML error page or a bare array is no detail at all, never a crash', () => {
      for (const describe of [describeTalonicError, describeAmzError, describeBoringMarketingError]) {
        const detail = describe(502, ['not', 'an', 'object']);
        assert.ok(detail === undefined || typeof detail.message === 'string');
      }
      assert.equal(describeTalonicError(502, '<html><body>Bad gateway</body></html>'), undefined);
    });
  });

  describe('Talonic progressToRun', () => {
    const ref = { accountId: 'spec-1', id: 'pl-1' };
    const phases = (extract: Record<string, number>, assemble: string): TalonicWire['phases'] => [
      { phaseId: 'extract', name: 'Extraction', scope: 'document', status: 'active', ...extract },
      { phaseId: 'assemble', name: 'Assembly', scope: 'pipeline', status: assemble },
    ];

    it('is running while documents are still being extracted, with the done/running/pending counts', () => {
      const run = progressToRun({ status: 'active', totalDocuments: 10, completedDocuments: 4, phases: phases({ completed: 4, running: 2, pending: 4, errors: 0 }, 'pending') }, ref, {});
      assert.equal(run.status, 'running');
      const extract = run.progress?.stages?.find(s => s.id === 'extract');
      assert.equal(extract?.state, 'current');
      assert.equal(extract?.detail, '4 done · 2 running · 4 pending');
    });

    it('succeeds with the failed documents listed when some documents failed and the rest completed', () => {
      const run = progressToRun(
        {
          status: 'completed',
          totalDocuments: 3,
          completedDocuments: 2,
          errorDocuments: 1,
          phases: phases({ completed: 2, running: 0, pending: 0, errors: 1 }, 'completed'),
          errors: [{ documentId: 'invoice-7.pdf', pipelineDocumentId: 'pd-7', phase: 'extract', message: 'Unreadable scan' }],
        },
        ref,
        {},
      );
      assert.equal(run.status, 'succeeded');
      assert.equal(run.error?.code, 'partial');
      assert.equal(run.error?.items?.[0].label, 'invoice-7.pdf');
      assert.equal(run.error?.items?.[0].phase, 'Extraction');
    });

    it('fails, naming the phase, when every document failed', () => {
      const run = progressToRun(
        {
          totalDocuments: 2,
          completedDocuments: 0,
          errorDocuments: 2,
          phases: phases({ completed: 0, running: 0, pending: 0, errors: 2 }, 'failed'),
          errors: [
            { documentId: 'a.pdf', phase: 'extract', message: 'x' },
            { documentId: 'b.pdf', phase: 'extract', message: 'y' },
          ],
        },
        ref,
        {},
      );
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.message, 'All 2 documents failed.');
      assert.equal(run.error?.step, 'Extraction');
    });
  });
});
