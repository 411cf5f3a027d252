// What a run row, its tooltip, its context value and its error document say: the text a user reads in the
// tree, formatted without VS Code so it can be checked here.
import * as assert from 'node:assert/strict';
import type { Run } from '../../src/core/run';
import type { TrackedRun } from '../../src/core/store';
import { errorDocument, nextSteps, resultDocument } from '../../src/vscode/documentText';
import { accountContext, providerContext, runContext } from '../../src/vscode/tree/contextValue';
import { costText, freshnessText, progressText, runDescription, runIcon, runTooltipMarkdown, statusBarProgressText } from '../../src/vscode/tree/format';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function tracked(run: Partial<Run>, extra: Partial<TrackedRun> = {}): TrackedRun {
  const full: Run = { provider: 'boringMarketing', accountId: 'brand-1', id: 'run-1', kind: 'full', status: 'running', rawStatus: 'running', ...run };
  return {
    key: `${full.provider}:${full.id}`,
    run: full,
    firstSeenAt: NOW - 60_000,
    lastConfirmedAt: NOW - 12_000,
    lastChangedAt: NOW - 30_000,
    failures: 0,
    stale: false,
    gone: false,
    stuck: false,
    acknowledged: false,
    polls: 3,
    pinned: false,
    ...extra,
  };
}

describe('run formatting', () => {
  it('describes a Boring Marketing full run by stage, position and age', () => {
    const t = tracked({ startedAt: ago(3 * 60_000 + 5_000), progress: { current: 'evidence_collection', index: 4, total: 6 } });
    assert.equal(runDescription(t, NOW), 'evidence_collection · 4/6 · 3m');
    assert.equal(statusBarProgressText(t.run.progress), 'evidence_collection 4/6');
  });

  it('describes a GloriaMundo step with its name and percentage', () => {
    const progress = { current: 'Generate content', index: 2, total: 5, percent: 40 };
    assert.equal(progressText(progress), 'step 2/5 · Generate content · 40%');
    assert.equal(statusBarProgressText(progress), 'step 2/5 · Generate content · 40%');
  });

  it('describes a Talonic pipeline by documents and errors', () => {
    assert.equal(progressText({ documents: { total: 24, completed: 15, errors: 1 } }), '15/24 docs · 1 error');
    assert.equal(progressText({ documents: { total: 24, completed: 20, errors: 2 } }), '20/24 docs · 2 errors');
  });

  it('marks stale, stuck and gone runs in the description and the icon', () => {
    const base = { startedAt: ago(20 * 60_000), progress: { current: 'family_discovery', index: 3, total: 6 } };
    assert.equal(runDescription(tracked(base, { stale: true, failures: 3 }), NOW), 'family_discovery · 3/6 · 20m · stale');
    assert.equal(runDescription(tracked(base, { stuck: true }), NOW), 'family_discovery · 3/6 · 20m · stuck');
    assert.equal(runIcon(tracked(base, { stuck: true })).id, 'warning');
    assert.equal(runIcon(tracked(base, { stale: true })).id, 'warning');
    assert.equal(runIcon(tracked(base, { gone: true })).id, 'warning');
  });

  it('picks the codicon by status, showing unknown statuses as they came', () => {
    const icon = (status: Run['status']) => runIcon(tracked({ status })).id;
    assert.equal(icon('running'), 'loading~spin');
    assert.equal(icon('queued'), 'clock');
    assert.equal(icon('succeeded'), 'pass');
    assert.equal(icon('failed'), 'error');
    assert.equal(icon('cancelled'), 'circle-slash');
    assert.equal(icon('unknown'), 'question');
    assert.match(runDescription(tracked({ status: 'unknown', rawStatus: 'PAUSED' }), NOW), /^status "PAUSED"/);
  });

  it('describes finished runs by where they failed, their cost and how long ago', () => {
    const failed = tracked({ status: 'failed', rawStatus: 'failed', finishedAt: ago(2 * 3600_000), error: { message: 'SERP API quota exhausted', step: 'evidence_collection' } });
    assert.equal(runDescription(failed, NOW), 'failed at evidence_collection · 2h ago');
    const done = tracked({ provider: 'gloriaMundo', status: 'succeeded', rawStatus: 'completed', finishedAt: ago(5 * 60_000), cost: { amount: 0.42, currency: 'USD' } });
    assert.equal(runDescription(done, NOW), '$0.42 · 5m ago');
    assert.equal(costText({ amount: 12 }), '12 credits');
  });

  it('says in the tooltip how fresh the data is and escapes provider text', () => {
    const t = tracked({ raw: { id: 'run-1', meta: { stage_detail: 'analyzing [SERPs](http://evil.example)' } }, progress: { detail: 'analyzing **SERPs**' } });
    const md = runTooltipMarkdown(t, { providerName: 'Boring Marketing', accountLabel: 'acme.com', now: NOW });
    assert.match(md, /updated 12 s ago/);
    assert.match(md, /`meta\.stage_detail`/);
    assert.doesNotMatch(md, /\]\(http:\/\/evil/, 'a provider string became a link');
    assert.doesNotMatch(md, /\*\*SERPs\*\*/, 'a provider string became bold');
    assert.equal(freshnessText({ ...t, stale: true, failures: 4 }, NOW), 'updated 12 s ago; stale after 4 failed refreshes');
  });

  it('keeps keys out of the tooltip even if a provider echoes one', () => {
    const t = tracked({ raw: { echoed: 'X-API-Key: bm_0123456789abcdef' } });
    const md = runTooltipMarkdown(t, { providerName: 'Boring Marketing', accountLabel: 'acme.com', now: NOW });
    assert.doesNotMatch(md, /bm_0123456789abcdef/);
  });

  it('builds context values whose flags the menus match', () => {
    assert.equal(runContext('running', { cancellable: true, rerunnable: true }), 'run.running.cancellable.rerunnable');
    assert.equal(runContext('failed', { hasError: true, rerunnable: true }), 'run.failed.rerunnable.hasError');
    assert.equal(runContext('succeeded', { hasResult: true }), 'run.succeeded.hasResult');
    assert.equal(providerContext({ noKey: true }), 'provider.noKey');
    assert.equal(accountContext({}), 'account');
    assert.match(runContext('running', { cancellable: true, stuck: true }), /^run\b.*\.cancellable\b/);
  });
});

