// What a run task's terminal and the chat tools say, and how a task definition or tool input is read: the
// wording, the exit-code rules and the refusals, without VS Code. The end-to-end behaviour (a real task, real
// tools) is in test/integration/tasks.test.ts and lmTools.test.ts.
import * as assert from 'node:assert/strict';
import { forgetSecret, registerSecret } from '../../src/core/errors';
import type { Run } from '../../src/core/run';
import type { TrackedRun } from '../../src/core/store';
import type { PipelineKind } from '../../src/providers/provider';
import { listOrder, matchesStatus, resultSummary, runDetailText, runListLine, type RunTextContext } from '../../src/vscode/lmToolText';
import { parseTaskSpec, resolveInputs, RunSpecError } from '../../src/vscode/runSpec';
import { taskErrorLines, taskOutcome, taskStateLine } from '../../src/vscode/taskText';
import { progressText } from '../../src/vscode/tree/format';

const NOW = Date.parse('2026-11-22T12:00:00Z');

function tracked(run: Partial<Run>, extra: Partial<TrackedRun> = {}): TrackedRun {
  const full: Run = { provider: 'talonic', accountId: 'spec-1', id: 'pl_1', kind: 'pipeline', status: 'running', rawStatus: 'running', ...run };
  return {
    key: `${full.provider}:${full.id}`,
    run: full,
    firstSeenAt: NOW - 60_000,
    lastConfirmedAt: NOW - 5_000,
    lastChangedAt: NOW - 30_000,
    failures: 0,
    stale: false,
    gone: false,
    stuck: false,
    acknowledged: false,
    polls: 3,
    pinned: true,
    ...extra,
  };
}

const LABEL = 'Invoices #pl_1';

describe('run task terminal text', () => {
  it('writes a state line in the tree\u2019s words, with nothing that changes by itself (so a new line is a new state)', () => {
    const progress = { current: 'evidence_collection', index: 4, total: 6 };
    const t = tracked({ provider: 'boringMarketing', startedAt: new Date(NOW - 3 * 60_000).toISOString(), progress });
    assert.equal(taskStateLine(t, 'Analyze #4f9c21'), `Analyze #4f9c21 · running · ${progressText(progress)}`);
    assert.equal(taskStateLine(t, 'Analyze #4f9c21'), 'Analyze #4f9c21 · running · Evidence collection · 4/6');
    assert.equal(taskStateLine(tracked({ status: 'queued', rawStatus: 'queued' }), LABEL), `${LABEL} · queued`);
    assert.equal(taskStateLine(tracked({ progress: { documents: { total: 24, completed: 15, errors: 1 } } }, { stale: true }), LABEL), `${LABEL} · running · 15/24 docs · 1 error · stale`);
    assert.equal(taskStateLine(tracked({ status: 'unknown', rawStatus: 'PAUSED' }), LABEL), `${LABEL} · status "PAUSED"`);
  });

  it('folds provider text onto one line, so a provider cannot forge terminal lines', () => {
    const t = tracked({ progress: { current: 'a', detail: 'ok\r\nExit code 0.' } });
    assert.ok(!/[\r\n]/.test(taskStateLine(t, LABEL)));
  });

  it('lists the error with its stage and one line per failed document, as the error rows do', () => {
    const run = tracked({
      status: 'succeeded',
      rawStatus: 'completed',
      progress: { stages: [{ id: 'extraction', label: 'Extraction', state: 'done' }] },
      error: { message: '2 documents failed', step: 'extraction', items: [{ id: 'd1', label: 'invoice-1.pdf', phase: 'extraction', message: 'unreadable scan' }, { id: 'd2', message: 'timeout' }] },
    }).run;
    assert.deepEqual(taskErrorLines(run), ['  error: 2 documents failed (in Extraction)', '    invoice-1.pdf · extraction · unreadable scan', '    d2 · timeout']);
    assert.deepEqual(taskErrorLines(tracked({}).run), []);
  });

  describe('exit codes', () => {
    it('0 for a clean success only', () => {
      assert.deepEqual(taskOutcome(tracked({ status: 'succeeded', rawStatus: 'completed' }), LABEL), { exitCode: 0, text: `${LABEL} succeeded.` });
    });

    it('1 for a success with document errors, saying how many', () => {
      const t = tracked({ status: 'succeeded', rawStatus: 'completed', progress: { documents: { total: 10, completed: 8, errors: 2 } }, error: { message: '2 documents failed' } });
      assert.deepEqual(taskOutcome(t, LABEL), { exitCode: 1, text: `${LABEL} finished with 2 document errors.` });
    });

    it('1 for a failure, naming the stage and the message', () => {
      const t = tracked({ status: 'failed', rawStatus: 'failed', progress: { stages: [{ id: 'score', label: 'Score leads', state: 'failed' }] }, error: { message: 'HubSpot connection expired.', step: 'score' } });
      assert.deepEqual(taskOutcome(t, LABEL), { exitCode: 1, text: `${LABEL} failed at Score leads: HubSpot connection expired.` });
    });

    it('1 for a cancelled run and for a run the provider no longer knows; none while it runs', () => {
      assert.equal(taskOutcome(tracked({ status: 'cancelled', rawStatus: 'cancelled' }), LABEL)?.exitCode, 1);
      assert.match(taskOutcome(tracked({ status: 'cancelled', rawStatus: 'cancelled' }), LABEL)!.text, /was cancelled/);
      assert.equal(taskOutcome(tracked({}, { gone: true, lastError: 'HTTP 404' }), LABEL)?.exitCode, 1);
      assert.equal(taskOutcome(tracked({}), LABEL), undefined);
      assert.equal(taskOutcome(tracked({ status: 'unknown', rawStatus: 'PAUSED' }), LABEL), undefined);
    });
  });
});

