// What a run row, its tooltip, its context value and its error document say: the text a user reads in the
// tree, formatted without VS Code so it can be checked here.
import * as assert from 'node:assert/strict';
import type { Run } from '../../src/core/run';
import type { TrackedRun } from '../../src/core/store';
import { errorDocument, nextSteps, resultDocument } from '../../src/vscode/documentText';
import { accountContext, providerContext, runContext } from '../../src/vscode/tree/contextValue';
import { costText, freshnessText, humanizeId, progressText, runDescription, runIcon, runLabel, runTitle, runTooltipMarkdown, shortRunId, statusBarProgressText } from '../../src/vscode/tree/format';
import { stageAccessibilityLabel } from '../../src/vscode/tree/stageText';
import { count, timeAgo } from '../../src/core/intl';

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
    assert.equal(runDescription(t, NOW), 'Evidence collection · 4/6 · 3m');
    assert.equal(statusBarProgressText(t.run.progress), 'Evidence collection 4/6');
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
    assert.equal(runDescription(tracked(base, { stale: true, failures: 3 }), NOW), 'Family discovery · 3/6 · 20m · stale');
    assert.equal(runDescription(tracked(base, { stuck: true }), NOW), 'Family discovery · 3/6 · 20m · stuck');
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
    assert.equal(runDescription(failed, NOW), 'failed at Evidence collection · 2h ago');
    const done = tracked({ provider: 'gloriaMundo', status: 'succeeded', rawStatus: 'completed', finishedAt: ago(5 * 60_000), cost: { amount: 0.42, currency: 'USD' } });
    assert.equal(runDescription(done, NOW), '$0.42 · 5m ago');
    assert.equal(costText({ amount: 12 }), '12 credits');
  });

  it('says in the tooltip how fresh the data is and escapes provider text', () => {
    const t = tracked({ raw: { id: 'run-1', meta: { stage_detail: 'analyzing [SERPs](http://evil.example)' } }, progress: { detail: 'analyzing **SERPs**' } });
    const md = runTooltipMarkdown(t, { providerName: 'Boring Marketing', accountLabel: 'acme.com', now: NOW });
    assert.match(md, /updated 12 seconds ago/);
    assert.match(md, /`meta\.stage_detail`/);
    assert.doesNotMatch(md, /\]\(http:\/\/evil/, 'a provider string became a link');
    assert.doesNotMatch(md, /\*\*SERPs\*\*/, 'a provider string became bold');
    assert.equal(freshnessText({ ...t, stale: true, failures: 4 }, NOW), 'updated 12 seconds ago; stale after 4 failed refreshes');
    assert.equal(freshnessText({ ...t, stale: true, failures: 1, lastConfirmedAt: NOW - 60_000 }, NOW), 'updated 1 minute ago; stale after 1 failed refresh');
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

describe('run and stage labels', () => {
  const analyze = (kind: string) => (kind === 'full' ? 'Analyze' : undefined);

  it('names a run by its kind and the tail of its id, not by its account twice', () => {
    // GloriaMundo and Adlyse runs are named after the workflow they sit under.
    assert.equal(runLabel({ kind: 'Daily digest', id: '0b1e2f44-9a7c-4d3e-8f21-5c6d7e4f9c21' }, 'Daily digest'), 'Run #4f9c21');
    assert.equal(runTitle({ kind: 'Daily digest' }, 'Daily digest'), 'Daily digest');
    // Boring Marketing kinds are ids; the provider's label reads better.
    assert.equal(runLabel({ kind: 'full', id: '019d678b-1111-7abc-9def-0123456789ab' }, 'acme.com', analyze), 'Analyze #6789ab');
    assert.equal(runTitle({ kind: 'full' }, 'acme.com', analyze), 'Analyze on acme.com');
    assert.equal(runLabel({ kind: 'llm_enrichment', id: 'r-77' }, 'acme.com'), 'LLM enrichment #r-77');
    assert.equal(runLabel({ kind: 'Competitor ad scan', id: 'agent_run_00c0ffee12345678' }, 'Competitor ad scan'), 'Run #345678');
  });

  it('tells two runs of one kind apart even where their ids share a prefix (UUIDv7, agent_run_)', () => {
    assert.notEqual(shortRunId('019d678b-0000-7000-8000-00000000a1b2'), shortRunId('019d678b-0000-7000-8000-00000000c3d4'));
    assert.equal(shortRunId('run-1'), 'run-1');
  });

  it('makes stage ids readable and keeps text that already reads as words', () => {
    assert.equal(humanizeId('evidence_collection'), 'Evidence collection');
    assert.equal(humanizeId('llm_enrichment'), 'LLM enrichment');
    assert.equal(humanizeId('Generate content'), 'Generate content');
    assert.equal(humanizeId('step 2/4 · Score leads'), 'step 2/4 · Score leads');
    // The provider's own label for the stage wins over a made-up one.
    assert.equal(progressText({ current: 'queue_building', index: 6, total: 6, stages: [{ id: 'queue_building', label: 'Action queue', state: 'current' }] }), 'Action queue · 6/6');
  });

  it('puts the raw stage and kind ids in the tooltip beside their labels', () => {
    const t = tracked({ progress: { current: 'evidence_collection', index: 4, total: 6 } });
    const md = runTooltipMarkdown(t, { providerName: 'Boring Marketing', accountLabel: 'acme.com', now: NOW, kindLabel: analyze });
    assert.match(md, /^\*\*Analyze on acme\\\.com\*\*/);
    assert.match(md, /\*\*Kind:\*\* Analyze \(`full`\)/);
    assert.match(md, /\*\*Progress:\*\* Evidence collection · 4\/6 \(`evidence_collection`\)/);
  });

  it('says a stage row in words, not only by its icon', () => {
    const done = { id: 'evidence_collection', label: 'Evidence collection', state: 'done' as const };
    assert.equal(stageAccessibilityLabel(done, true), 'Evidence collection, finished');
    assert.equal(stageAccessibilityLabel({ ...done, state: 'current', detail: 'analyzing SERPs' }, true), 'Evidence collection, in progress, analyzing SERPs');
    assert.equal(stageAccessibilityLabel({ ...done, state: 'pending' }, true), 'Evidence collection, not started');
    assert.equal(
      stageAccessibilityLabel({ id: 'extraction', label: 'Extraction', state: 'current', counts: { completed: 15, running: 4, pending: 4, errors: 1 } }, true),
      'Extraction, in progress, 15 done · 4 running · 4 pending · 1 error',
    );
  });
});

describe('Intl formatting', () => {
  it('counts with plural rules and says ages as prose', () => {
    assert.equal(count(1, { one: 'run', other: 'runs' }), '1 run');
    assert.equal(count(2, { one: 'run', other: 'runs' }), '2 runs');
    assert.equal(count(1204, { one: 'document', other: 'documents' }), '1,204 documents');
    assert.equal(timeAgo(12_000), '12 seconds ago');
    assert.equal(timeAgo(60_000), '1 minute ago');
    assert.equal(timeAgo(3 * 3600_000), '3 hours ago');
    assert.equal(timeAgo(3 * 86400_000), '3 days ago');
  });

  it('formats money as the currency does, and credits as a count', () => {
    assert.equal(costText({ amount: 0.42, currency: 'usd' }), '$0.42');
    assert.equal(costText({ amount: 1.2, currency: 'EUR' }), '€1.20');
    assert.equal(costText({ amount: 0.0042, currency: 'USD' }), '$0.0042', 'a fraction of a cent is not rounded away');
    assert.equal(costText({ amount: 3, currency: 'GBP' }), '£3.00');
    assert.equal(costText({ amount: 1, currency: 'credits' }), '1.00 credits', 'not an ISO code: shown as it came');
    assert.equal(costText({ amount: 1 }), '1 credit');
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
    assert.match(doc, /^Invoices on Invoice spec failed\n={31}\n/);
    assert.match(doc, /2 documents failed/);
    assert.match(doc, /^Failed in: Extraction \(extraction\)$/m);
    assert.match(doc, /^march\.pdf \(doc-7\) +extraction +unreadable scan$/m);
    assert.match(doc, /^doc-9 +— +password protected$/m);
    assert.match(doc, /^Request id: req_abc123$/m);
    assert.match(doc, /^What to do next\n-{15}$/m);
  });

  it('reads as clean text: provider strings with brackets, angle brackets and pipes come through unescaped', () => {
    const t = tracked({
      provider: 'adlyse',
      kind: 'Invoice audit',
      status: 'failed',
      error: { message: 'Field <total_amount> is missing in row [2] | column 3 (see **docs**)', step: 'extract_fields' },
    });
    const doc = errorDocument(t, { providerName: 'Adlyse', accountLabel: 'Invoice audit', now: NOW });
    assert.ok(doc.includes('Field <total_amount> is missing in row [2] | column 3 (see **docs**)'), doc);
    assert.doesNotMatch(doc, /\\[[\]<>|*#`]/, 'a Markdown escape shows in the text');
    assert.match(doc, /^Invoice audit failed$/m, 'the workflow is named once, not "Invoice audit on Invoice audit"');
    assert.match(doc, /^Failed in: Extract fields \(extract_fields\)$/m);
  });

  it('says "as of" when the text was written, with the provider confirmation as a clock time', () => {
    const t = tracked({ status: 'failed', error: { message: 'boom' } });
    const doc = errorDocument(t, { providerName: 'Boring Marketing', accountLabel: 'acme.com', now: NOW });
    const clock = (ms: number) => new Date(ms).toLocaleTimeString('en');
    assert.ok(doc.includes(`Freshness: as of ${clock(NOW)}, last confirmed by the provider at ${clock(NOW - 12_000)}`), doc);
    assert.doesNotMatch(doc, /seconds ago/, 'an age in a document that does not update goes stale');
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