describe('error and result documents', () => {
  it('lists the message, where it failed, the document errors and what to do next', () => {
    const t = tracked({
      provider: 'talonic',
      kind: 'invoices',
      status: 'failed',
      rawStatus: 'completed',
      startedAt: ago(10 * 60_000),
      finishedAt: ago(60_000),
      error: { message: '2 documents failed', step: 'extraction', items: [{ id: 'doc-7', label: 'march.pdf', phase: 'extraction', message: 'unreadable scan' }, { id: 'doc-9', message: 'password protected' }] },
      raw: { request_id: 'req_abc123' },
    });
    const doc = errorDocument(t, { providerName: 'Talonic', accountLabel: 'Invoice spec', now: NOW });
    assert.match(doc, /^# invoices on Invoice spec failed/);
    assert.match(doc, /2 documents failed/);
    assert.match(doc, /\*\*Failed in:\*\* extraction/);
    assert.match(doc, /\| march\.pdf \(doc-7\) \| extraction \| unreadable scan \|/);
    assert.match(doc, /\| doc-9 \| — \| password protected \|/);
    assert.match(doc, /\*\*Request id:\*\* req_abc123$/m);
    assert.match(doc, /## What to do next/);
  });

  it('turns a Retry-After into when to try again', () => {
    const t = tracked({ status: 'failed', finishedAt: ago(10_000), error: { message: 'Rate limited', retryAfterSeconds: 60 } });
    const steps = nextSteps(t, NOW);
    assert.ok(steps.some(s => /wait 1m before trying again: re-run after/.test(s)), steps.join('\n'));
    const later = nextSteps(t, NOW + 120_000);
    assert.ok(later.some(s => /that time has passed/.test(s)), later.join('\n'));
  });

  it('shows the provider hint first when there is one', () => {
    const t = tracked({ status: 'failed', error: { message: 'credits exhausted', hint: 'Upgrade your plan or wait until midnight UTC.' } });
    assert.equal(nextSteps(t, NOW)[0], 'Upgrade your plan or wait until midnight UTC.');
  });

  it('labels Adlyse output from its output schema in Show Result', () => {
    const t = tracked({
      provider: 'adlyse',
      kind: 'Audit',
      status: 'succeeded',
      result: { wasted_spend: 1200, campaigns: ['a', 'b'] },
      raw: { output_schema: { type: 'object', properties: { wasted_spend: { type: 'number', title: 'Wasted spend (USD)' } } } },
    });
    const json = JSON.parse(resultDocument(t, { providerName: 'Adlyse', accountLabel: 'Audit', now: NOW }));
    assert.deepEqual(json.output[0], { label: 'Wasted spend (USD)', key: 'wasted_spend', value: '1200' });
    assert.equal(json.output[1].key, 'campaigns');
    assert.deepEqual(json.rawOutput, { wasted_spend: 1200, campaigns: ['a', 'b'] });
  });
});