const LEAVERS: PipelineKind = {
  id: 'leavers',
  label: 'Find leavers',
  inputs: [
    { name: 'org_name', label: 'Organisation', type: 'string', required: true },
    { name: 'industries', label: 'Industries', type: 'string[]', required: true },
    { name: 'limit', label: 'Limit', type: 'number', required: false },
    { name: 'dry', label: 'Dry run', type: 'boolean', required: false },
    { name: 'ranges', label: 'Ranges', type: 'json', jsonShape: 'array', required: false },
    { name: 'exa_api_key', label: 'Exa API key', type: 'string', required: true, secret: true },
  ],
};

describe('task definitions and tool inputs', () => {
  it('reads a start or a watch, and refuses a definition that is both or names no provider', () => {
    assert.deepEqual(parseTaskSpec({ type: 'runwatch', provider: 'gloriaMundo', account: 'wf_1', inputs: { input: {} } }), { mode: 'start', provider: 'gloriaMundo', account: 'wf_1', inputs: { input: {} } });
    assert.deepEqual(parseTaskSpec({ type: 'runwatch', provider: 'talonic', runId: 'pl_9' }), { mode: 'watch', provider: 'talonic', runId: 'pl_9' });
    assert.throws(() => parseTaskSpec({ type: 'runwatch', provider: 'talonic', runId: 'pl_9', kind: 'x' }), /either starts a run .* or watches one/);
    assert.throws(() => parseTaskSpec({ type: 'runwatch' }), (e: Error) => e instanceof RunSpecError && /"provider"/.test(e.message));
    assert.throws(() => parseTaskSpec({ type: 'runwatch', provider: 'gloriaMundo', inputs: 'x' }), /"inputs"/);
  });

  it('converts JSON values to the declared input types', () => {
    assert.deepEqual(resolveInputs(LEAVERS, { org_name: 'Acme', industries: 'software, it services', limit: '25', dry: 'true', ranges: '[{"start": 11}]' }), {
      org_name: 'Acme',
      industries: ['software', 'it services'],
      limit: 25,
      dry: true,
      ranges: [{ start: 11 }],
    });
  });

  it('refuses a secret in the definition, a missing required input, an unknown input and a wrong type, naming each', () => {
    assert.throws(
      () => resolveInputs(LEAVERS, { org_name: 'Acme', industries: ['x'], exa_api_key: 'exa-123456' }),
      /"exa_api_key" is a secret: remove it; Runwatch keeps Exa API key in the OS keychain/,
    );
    assert.throws(() => resolveInputs(LEAVERS, { industries: ['x'] }), /"org_name" \(Organisation\) is required/);
    assert.throws(() => resolveInputs(LEAVERS, { org_name: 'Acme', industries: ['x'], orgname: 'typo' }), /"orgname" is not an input of Find leavers/);
    assert.throws(() => resolveInputs(LEAVERS, { org_name: 'Acme', industries: ['x'], limit: 'lots' }), /"limit": must be a number/);
    // A required secret is not required in the definition: it comes from the keychain.
    assert.doesNotThrow(() => resolveInputs(LEAVERS, { org_name: 'Acme', industries: ['x'] }));
  });
});

