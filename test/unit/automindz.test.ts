// Automindz adapter against the simulator over loopback HTTP: the "find leavers" lifecycle and result
// mapping, third-party keys kept out of runs and logs, FastAPI errors, legacy paths, limits, bad bodies.
import * as assert from 'node:assert/strict';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import type { AutomindzSim } from '../simulator/automindz';
import { AutomindzProvider, LEAVERS_KIND, normalizeLeaversInput } from '../../src/providers/automindz';
import type { Account, Provider, ProviderContext } from '../../src/providers/provider';
import type { Run } from '../../src/core/run';
import { recordingLogger, rejection } from './support';
import { createProvider } from '../../src/providers/index';

const SECRETS = { ai_ark_api_key: 'ark-secret-1111aaaa', exa_api_key: 'exa-secret-2222bbbb', openrouter_api_key: 'sk-or-secret-3333cccc' };
const INPUT = { org_name: 'Acme', industries: ['software development'], limit: 5, job_titles: 'CTO, VP Engineering' };



function assertNoSecret(text: string, where: string): void {
  for (const secret of [...Object.values(SECRETS), SIM_KEYS.automindz]) assert.ok(!text.includes(secret), `${where} carries a secret: ${text}`);
}

describe('Automindz adapter', () => {
  let sim: Simulator;
  let amz: AutomindzSim;
  let key: string | undefined;
  let stored: Record<string, string>;
  let log: ReturnType<typeof recordingLogger>;
  let provider: AutomindzProvider;
  let leavers: Account;

  const context = (baseUrl = sim.baseUrl('automindz')): ProviderContext => ({
    baseUrl,
    getKey: async () => key,
    getSecret: async name => stored[name],
    log,
  });
  const poll = (run: Run, p: Provider = provider) => p.getRun({ accountId: run.accountId, id: run.id, kind: run.kind });
  const start = (input: Record<string, unknown> = INPUT, p: Provider = provider) => p.startRun(leavers, LEAVERS_KIND, input).then(r => r.run);

  before(async () => {
    sim = await createSimulator().start();
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    sim.reset();
    amz = sim.provider<AutomindzSim>('automindz');
    key = SIM_KEYS.automindz;
    stored = { ...SECRETS };
    log = recordingLogger();
    provider = new AutomindzProvider(context());
    [leavers] = await provider.listAccounts();
  });
  afterEach(() => {
    for (const line of log.lines) assertNoSecret(line, 'a log line');
  });

  describe('accounts, kinds and capabilities', () => {
    it('offers the one documented pipeline as a fixed account, without an API call', async () => {
      assert.deepEqual(
        (await provider.listAccounts()).map(a => [a.id, a.label]),
        [['leavers', 'Find leavers']],
      );
      assert.equal(leavers.description, 'hiring signals');
      assert.equal(sim.requestsFor('automindz').length, 0);
      assert.deepEqual(await provider.listRuns(leavers), { runs: [] });
      assert.deepEqual(provider.capabilities, {
        listAccounts: false,
        addAccount: 'none',
        listRuns: false,
        cancel: false,
        cancelUnavailableReason: 'The Automindz API has no cancel endpoint.',
        result: true,
        trackWithoutAccount: true,
      });
    });

    it('the leavers kind asks for the three third-party keys as required secrets', async () => {
      const [kind] = await provider.listKinds(leavers);
      assert.equal(kind.label, 'Find leavers');
      const byName = Object.fromEntries(kind.inputs.map(i => [i.name, i]));
      for (const name of Object.keys(SECRETS)) assert.deepEqual([byName[name].secret, byName[name].required], [true, true], name);
      assert.deepEqual([byName.org_name.type, byName.org_name.required], ['string', true]);
      assert.deepEqual([byName.industries.type, byName.industries.required], ['string[]', true]);
      assert.equal(byName.employee_size_ranges.type, 'json');
      assert.equal(byName.tenure_max_months.type, 'number');
      assert.equal(kind.inputs.filter(i => i.secret).length, 3);
    });
  });

  describe('run lifecycle', () => {
    it('starts a run, follows it from QUEUED to COMPLETED and maps counts, costs and CSV links', async () => {
      const run = await start();
      assert.equal(run.status, 'queued');
      assert.equal(run.rawStatus, 'QUEUED');
      assert.equal(run.kind, 'Find leavers');
      assert.equal(run.accountId, 'leavers');
      assert.equal(run.input, undefined, 'the service alone records how a run was started');
      const [post] = sim.requestsFor('automindz');
      assert.deepEqual([post.method, post.path, post.status, post.auth], ['POST', '/v1/hiring-signals/leavers', 202, 'bearer']);

      const queued = await poll(run);
      assert.equal(queued.status, 'queued');
      assert.ok(queued.startedAt, 'started_at is set even while QUEUED');
      assert.equal(queued.finishedAt, undefined);
      assert.equal(queued.result, undefined);

      sim.clock.advance(5_000);
      const running = await poll(run);
      assert.equal(running.status, 'running');
      assert.equal(running.result, undefined);

      sim.clock.advance(40_000);
      const done = await poll(run);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.rawStatus, 'COMPLETED');
      assert.equal(done.durationSeconds, 40);
      assert.equal(done.progress?.detail, '1 leaver · 3 new-company DMs · 3 old-company DMs');
      // Dollars (exa, openrouter) and credits (ai_ark) stay separate lines: no summed amount.
      assert.deepEqual(done.cost, { lines: { exa_cost: 0.072, openrouter_cost: 0.001564, ai_ark_credits_consumed: -30186.2 } });
      assert.deepEqual(
        done.links?.map(l => l.label),
        ['Open leavers CSV', 'Open new company DMs CSV', 'Open old company DMs CSV'],
      );
      assert.match(done.links?.[0].url ?? '', /^https:\/\/tmpfiles\.org\/dl\/\d+\/acme_leavers\.csv$/);
      assert.deepEqual((done.result as { summary: unknown }).summary, { leavers_count: 1, new_company_dms_count: 3, old_company_dms_count: 3 });
      assert.equal(done.error, undefined);
    });

    it('accepts a start answered with 200 as well as 202', async () => {
      amz.startStatus = 200;
      const run = await start();
      assert.equal(run.status, 'queued');
      assert.equal(sim.requestsFor('automindz')[0].status, 200);
    });

    it('a third-party key the pipeline cannot use fails the run with the seed\'s error and step', async () => {
      const run = await start({ ...INPUT, exa_api_key: 'bad' });
      sim.clock.advance(2_000);
      const failed = await poll(run);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.rawStatus, 'FAILED');
      assert.equal(failed.error?.message, '401 Client Error: Unauthorized');
      assert.equal(failed.error?.step, 'fetch_contacts');
      assert.match(failed.error?.hint ?? '', /third-party .*AI Ark, Exa or OpenRouter/);
      assert.equal(failed.links, undefined);
      assert.equal(failed.cost, undefined);
    });

    it('reads statuses case-insensitively and shows unknown ones as they are', async () => {
      const run = await start();
      for (const [raw, expected] of [
        ['completed', 'succeeded'],
        ['Running', 'running'],
        ['queued', 'queued'],
        ['Failed', 'failed'],
        ['ARCHIVED', 'unknown'],
      ] as const) {
        sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 200, body: { run_id: run.id, status: raw, result: null, started_at: null, finished_at: null } });
        const got = await poll(run);
        assert.equal(got.status, expected, raw);
        assert.equal(got.rawStatus, raw);
      }
    });
  });

  describe('third-party keys', () => {
    it('reads them from secret storage, sends them, and keeps them out of Run.input, Run.raw and every log line', async () => {
      const run = await start();
      const json = JSON.stringify(run);
      assertNoSecret(json, 'the run');
      for (const name of Object.keys(SECRETS)) assert.ok(!(name in (run.input ?? {})), `${name} is on Run.input`);
      sim.clock.advance(60_000);
      assertNoSecret(JSON.stringify(await poll(run)), 'the polled run');
      assert.ok(log.lines.length >= 2, 'the logger saw the requests');
    });

    it('uses keys given in the input over stored ones, still without keeping them', async () => {
      stored = {};
      const run = await start({ ...INPUT, ...SECRETS });
      assertNoSecret(JSON.stringify(run), 'the run');
      assert.equal(run.status, 'queued');
    });

    it('refuses to start without them, naming which, before any request', async () => {
      stored = { ai_ark_api_key: SECRETS.ai_ark_api_key };
      const error = await rejection(start());
      assert.equal(error.kind, 'validation');
      assert.match(error.message, /Exa API key, OpenRouter API key/);
      assert.equal(sim.requestsFor('automindz').length, 0);
    });

    it('a run whose failure echoes a third-party key reaches the service redacted (createProvider)', async () => {
      amz.scriptNextRun({ fail: { message: `OpenRouter refused the key ${SECRETS.openrouter_api_key} (401)`, step_id: 'enrich' } });
      const p = createProvider('automindz', context());
      const run = await start(INPUT, p);
      sim.clock.advance(60_000);
      const failed = await poll(run, p);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.message, 'OpenRouter refused the key *** (401)');
      assertNoSecret(JSON.stringify(failed), 'the run');
    });

    it('a 422 that echoes the request body leaks no key into the message or the error', async () => {
      sim.addFault({
        provider: 'automindz',
        path: 'hiring-signals/leavers$',
        status: 422,
        body: {
          detail: [
            { loc: ['body', 'org_name'], msg: 'field required', type: 'value_error.missing', input: { ...SECRETS } },
            { loc: ['body', 'industries'], msg: 'field required', type: 'value_error.missing', input: { ...SECRETS } },
          ],
        },
      });
      const error = await rejection(start());
      assert.equal(error.kind, 'validation');
      assert.equal(error.message, 'Automindz: the request was rejected (HTTP 422): org_name: field required; industries: field required.');
      assert.equal(error.body, undefined);
      assertNoSecret(JSON.stringify({ ...error, message: error.message }), 'the error');
    });
  });

  describe('input validation', () => {
    it('refuses missing required fields and wrong types before any request', async () => {
      const missing = await rejection(start({ industries: [] }));
      assert.equal(missing.kind, 'validation');
      assert.match(missing.message, /Organisation name is required; Industries is required/);
      const wrong = await rejection(start({ ...INPUT, limit: 'lots', employee_size_ranges: '{"start": 1}' }));
      assert.match(wrong.message, /Limit must be a whole number; Employee size ranges must be a JSON list/);
      assert.equal(sim.requestsFor('automindz').length, 0);
    });

    it('sends employee size ranges given as JSON text as a list', async () => {
      const text = { ...INPUT, employee_size_ranges: '[{"start": 11, "end": 50}]', tenure_min_months: '6' };
      const sent = normalizeLeaversInput(text);
      assert.deepEqual(sent.employee_size_ranges, [{ start: 11, end: 50 }]);
      assert.equal(sent.tenure_min_months, 6);
      // The simulator refuses a range list or a month count given as text (422), as the API does.
      const run = await start(text);
      assert.equal(run.status, 'queued');
    });

    it('the simulator answers missing fields with a FastAPI detail list', async () => {
      const response = await fetch(`${sim.baseUrl('automindz')}/v1/hiring-signals/leavers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SIM_KEYS.automindz}`, 'content-type': 'application/json' },
        body: JSON.stringify({ org_name: 'acme', exa_api_key: 'x' }),
      });
      assert.equal(response.status, 422);
      const body = (await response.json()) as { detail: { loc: string[]; msg: string }[] };
      assert.deepEqual(
        body.detail.map(d => [d.loc.join('.'), d.msg]),
        [
          ['body.ai_ark_api_key', 'field required'],
          ['body.openrouter_api_key', 'field required'],
          ['body.industries', 'field required'],
        ],
      );
    });
  });

  describe('legacy paths', () => {
    it('starts on the legacy path when /v1 is missing and keeps polling that run there', async () => {
      amz.v1Routes = false;
      const run = await start();
      sim.clock.advance(60_000);
      assert.equal((await poll(run)).status, 'succeeded');
      assert.equal((await poll(run)).status, 'succeeded');
      assert.deepEqual(
        sim.requestsFor('automindz').map(r => `${r.method} ${r.path} ${r.status}`),
        [
          'POST /v1/hiring-signals/leavers 404',
          'POST /hiring-signals/leavers 202',
          `GET /runs/${run.id} 200`,
          `GET /runs/${run.id} 200`,
        ],
      );
    });

    it('falls back to GET /runs/{id} when /v1/runs/{id} does not know a legacy run, once', async () => {
      amz.legacyRunsOnV1 = false;
      const id = amz.createRun({ legacy: true, startedAgoMs: 10_000 });
      const ref = { accountId: 'leavers', id };
      assert.equal((await provider.getRun(ref)).status, 'running');
      assert.equal((await provider.getRun(ref)).status, 'running');
      assert.deepEqual(
        sim.requestsFor('automindz').map(r => `${r.path} ${r.status}`),
        [`/v1/runs/${id} 404`, `/runs/${id} 200`, `/runs/${id} 200`],
      );
    });

    it('a run neither path knows is notFound, with a message', async () => {
      const error = await rejection(provider.getRun({ accountId: 'leavers', id: '019d678b-c737-7000-8000-000000000001' }));
      assert.equal(error.kind, 'notFound');
      assert.equal(error.message, 'Automindz has no run 019d678b-c737-7000-8000-000000000001 (it may belong to another key).');
    });

    it('a base URL that already ends in /v1 is not doubled', async () => {
      const p = new AutomindzProvider(context(`${sim.baseUrl('automindz')}/v1/`));
      const run = await start(INPUT, p);
      assert.equal((await poll(run, p)).id, run.id);
      assert.deepEqual(
        sim.requestsFor('automindz').map(r => r.path),
        ['/v1/hiring-signals/leavers', `/v1/runs/${run.id}`],
      );
    });
  });

  describe('auth and key check', () => {
    it('validateKey asks for a run that cannot exist: 404 means the key works', async () => {
      await provider.validateKey();
      const [check] = sim.requestsFor('automindz');
      assert.match(check.path, /^\/v1\/runs\/[0-9a-f-]{36}$/);
      assert.equal(check.status, 404);
    });

    it('a wrong key is auth everywhere, never shown', async () => {
      key = 'amz_wrong_key_0123456789';
      const error = await rejection(provider.validateKey());
      assert.equal(error.kind, 'auth');
      assert.ok(!error.message.includes(key));
      assert.match(error.hint ?? '', /Set API Key/);
      assert.equal((await rejection(provider.getRun({ accountId: 'leavers', id: 'x' }))).kind, 'auth');
      assert.equal((await rejection(start())).kind, 'auth');
    });

    it('the simulator takes Bearer only', async () => {
      const url = `${sim.baseUrl('automindz')}/v1/runs/00000000-0000-7000-8000-000000000000`;
      const bearer = await fetch(url, { headers: { authorization: `Bearer ${SIM_KEYS.automindz}` } });
      const header = await fetch(url, { headers: { 'x-api-key': SIM_KEYS.automindz } });
      assert.deepEqual([bearer.status, header.status], [404, 401]);
    });

    it('503 (auth service unavailable) is a transient server error', async () => {
      sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 503, body: { detail: 'Authentication service temporarily unavailable' } });
      const error = await rejection(provider.validateKey());
      assert.equal(error.kind, 'server');
      assert.equal(error.transient, true);
      assert.match(error.message, /Authentication service temporarily unavailable/);
    });
  });

  describe('plan limits', () => {
    it('too many concurrent runs is rateLimited, with Retry-After and a hint about the plan', async () => {
      amz.concurrentRuns = 1;
      await start();
      const error = await rejection(start());
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.message, 'Automindz: Too many concurrent runs');
      assert.equal(error.retryAfterMs, 30_000);
      assert.match(error.hint ?? '', /concurrent-run limit/);
      sim.clock.advance(60_000);
      assert.equal((await start()).status, 'queued', 'a slot frees when the first run finishes');
    });

    it('the request limit without Retry-After carries no wait', async () => {
      amz.requestsPerMinute = 2;
      amz.omitRetryAfter = true;
      const run = await start();
      await poll(run);
      const error = await rejection(poll(run));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.retryAfterMs, undefined);
    });
  });

  describe('bad bodies', () => {
    let run: Run;
    beforeEach(async () => {
      run = await start();
    });

    it('truncated JSON is badResponse', async () => {
      sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 200, truncated: true });
      assert.equal((await rejection(poll(run))).kind, 'badResponse');
    });

    it('an HTML page is badResponse (200) or server (502)', async () => {
      sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 200, html: true });
      assert.equal((await rejection(poll(run))).kind, 'badResponse');
      sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 502, html: true });
      assert.equal((await rejection(poll(run))).kind, 'server');
    });

    it('wrong types are badResponse; odd result shapes are tolerated', async () => {
      sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 200, body: { run_id: run.id, status: 7 } });
      assert.equal((await rejection(poll(run))).kind, 'badResponse');
      sim.addFault({ provider: 'automindz', path: 'hiring-signals', status: 202, body: { run_id: 42, status: 'QUEUED' } });
      assert.equal((await rejection(start())).kind, 'badResponse');

      sim.addFault({
        provider: 'automindz',
        path: '^/v1/runs/',
        status: 200,
        body: {
          status: 'COMPLETED',
          result: { costs: { exa_cost: 'n/a', openrouter_cost: 0.5 }, summary: 'done', report_url: 'https://example.com/r/1', other: 1, extra_field: true },
        },
      });
      const odd = await poll(run);
      assert.equal(odd.status, 'succeeded');
      assert.deepEqual(odd.cost, { lines: { openrouter_cost: 0.5 } });
      assert.deepEqual(odd.links, [{ label: 'Open report', url: 'https://example.com/r/1' }]);
      assert.equal(odd.progress, undefined);

      sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 200, body: { status: 'FAILED', result: { error: 'pipeline crashed' } } });
      const failed = await poll(run);
      assert.deepEqual(failed.error, { message: 'pipeline crashed' });
      sim.addFault({ provider: 'automindz', path: '^/v1/runs/', status: 200, body: { status: 'FAILED', result: null } });
      assert.match((await poll(run)).error?.message ?? '', /no reason/);
    });
  });

  describe('cadence', () => {
    it('polls every 10 s, and every 30 s once a run is older than two minutes', () => {
      const at = (ageMs: number) => provider.cadenceMs({} as Run, { ageMs, polls: 0 });
      assert.deepEqual([at(0), at(60_000), at(120_000), at(120_001), at(3_600_000)], [10_000, 10_000, 10_000, 30_000, 30_000]);
      assert.equal((provider as Provider).pollBudget, undefined, 'the docs give plan-wide request limits, not a poll budget');
    });
  });

  describe('demo helpers', () => {
    it('seedDemo makes one running and one completed run that Runwatch can track', async () => {
      amz.seedDemo();
      const { running, completed } = amz.demoRunIds;
      assert.ok(running && completed);
      assert.equal((await provider.getRun({ accountId: 'leavers', id: running })).status, 'running');
      assert.equal((await provider.getRun({ accountId: 'leavers', id: completed })).status, 'succeeded');
    });
  });
});
