// GloriaMundo adapter against the simulator over loopback HTTP: lifecycle and mapping, input checks,
// auth, credits and spend limits (both documented readings), rate limits, bad bodies, cadence.
import * as assert from 'node:assert/strict';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import type { GloriaMundoSim, GmWorkflowSpec } from '../simulator/gloriaMundo';
import { GloriaMundoProvider, GM_RUN_KIND } from '../../src/providers/gloriaMundo';
import type { Account } from '../../src/providers/provider';
import type { Run } from '../../src/core/run';
import { recordingLogger, rejection } from './support';

const DIGEST: GmWorkflowSpec = {
  name: 'Daily digest',
  steps: ['Fetch emails', 'Summarize', 'Generate content', 'Send email', 'Post to Slack'],
  durations: 21_000,
  queuedMs: 1_000,
  result: { generated_content: 'Daily digest: 3 emails from team...', summary: 'Posted summary to #daily-digest' },
};



describe('GloriaMundo adapter', () => {
  let sim: Simulator;
  let gm: GloriaMundoSim;
  let key: string | undefined;
  let log: ReturnType<typeof recordingLogger>;
  let provider: GloriaMundoProvider;
  let digest: Account;

  before(async () => {
    sim = await createSimulator().start();
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    sim.reset();
    gm = sim.provider<GloriaMundoSim>('gloriaMundo');
    gm.addWorkflow('wf_daily_digest', DIGEST);
    key = SIM_KEYS.gloriaMundo;
    log = recordingLogger();
    provider = new GloriaMundoProvider({ baseUrl: sim.baseUrl('gloriaMundo'), getKey: async () => key, log });
    digest = await provider.addAccount({ value: 'wf_daily_digest', label: 'Daily digest' });
  });
  afterEach(() => {
    for (const line of log.lines) assert.ok(!line.includes(SIM_KEYS.gloriaMundo), `a log line carries the key: ${line}`);
  });

  const poll = (run: Run) => provider.getRun({ accountId: run.accountId, id: run.id, kind: run.kind });

  describe('accounts, kinds and capabilities', () => {
    it('adds workflows by id without an API call, with the label or the id as the name', async () => {
      assert.deepEqual({ id: digest.id, label: digest.label }, { id: 'wf_daily_digest', label: 'Daily digest' });
      const unnamed = await provider.addAccount({ value: '  wf_other ' });
      assert.equal(unnamed.id, 'wf_other');
      assert.equal(unnamed.label, 'wf_other');
      assert.equal(unnamed.description, undefined, 'no id repeated next to itself');
      assert.equal(digest.description, 'wf_daily_digest', 'a labelled workflow shows its id beside the label');
      assert.equal(sim.requestsFor('gloriaMundo').length, 0);
      assert.equal((await rejection(provider.addAccount({ value: '  ' }))).kind, 'validation');
    });

    it('says what it cannot do: list workflows or runs, cancel', async () => {
      assert.equal(provider.capabilities.listAccounts, false);
      assert.equal(provider.capabilities.addAccount, 'byId');
      assert.equal(provider.capabilities.listRuns, false);
      assert.equal(provider.capabilities.cancel, false);
      assert.equal(provider.capabilities.cancelUnavailableReason, 'The GloriaMundo API has no cancel endpoint.');
      assert.equal(provider.capabilities.result, true);
      assert.deepEqual(await provider.listRuns(digest), { runs: [] });
      assert.deepEqual(await provider.listAccounts(), []);
      const kinds = await provider.listKinds(digest);
      assert.deepEqual(
        kinds.map(k => [k.label, k.inputs.map(i => [i.name, i.type])]),
        [['Run workflow', [['input', 'json']]]],
      );
    });

    it('warns on a key without the gm_live_ / gm_test_ prefix but does not refuse it', () => {
      assert.deepEqual(provider.checkKeyFormat('gm_live_abc123'), {});
      assert.deepEqual(provider.checkKeyFormat('gm_test_abc123'), {});
      assert.match(provider.checkKeyFormat('sk-abc123').warning ?? '', /gm_live_/);
      assert.equal(provider.checkKeyFormat('sk-abc123').error, undefined);
      assert.ok(provider.checkKeyFormat('   ').error);
    });
  });

  describe('run lifecycle', () => {
    it('starts a run and follows it through queued, running and completed, as the seed shows it', async () => {
      const { run } = await provider.startRun(digest, GM_RUN_KIND, { input: { channel: '#daily-digest' } });
      assert.equal(run.status, 'queued');
      assert.equal(run.accountId, 'wf_daily_digest');
      assert.equal(run.kind, 'Daily digest');
      const [execute] = sim.requestsFor('gloriaMundo', /execute$/);
      assert.deepEqual([execute.method, execute.path, execute.status, execute.auth], ['POST', '/workflows/wf_daily_digest/execute', 200, 'bearer']);

      const queued = await poll(run);
      assert.equal(queued.status, 'queued');
      assert.equal(queued.startedAt, undefined);
      assert.equal(queued.cost, undefined);

      sim.clock.advance(1_000 + 2 * 21_000 + 500); // two steps done, the third running
      const running = await poll(run);
      assert.equal(running.status, 'running');
      assert.equal(running.rawStatus, 'running');
      assert.deepEqual(running.progress, { index: 2, total: 5, current: 'Generate content', percent: 40 });
      assert.equal(running.cost, undefined, 'cost_cents is null while running');
      assert.equal(running.result, undefined);
      assert.equal(running.error, undefined);
      assert.ok(running.startedAt);

      sim.clock.advance(3 * 21_000);
      const done = await poll(run);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.rawStatus, 'completed');
      assert.deepEqual(done.progress, { index: 5, total: 5, current: 'Post to Slack', percent: 100 });
      assert.deepEqual(done.cost, { amount: 0.15, currency: 'USD' });
      assert.deepEqual(done.result, DIGEST.result);
      assert.equal(done.durationSeconds, 105);
      assert.ok(done.finishedAt && done.startedAt && done.finishedAt > done.startedAt);
      assert.equal(done.error, undefined);
    });

    it('maps a failed run: the error string, the step it died on, the cost so far, progress kept', async () => {
      gm.addWorkflow('wf_mail', { ...DIGEST, failAtStep: { step: 3, error: 'Gmail connection expired. Please reconnect.', costCents: 8 } });
      const account = await provider.addAccount({ value: 'wf_mail' });
      const { run } = await provider.startRun(account, GM_RUN_KIND, {});
      sim.clock.advance(10 * 60_000);
      const failed = await poll(run);
      assert.equal(failed.status, 'failed');
      assert.deepEqual(failed.error, { message: 'Gmail connection expired. Please reconnect.', step: 'step 3/5 · Send email' });
      assert.deepEqual(failed.cost, { amount: 0.08, currency: 'USD' });
      assert.deepEqual(failed.progress, { index: 3, total: 5, current: 'Send email', percent: 60 });
      assert.equal(failed.result, undefined);
    });

    it('starts without input when none is given, and with JSON text of an object', async () => {
      gm.addWorkflow('wf_echo', { name: 'Echo', steps: ['Echo'], durations: 1_000, queuedMs: 0 });
      const echo = await provider.addAccount({ value: 'wf_echo' });
      const plain = (await provider.startRun(echo, GM_RUN_KIND, {})).run;
      const fromText = (await provider.startRun(echo, GM_RUN_KIND, { input: '{"topic": "weekly"}' })).run;
      sim.clock.advance(5_000);
      assert.deepEqual((await poll(fromText)).result, { summary: 'Echo finished', input: { topic: 'weekly' } });
      assert.deepEqual((await poll(plain)).result, { summary: 'Echo finished', input: {} });
    });
  });

  describe('input validation', () => {
    for (const [what, input] of [
      ['an array', [1, 2]],
      ['a number', 5],
      ['a string scalar', '"hello"'],
      ['an array in JSON text', '[{"a":1}]'],
      ['JSON null text', 'null'],
    ] as const) {
      it(`refuses ${what} before sending anything`, async () => {
        const error = await rejection(provider.startRun(digest, GM_RUN_KIND, { input }));
        assert.equal(error.kind, 'validation');
        assert.match(error.message, /must be a JSON object/);
        assert.equal(sim.requestsFor('gloriaMundo').length, 0);
      });
    }

    it('refuses JSON text that does not parse, saying so', async () => {
      const error = await rejection(provider.startRun(digest, GM_RUN_KIND, { input: '{"a": ' }));
      assert.equal(error.kind, 'validation');
      assert.match(error.message, /not valid JSON/);
    });

    it('the simulator itself answers 400 for non-object input', async () => {
      const response = await fetch(`${sim.baseUrl('gloriaMundo')}/workflows/wf_daily_digest/execute`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SIM_KEYS.gloriaMundo}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: ['not', 'an', 'object'] }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_input');
    });
  });

  describe('auth', () => {
    it('the simulator accepts the key as Bearer or as X-API-Key, and refuses it elsewhere', async () => {
      const { run } = await provider.startRun(digest, GM_RUN_KIND, {});
      const url = `${sim.baseUrl('gloriaMundo')}/runs/${run.id}/status`;
      const viaHeader = await fetch(url, { headers: { 'x-api-key': SIM_KEYS.gloriaMundo } });
      const viaBearer = await fetch(url, { headers: { authorization: `Bearer ${SIM_KEYS.gloriaMundo}` } });
      const wrong = await fetch(url, { headers: { 'x-api-key': 'gm_live_wrong' } });
      const none = await fetch(url);
      assert.deepEqual([viaHeader.status, viaBearer.status, wrong.status, none.status], [200, 200, 401, 401]);
      assert.deepEqual(await viaHeader.json(), await viaBearer.json());
      const keys = await fetch(`${sim.baseUrl('gloriaMundo')}/keys`, { headers: { 'x-api-key': SIM_KEYS.gloriaMundo } });
      assert.equal(keys.status, 403, 'key management needs a browser session');
    });

    it('a wrong key is an auth error that stops the provider and never shows the key', async () => {
      key = 'gm_live_thisisnotavalidkey123';
      const error = await rejection(provider.startRun(digest, GM_RUN_KIND, {}));
      assert.equal(error.kind, 'auth');
      assert.equal(error.stopsProvider, true);
      assert.ok(!error.message.includes(key));
      assert.equal((await rejection(provider.getRun({ accountId: 'wf_daily_digest', id: 'x' }))).kind, 'auth');
      assert.equal((await rejection(provider.validateKey())).kind, 'auth');
    });

    it('no key at all is noKey, without a request', async () => {
      key = undefined;
      assert.equal((await rejection(provider.validateKey())).kind, 'noKey');
      assert.equal(sim.requestsFor('gloriaMundo').length, 0);
    });

    it('validateKey reads the spend limit; a 404 there is not a bad key, a 403 is', async () => {
      await provider.validateKey();
      assert.deepEqual(
        sim.requestsFor('gloriaMundo').map(r => [r.method, r.path, r.status]),
        [['GET', '/spend-limit', 200]],
      );
      sim.addFault({ provider: 'gloriaMundo', path: '^/spend-limit', status: 404, body: { error: 'not_found' } });
      await provider.validateKey();
      sim.addFault({ provider: 'gloriaMundo', path: '^/spend-limit', status: 403, body: { error: 'forbidden', message: 'Session required' } });
      assert.equal((await rejection(provider.validateKey())).kind, 'forbidden');
      sim.addFault({ provider: 'gloriaMundo', path: '^/spend-limit', status: 503, html: true });
      assert.equal((await rejection(provider.validateKey())).kind, 'server', 'an outage is not reported as a good key');
    });
  });

  describe('credits and spend limits', () => {
    it('402 insufficient credits says credits, with what to do', async () => {
      gm.creditsCents = 0;
      const error = await rejection(provider.startRun(digest, GM_RUN_KIND, {}));
      assert.equal(error.kind, 'payment');
      assert.equal(error.code, 'insufficient_credits');
      assert.match(error.message, /not enough credits/);
      assert.match(error.hint ?? '', /top up credits/);
    });

    it('402 spend_limit_exceeded says spend limit and when the period resets', async () => {
      gm.spendLimit = { limitCents: 5000, period: 'daily' };
      gm.currentPeriodSpendCents = 5000;
      const error = await rejection(provider.startRun(digest, GM_RUN_KIND, {}));
      assert.equal(error.status, 402);
      assert.equal(error.kind, 'payment');
      assert.equal(error.code, 'spend_limit_exceeded');
      assert.match(error.message, /spend limit .* reached.*resets at \d{4}-\d\d-\d\dT00:00:00/);
      assert.doesNotMatch(error.message, /credits/);
    });

    it('a spend limit answered with 429 (the Executing page) is still a spend limit, not a rate limit', async () => {
      gm.spendLimitStatus = 429;
      gm.spendLimit = { limitCents: 100, period: 'weekly' };
      gm.currentPeriodSpendCents = 150;
      const error = await rejection(provider.startRun(digest, GM_RUN_KIND, {}));
      assert.equal(error.status, 429);
      assert.equal(error.kind, 'payment');
      assert.equal(error.transient, false);
      assert.match(error.message, /spend limit/);
    });

    it('a 402 of an unknown kind still reads as credits or spend limit', async () => {
      sim.addFault({ provider: 'gloriaMundo', path: 'execute$', status: 402, body: { error: 'payment_required', message: 'Plan expired' } });
      const error = await rejection(provider.startRun(digest, GM_RUN_KIND, {}));
      assert.equal(error.kind, 'payment');
      assert.match(error.message, /credits or a spend limit.*Plan expired/);
    });
  });

  describe('not found', () => {
    it('an unknown run is notFound with a message saying it may be another key\'s', async () => {
      const error = await rejection(provider.getRun({ accountId: 'wf_daily_digest', id: '550e8400-e29b-41d4-a716-446655440000' }));
      assert.equal(error.kind, 'notFound');
      assert.equal(error.message, 'GloriaMundo has no run 550e8400-e29b-41d4-a716-446655440000 (it may belong to another key)');
    });

    it('a run started with another key is not found with this one', async () => {
      const otherKey = 'gm_live_otheraccount0000000';
      gm.keys.add(otherKey);
      const id = gm.startRun('wf_daily_digest', {}, { ownerKey: otherKey });
      assert.equal((await rejection(provider.getRun({ accountId: 'wf_daily_digest', id }))).kind, 'notFound');
    });

    it('an unknown workflow is notFound on start, naming the workflow', async () => {
      const missing = await provider.addAccount({ value: 'wf_missing' });
      const error = await rejection(provider.startRun(missing, GM_RUN_KIND, {}));
      assert.equal(error.kind, 'notFound');
      assert.match(error.message, /no workflow wf_missing/);
    });
  });

  describe('rate limits', () => {
    it('the 61st status poll in a minute is rate limited with Retry-After; the window slides', async () => {
      const { run } = await provider.startRun(digest, GM_RUN_KIND, {});
      for (let i = 0; i < 60; i++) await poll(run);
      sim.clock.advance(10_000);
      const error = await rejection(poll(run));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.transient, true);
      assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs >= 49_000 && error.retryAfterMs <= 51_000, `retryAfterMs ${error.retryAfterMs}`);
      sim.clock.advance(51_000);
      assert.equal((await poll(run)).id, run.id);
    });

    it('without a Retry-After header the error carries no wait', async () => {
      gm.omitRetryAfter = true;
      gm.rateLimits = { ...gm.rateLimits, statusPolls: 2 };
      const { run } = await provider.startRun(digest, GM_RUN_KIND, {});
      await poll(run);
      await poll(run);
      const error = await rejection(poll(run));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.retryAfterMs, undefined);
    });

    it('executions are limited to 10 a minute', async () => {
      for (let i = 0; i < 10; i++) await provider.startRun(digest, GM_RUN_KIND, {});
      const error = await rejection(provider.startRun(digest, GM_RUN_KIND, {}));
      assert.equal(error.kind, 'rateLimited');
      assert.ok((error.retryAfterMs ?? 0) > 0);
    });
  });

  describe('bad bodies', () => {
    let run: Run;
    beforeEach(async () => {
      run = (await provider.startRun(digest, GM_RUN_KIND, {})).run;
    });

    it('truncated JSON is badResponse', async () => {
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', status: 200, truncated: true });
      const error = await rejection(poll(run));
      assert.equal(error.kind, 'badResponse');
      assert.match(error.message, /cut off or malformed/);
    });

    it('an HTML page with 200 is badResponse; with 502 it is a server error', async () => {
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', status: 200, html: true });
      assert.equal((await rejection(poll(run))).kind, 'badResponse');
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', status: 502, html: true });
      const error = await rejection(poll(run));
      assert.equal(error.kind, 'server');
      assert.match(error.message, /HTML/);
    });

    it('wrong types are badResponse', async () => {
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', status: 200, body: { run_id: run.id, status: 3 } });
      assert.equal((await rejection(poll(run))).kind, 'badResponse');
      sim.addFault({
        provider: 'gloriaMundo',
        path: '/status$',
        status: 200,
        body: { run_id: run.id, status: 'running', progress: { current_step: 'two', total_steps: 5 } },
      });
      assert.equal((await rejection(poll(run))).kind, 'badResponse');
      sim.addFault({ provider: 'gloriaMundo', path: 'execute$', status: 200, body: { status: 'queued' } });
      assert.equal((await rejection(provider.startRun(digest, GM_RUN_KIND, {}))).kind, 'badResponse');
    });

    it('tolerates added fields, nulls, missing optional fields and unknown statuses', async () => {
      sim.addFault({
        provider: 'gloriaMundo',
        path: '/status$',
        status: 200,
        body: { status: 'paused_for_approval', progress: null, something_new: { a: 1 }, cost_cents: null },
      });
      const odd = await poll(run);
      assert.equal(odd.status, 'unknown');
      assert.equal(odd.rawStatus, 'paused_for_approval');
      assert.equal(odd.id, run.id);
      assert.equal(odd.progress, undefined);
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', status: 200, body: { status: 'failed', error: null } });
      const bare = await poll(run);
      assert.equal(bare.status, 'failed');
      assert.match(bare.error?.message ?? '', /no reason/);
    });
  });

  describe('cadence', () => {
    it('polls every 2 s for the first 5 polls, then backs off ×1.5 a poll up to 10 s', () => {
      const curve = [0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 500].map(polls => provider.cadenceMs({} as Run, { polls, ageMs: polls * 2_000 }));
      assert.deepEqual(curve, [2_000, 2_000, 2_000, 2_000, 2_000, 3_000, 4_500, 6_750, 10_000, 10_000, 10_000]);
    });

    it('declares the documented poll budget of 60 status polls a minute', () => {
      assert.deepEqual(provider.pollBudget, { requests: 60, perMs: 60_000 });
    });
  });

  describe('demo helpers', () => {
    it('seedDemo adds the daily digest workflow and pre-starts a run Runwatch can track', async () => {
      gm.reset();
      gm.seedDemo();
      assert.equal(gm.demoRunIds.length, 1);
      const tracked = await provider.getRun({ accountId: 'wf_daily_digest', id: gm.demoRunIds[0], kind: 'Daily digest' });
      assert.equal(tracked.status, 'running');
      assert.equal(tracked.progress?.total, 5);
    });
  });
});