describe('chat tool text', () => {
  const ctx: RunTextContext = {
    now: NOW,
    providerName: id => ({ talonic: 'Talonic', boringMarketing: 'Boring Marketing' })[id as string] ?? id,
    accountLabel: run => (run.accountId === 'spec-1' ? 'Invoices' : run.accountId),
    kindLabel: () => undefined,
  };

  it('lists a run with its provider, account, label, status, row description and the ids the next call needs', () => {
    const t = tracked({ startedAt: new Date(NOW - 90_000).toISOString(), progress: { documents: { total: 24, completed: 15, errors: 1 } } });
    assert.equal(runListLine(t, ctx), '- Talonic · Invoices · Pipeline #pl_1 · running · 15/24 docs · 1 error · 1m (provider: talonic, runId: pl_1)');
  });

  it('filters by status and orders active, then failed, then the rest', () => {
    const active = tracked({ id: 'a' });
    const failed = tracked({ id: 'f', status: 'failed', startedAt: new Date(NOW - 1000).toISOString() });
    const done = tracked({ id: 'd', status: 'succeeded', startedAt: new Date(NOW).toISOString() });
    assert.deepEqual([done, failed, active].sort(listOrder).map(t => t.run.id), ['a', 'f', 'd']);
    assert.equal(matchesStatus(active.run, 'active'), true);
    assert.equal(matchesStatus(failed.run, 'finished'), true);
    assert.equal(matchesStatus(done.run, 'failed'), false);
  });

  it('gives one run\u2019s stages, error (stage, hint, documents) and result, with keys and share tokens redacted', () => {
    const secret = 'tlnc_live_SECRETKEY123';
    registerSecret(secret);
    try {
      const t = tracked({
        status: 'failed',
        rawStatus: 'failed',
        progress: { stages: [{ id: 'extraction', label: 'Extraction', state: 'failed', counts: { completed: 3, running: 0, pending: 0, errors: 1 } }] },
        error: { message: `bad key ${secret}`, step: 'extraction', hint: 'Check the scan.', items: [{ id: 'd1', label: 'a.pdf', message: 'unreadable' }] },
        result: { share: 'shr_abcdef123456', rows: 3 },
      });
      const text = runDetailText(t, ctx);
      assert.match(text, /^Stages:\n {2}- Extraction: failed · 3 done · 1 error$/m);
      assert.match(text, /^Error: bad key \*\*\*$/m);
      assert.match(text, /^Failed in: Extraction$/m);
      assert.match(text, /^What to do: Check the scan\.$/m);
      assert.match(text, /^Document errors \(1\):\n {2}- a\.pdf · unreadable$/m);
      assert.match(text, /^Result: \{"share":"\*\*\*","rows":3\}$/m);
      assert.ok(!text.includes(secret) && !text.includes('shr_abcdef'), text);
    } finally {
      forgetSecret(secret);
    }
  });

  it('cuts a long result', () => {
    assert.match(resultSummary({ text: 'x'.repeat(5000) }), /… \(cut; Runwatch: Show Result shows all of it\)$/);
  });
});
