// Providers declared in settings (runwatch.customProviders): the declaration's checks, and the generic REST adapter
// against the simulator over loopback HTTP. GloriaMundo and Automindz declared as custom providers must give the
// same runs as their built-in adapters for the same simulator runs; Boring Marketing's run list and cancel play the
// optional calls.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import type { GloriaMundoSim, GmWorkflowSpec } from '../simulator/gloriaMundo';
import type { AutomindzSim } from '../simulator/automindz';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import { GloriaMundoProvider, GM_RUN_KIND } from '../../src/providers/gloriaMundo';
import { AutomindzProvider, LEAVERS_KIND } from '../../src/providers/automindz';
import { CustomRestProvider, customDescriptor } from '../../src/providers/custom/customProvider';
import { declarationSchema, parseCustomProviders, type CustomDeclaration } from '../../src/providers/custom/declaration';
import type { Provider, ProviderContext } from '../../src/providers/provider';
import type { Run } from '../../src/core/run';
import { checkAgainstSchema } from '../../src/core/jsonSchemaCheck';
import { createRunwatchService } from '../../src/core/service';
import { MemoryStorage } from '../../src/core/store';
import { silentLogger, validateBaseUrl } from '../../src/core/http';
import { createDefaultServiceDeps } from '../../src/serviceDeps';
import { gloriaMundoDeclaration } from '../simulator/customDeclarations';
import { providerOf, runKeyOf } from '../../src/vscode/commands/args';
import { BUILTIN_PROVIDER_IDS } from '../../src/providers/index';
import { englishManifest } from './manifestText';
import { MapVault, recordingLogger, rejection, type RecordingLogger } from './support';

const DIGEST: GmWorkflowSpec = {
  name: 'Daily digest',
  steps: ['Fetch emails', 'Summarize', 'Generate content', 'Send email', 'Post to Slack'],
  durations: 21_000,
  queuedMs: 1_000,
  result: { generated_content: 'Daily digest: 3 emails from team...', summary: 'Posted summary to #daily-digest' },
};

const AMZ_SECRET_NAMES = ['ai_ark_api_key', 'exa_api_key', 'openrouter_api_key'];

function automindzDeclaration(baseUrl: string): Record<string, unknown> {
  return {
    id: 'leavers',
    displayName: 'Leavers (declared)',
    baseUrl,
    start: {
      path: '/v1/hiring-signals/leavers',
      label: 'Find leavers',
      body: {
        org_name: '${input.org_name}',
        industries: '${input.industries}',
        limit: '${input.limit}',
        ...Object.fromEntries(AMZ_SECRET_NAMES.map(n => [n, `\${input.${n}}`])),
      },
    },
    status: { path: '/v1/runs/${runId}' },
    fields: { id: '/run_id', status: '/status', error: '/result/error/message', errorStep: '/result/error/step_id', result: '/result', startedAt: '/started_at', finishedAt: '/finished_at' },
    statusMap: { QUEUED: 'queued', RUNNING: 'running', COMPLETED: 'succeeded', FAILED: 'failed' },
    cadence: { intervalSeconds: 10 },
    inputs: [
      { name: 'org_name', type: 'string', required: true },
      { name: 'industries', type: 'string[]', required: true },
      { name: 'limit', type: 'number' },
      ...AMZ_SECRET_NAMES.map(name => ({ name, type: 'string', required: true, secret: true })),
    ],
  };
}

function declare(raw: Record<string, unknown>): CustomDeclaration {
  const { declarations, problems } = parseCustomProviders([raw]);
  assert.deepEqual(problems, []);
  return declarations[0];
}

/** What a user reads off a run in the tree, Show Error and Show Result. */
function seen(run: Run, parts: { progress?: boolean; result?: boolean; step?: boolean } = {}) {
  return {
    id: run.id,
    status: run.status,
    rawStatus: run.rawStatus,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationSeconds: run.durationSeconds,
    error: run.error && (parts.step === false ? run.error.message : { message: run.error.message, step: run.error.step }),
    ...(parts.progress === false ? {} : { progress: run.progress }),
    ...(parts.result === false ? {} : { result: run.result }),
  };
}

describe('Custom providers: declarations', () => {
  const base = () => gloriaMundoDeclaration('https://api.example.com/v1');

  it('reads a valid declaration with its custom: id and the base URL without a trailing slash', () => {
    const { declarations, problems } = parseCustomProviders([{ ...base(), baseUrl: 'https://api.example.com/v1/' }]);
    assert.deepEqual(problems, []);
    assert.equal(declarations[0].providerId, 'custom:gloria');
    assert.equal(declarations[0].baseUrl, 'https://api.example.com/v1');
  });

  it('names the field of each invalid declaration and keeps the valid ones', () => {
    const broken = (patch: Record<string, unknown>) => ({ ...base(), ...patch });
    const { declarations, problems } = parseCustomProviders([
      broken({ id: 'first' }),
      broken({ id: 'second', status: { path: 'runs/${runId}' } }),
      broken({ id: 'third', baseUrl: 'http://api.example.com' }),
      broken({ id: 'fourth', fields: { id: '/run_id', status: 'status' } }),
      broken({ id: 'fifth', start: { path: '/workflows/${accountId}/execute', body: { topic: '${input.topic}' } } }),
      broken({ id: 'sixth', statusMap: { DONE: 'finished' } }),
      broken({ id: 'seventh', pollEvery: 5 }),
      broken({ id: 'first' }),
      broken({ id: 'ninth', displayName: 3 }),
      broken({ id: 'tenth', status: { path: '/runs/latest' } }),
      broken({ id: 'eleventh', auth: { header: 'Host' } }),
      'not a declaration',
    ]);
    assert.deepEqual(declarations.map(d => d.id), ['first']);
    assert.deepEqual(problems, [
      'runwatch.customProviders[1].status.path: must start with "/" (it is appended to baseUrl).',
      'runwatch.customProviders[2].baseUrl: http://api.example.com is not allowed: use https (http is accepted only for localhost).',
      'runwatch.customProviders[3].fields.status: must be a JSON Pointer: empty, or "/" then names separated by "/" (with ~0 for ~ and ~1 for /).',
      'runwatch.customProviders[4].start.body: ${input.topic} is not known: declare an input named "topic" under inputs.',
      'runwatch.customProviders[5].statusMap.DONE: must be one of "queued", "running", "succeeded", "failed", "cancelled", not "finished".',
      'runwatch.customProviders[6]: has no field "pollEvery" (a typo?).',
      'runwatch.customProviders[7].id: "first" is declared twice; only the first declaration is used.',
      'runwatch.customProviders[8].displayName: must be text, not the number 3.',
      "runwatch.customProviders[9].status.path: must contain ${runId}, where the run's id goes.",
      'runwatch.customProviders[10].auth.header: "Host" is set by Runwatch itself; use the header your API reads the key from.',
      'runwatch.customProviders[11]: must be an object, not the text "not a declaration".',
    ]);
  });

  it('names a missing required field, and a setting that is not a list', () => {
    const { problems } = parseCustomProviders([{ ...base(), status: undefined }]);
    assert.deepEqual(problems, ['runwatch.customProviders[0].status: is required (an object).']);
    assert.deepEqual(parseCustomProviders({ id: 'x' }).problems, ['runwatch.customProviders: must be a list of provider declarations, not an object.']);
    assert.deepEqual(parseCustomProviders(undefined), { declarations: [], problems: [] });
  });

  it('the published JSON Schema is the one package.json contributes for the setting, and it has the zod schema\'s fields', () => {
    const root = path.resolve(__dirname, '../../..');
    const published = JSON.parse(fs.readFileSync(path.join(root, 'schemas/customProviders.schema.json'), 'utf8'));
    // The manifest as VS Code shows it: its descriptions are %key% placeholders with the texts in package.nls.json.
    const setting = englishManifest().contributes.configuration.properties['runwatch.customProviders'];
    assert.equal(setting.scope, 'application');
    assert.equal(setting.type, 'array');
    assert.deepEqual(setting.items, published.items);
    assert.deepEqual(fieldsOfJsonSchema(published.items), fieldsOfZod(declarationSchema));
  });

  it('tasks.json offers the built-in providers and accepts a declared one as custom:<id> (no squiggle)', () => {
    const provider = englishManifest().contributes.taskDefinitions[0].properties.provider;
    const [builtIns, declared] = provider.anyOf as [{ enum: string[] }, { pattern: string }];
    assert.deepEqual(builtIns.enum, [...BUILTIN_PROVIDER_IDS]);
    const pattern = new RegExp(declared.pattern);
    const { declarations } = parseCustomProviders([{ ...base(), id: 'a-0123456789012345678901234567890123456' }]);
    assert.ok(pattern.test(declarations[0].providerId) && pattern.test('custom:gloria'));
    for (const wrong of ['custom:', 'custom:Gloria', 'gloria', 'custom:gloria:x']) assert.ok(!pattern.test(wrong), wrong);
  });

  it('the JSON Schema accepts the worked example and refuses what zod refuses for type, required field and enum', () => {
    const root = path.resolve(__dirname, '../../..');
    const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas/customProviders.schema.json'), 'utf8'));
    assert.equal(checkAgainstSchema([base()], schema), undefined);
    assert.ok(checkAgainstSchema([{ ...base(), status: undefined }], schema));
    assert.ok(checkAgainstSchema([{ ...base(), displayName: 3 }], schema));
    assert.ok(checkAgainstSchema([{ ...base(), start: { path: '/x', method: 'GET' } }], schema));
    assert.equal(parseCustomProviders([{ ...base(), start: { path: '/x', method: 'GET' } }]).declarations.length, 0);
  });
});

/** Every field path of a JSON Schema object, with whether it is required: `start.path!`, `inputs[].name!`. */
function fieldsOfJsonSchema(schema: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [name, child] of Object.entries((schema.properties as Record<string, Record<string, unknown>>) ?? {})) {
    const here = `${prefix}${name}${required.has(name) ? '!' : ''}`;
    out.push(here);
    if (child.type === 'object' && child.properties) out.push(...fieldsOfJsonSchema(child, `${prefix}${name}.`));
    const items = child.items as Record<string, unknown> | undefined;
    if (child.type === 'array' && items?.properties) out.push(...fieldsOfJsonSchema(items, `${prefix}${name}[].`));
  }
  return out.sort();
}

interface ZodSchema {
  _zod: { def: ZodDef; innerType?: ZodSchema };
}
interface ZodDef {
  type: string;
  shape?: Record<string, ZodSchema>;
  innerType?: ZodSchema;
  element?: ZodSchema;
}

/** A schema's definition, through the z.lazy wrappers the module-level schemas are built on first use with. */
function defOf(schema: ZodSchema): ZodDef {
  return schema._zod.def.type === 'lazy' ? defOf(schema._zod.innerType!) : schema._zod.def;
}

function fieldsOfZod(schema: unknown, prefix = ''): string[] {
  const def = defOf(schema as ZodSchema);
  const out: string[] = [];
  for (const [name, child] of Object.entries(def.shape ?? {})) {
    let inner = defOf(child);
    const optional = inner.type === 'optional';
    if (optional) inner = defOf(inner.innerType!);
    out.push(`${prefix}${name}${optional ? '' : '!'}`);
    if (inner.type === 'object') out.push(...fieldsOfZod({ _zod: { def: inner } }, `${prefix}${name}.`));
    if (inner.type === 'array' && defOf(inner.element!).type === 'object') out.push(...fieldsOfZod(inner.element, `${prefix}${name}[].`));
  }
  return out.sort();
}

describe('Custom providers: the REST adapter against the simulator', () => {
  let sim: Simulator;
  let log: RecordingLogger;
  const secrets: Record<string, string> = { ai_ark_api_key: 'ark-secret-1111aaaa', exa_api_key: 'exa-secret-2222bbbb', openrouter_api_key: 'sk-or-secret-3333cccc' };
  const context = (key: string, baseUrl: string): ProviderContext => ({ baseUrl, getKey: async () => key, getSecret: async name => secrets[name], log });
  const poll = (provider: Provider, run: Run) => provider.getRun({ accountId: run.accountId, id: run.id, kind: run.kind });

  before(async () => {
    sim = await createSimulator().start();
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(() => {
    sim.reset();
    log = recordingLogger();
  });
  afterEach(() => {
    for (const line of log.lines) for (const secret of [...Object.values(secrets), ...Object.values(SIM_KEYS)]) assert.ok(!line.includes(secret), `a log line carries a secret: ${line}`);
  });

  describe('GloriaMundo declared', () => {
    let gm: GloriaMundoSim;
    let builtIn: GloriaMundoProvider;
    let custom: CustomRestProvider;

    beforeEach(() => {
      gm = sim.provider<GloriaMundoSim>('gloriaMundo');
      gm.addWorkflow('wf_daily_digest', DIGEST);
      builtIn = new GloriaMundoProvider(context(SIM_KEYS.gloriaMundo, sim.baseUrl('gloriaMundo')));
      custom = new CustomRestProvider(declare(gloriaMundoDeclaration(sim.baseUrl('gloriaMundo'))), context(SIM_KEYS.gloriaMundo, sim.baseUrl('gloriaMundo')));
    });

    it('says what it can do from the declaration: workflows by id, no list, no cancel, a result', async () => {
      assert.deepEqual(custom.capabilities, {
        listAccounts: false,
        addAccount: 'byId',
        listRuns: false,
        cancel: false,
        cancelUnavailableReason: 'The declaration of Gloria (declared) (runwatch.customProviders) has no cancel call.',
        result: true,
        trackWithoutAccount: true,
      });
      assert.equal(custom.accountNoun, 'workflow');
      assert.deepEqual(custom.pollBudget, builtIn.pollBudget);
      const account = await custom.addAccount({ value: 'wf_daily_digest', label: 'Daily digest' });
      const [kind] = await custom.listKinds(account);
      assert.deepEqual([kind.label, kind.inputs], ['Run workflow', [{ name: 'input', label: 'Input (JSON object)', type: 'json', required: false }]]);
    });

    it('starts with the same request and follows the run to the same states as the built-in adapter', async () => {
      const account = await custom.addAccount({ value: 'wf_daily_digest', label: 'Daily digest' });
      const [kind] = await custom.listKinds(account);
      const { run } = await custom.startRun(account, kind, { input: '{"channel": "#daily-digest"}' });
      assert.deepEqual([run.provider, run.status, run.accountId, run.kind], ['custom:gloria', 'queued', 'wf_daily_digest', 'Daily digest']);
      await builtIn.startRun(account, GM_RUN_KIND, { input: { channel: '#daily-digest' } });
      const [byCustom, byBuiltIn] = sim.requestsFor('gloriaMundo', /execute$/);
      assert.deepEqual([byCustom.method, byCustom.path, byCustom.auth], [byBuiltIn.method, byBuiltIn.path, byBuiltIn.auth]);
      assert.deepEqual(gm.started[0].input, gm.started[1].input, 'the same workflow input arrived');
      assert.deepEqual(gm.started[0].input, { channel: '#daily-digest' });

      for (const advance of [0, 1_000 + 2 * 21_000 + 500, 3 * 21_000]) {
        sim.clock.advance(advance);
        assert.deepEqual(seen(await poll(custom, run)), seen(await poll(builtIn, run)));
      }
      const done = await poll(custom, run);
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.progress, { index: 5, total: 5, current: 'Post to Slack', percent: 100 });
      assert.deepEqual(done.result, DIGEST.result);
      assert.equal(done.durationSeconds, 105);
    });

    it('reads a failed run the same: the error, the step it died on, the progress', async () => {
      gm.addWorkflow('wf_mail', { ...DIGEST, failAtStep: { step: 3, error: 'Gmail connection expired. Please reconnect.', costCents: 8 } });
      const account = await custom.addAccount({ value: 'wf_mail' });
      const { run } = await custom.startRun(account, (await custom.listKinds(account))[0], {});
      sim.clock.advance(10 * 60_000);
      const failed = await poll(custom, run);
      assert.deepEqual(failed.error, { message: 'Gmail connection expired. Please reconnect.', step: 'step 3/5 · Send email' });
      assert.deepEqual(seen(failed), seen(await poll(builtIn, run)));
    });

    it('polls at the declared cadence, which is the built-in one', () => {
      const run = { status: 'running' } as Run;
      const cadence = (p: Provider) => [0, 4, 5, 6, 7, 8, 30].map(polls => p.cadenceMs(run, { polls, ageMs: 0 }));
      assert.deepEqual(cadence(custom), cadence(builtIn));
      assert.deepEqual(cadence(custom), [2_000, 2_000, 3_000, 4_500, 6_750, 10_000, 10_000]);
    });

    it('a pointer that lands on the wrong type is a bad answer naming the pointer and the declaration', async () => {
      const account = await custom.addAccount({ value: 'wf_daily_digest' });
      const { run } = await custom.startRun(account, (await custom.listKinds(account))[0], {});
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', rewrite: 'wrongTypes' });
      const error = await rejection(poll(custom, run));
      assert.equal(error.kind, 'badResponse');
      assert.match(error.message, /^Gloria \(declared\) answered with the number \d+ at "\/status", where fields\.status of the runwatch\.customProviders declaration "gloria" expects a status text\./);

      const wrongPointer = new CustomRestProvider(
        declare({ ...gloriaMundoDeclaration(sim.baseUrl('gloriaMundo')), fields: { id: '/run_id', status: '/status', progress: { stage: '/progress' } } }),
        context(SIM_KEYS.gloriaMundo, sim.baseUrl('gloriaMundo')),
      );
      sim.clock.advance(30_000);
      const stageError = await rejection(poll(wrongPointer, run));
      assert.match(stageError.message, /answered with an object at "\/progress", where fields\.progress\.stage of the runwatch\.customProviders declaration "gloria" expects a stage name \(text\)/);
    });

    it('goes through the shared HTTP client: Retry-After on a 429, HTML error pages, a wrong key', async () => {
      const account = await custom.addAccount({ value: 'wf_daily_digest' });
      const [kind] = await custom.listKinds(account);
      const { run } = await custom.startRun(account, kind, {});
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', status: 429, headers: { 'retry-after': '7' }, body: { error: 'rate_limited' } });
      const limited = await rejection(poll(custom, run));
      assert.deepEqual([limited.kind, limited.retryAfterMs], ['rateLimited', 7_000]);
      sim.addFault({ provider: 'gloriaMundo', path: '/status$', status: 502, html: true });
      const html = await rejection(poll(custom, run));
      assert.equal(html.kind, 'server');
      assert.match(html.message, /Gloria \(declared\) had a server error \(HTTP 502, an HTML error page/);

      const wrongKey = new CustomRestProvider(custom.declaration, context('gm_live_wrong', sim.baseUrl('gloriaMundo')));
      assert.equal((await rejection(wrongKey.validateKey())).kind, 'auth');
      await custom.validateKey();
      assert.equal((await rejection(new CustomRestProvider(custom.declaration, { ...context('', sim.baseUrl('gloriaMundo')) }).startRun(account, kind, {}))).kind, 'noKey');
    });
  });

  describe('Automindz declared', () => {
    let builtIn: AutomindzProvider;
    let custom: Provider;

    beforeEach(() => {
      builtIn = new AutomindzProvider(context(SIM_KEYS.automindz, sim.baseUrl('automindz')));
      // Through the same redaction boundary as every adapter.
      custom = customDescriptor(declare(automindzDeclaration(sim.baseUrl('automindz')))).create(context(SIM_KEYS.automindz, sim.baseUrl('automindz')));
    });

    it('has one fixed account, named after the start, and asks for the third-party keys as secrets', async () => {
      const accounts = await custom.listAccounts();
      assert.deepEqual(accounts.map(a => [a.id, a.label]), [['default', 'Find leavers']]);
      assert.equal(custom.capabilities.addAccount, 'none');
      const [kind] = await custom.listKinds(accounts[0]);
      assert.deepEqual(kind.inputs.filter(f => f.secret).map(f => f.name), AMZ_SECRET_NAMES);
    });

    it('starts with the secrets from SecretStorage and gives the same runs as the built-in adapter, to success', async () => {
      const [account] = await custom.listAccounts();
      const [kind] = await custom.listKinds(account);
      const { run } = await custom.startRun(account, kind, { org_name: 'Acme', industries: ['software development'], limit: 5 });
      assert.equal(run.status, 'queued');
      assert.equal(run.rawStatus, 'QUEUED');
      // The simulator refuses a start without the three third-party keys (422), so this one carried them.
      const [start] = sim.requestsFor('automindz', /leavers$/);
      assert.deepEqual([start.status, start.auth], [202, 'bearer']);
      assert.deepEqual(sim.provider<AutomindzSim>('automindz').started.map(s => [s.runId, s.input]), [[run.id, { org_name: 'Acme' }]]);

      for (const advance of [0, 5_000, 40_000]) {
        sim.clock.advance(advance);
        assert.deepEqual(seen(await poll(custom, run), { progress: false }), seen(await poll(builtIn, run), { progress: false }));
      }
      const done = await poll(custom, run);
      assert.equal(done.status, 'succeeded');
      assert.equal((done.result as { summary: { leavers_count: number } }).summary.leavers_count, 1);
      assert.ok(!JSON.stringify(done).includes(secrets.exa_api_key));
    });

    it('maps a failed run like the built-in adapter: message and failing step', async () => {
      const [account] = await custom.listAccounts();
      const [kind] = await custom.listKinds(account);
      sim.provider<AutomindzSim>('automindz').scriptNextRun({ fail: { message: 'Exa quota exhausted', step_id: 'search_people' }, durationMs: 8_000 });
      const { run } = await custom.startRun(account, kind, { org_name: 'Acme', industries: ['software development'] });
      sim.clock.advance(10_000);
      const failed = await poll(custom, run);
      assert.deepEqual(failed.error, { message: 'Exa quota exhausted', step: 'search_people' });
      assert.deepEqual(seen(failed, { progress: false, result: false }), seen(await poll(builtIn, run), { progress: false, result: false }));
    });

    it('refuses a start that misses a required input before sending anything', async () => {
      const [account] = await custom.listAccounts();
      const [kind] = await custom.listKinds(account);
      const error = await rejection(custom.startRun(account, kind, { industries: ['x'] }));
      assert.equal(error.kind, 'validation');
      assert.equal(error.message, 'Leavers (declared) "Find leavers" needs org_name.');
      assert.equal(sim.requestsFor('automindz').length, 0);
      assert.equal(LEAVERS_KIND.id, 'leavers');
    });
  });

  describe('optional list and cancel (Boring Marketing\'s runs)', () => {
    it('lists an account\'s runs at the items pointer and cancels through the declared call', async () => {
      const bm = sim.provider<BoringMarketingSim>('boringMarketing');
      const brand = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
      const running = bm.addRun(brand.id, { kind: 'scoring', status: 'running', durationMs: 60 * 60_000 });
      bm.addRun(brand.id, { kind: 'scoring', status: 'done', finishedAgoMs: 60_000 });
      const custom = new CustomRestProvider(
        declare({
          id: 'brands',
          displayName: 'Brands (declared)',
          baseUrl: sim.baseUrl('boringMarketing'),
          auth: { header: 'X-API-Key' },
          accountNoun: 'brand',
          start: { path: '/brands/${accountId}/scoring' },
          status: { path: '/brands/${accountId}/runs/${runId}' },
          list: { path: '/brands/${accountId}/runs', items: '/runs' },
          cancel: { path: '/brands/${accountId}/runs/${runId}/cancel' },
          fields: { id: '/id', status: '/status', progress: { stage: '/current_stage' }, error: '/error', startedAt: '/started_at', finishedAt: '/finished_at' },
          statusMap: { done: 'succeeded' },
        }),
        context(SIM_KEYS.boringMarketing, sim.baseUrl('boringMarketing')),
      );
      assert.deepEqual([custom.capabilities.listRuns, custom.capabilities.cancel, custom.capabilities.trackWithoutAccount], [true, true, false]);
      const account = await custom.addAccount({ value: brand.id, label: 'Acme' });
      const page = await custom.listRuns(account);
      assert.deepEqual(page.runs.map(r => r.status).sort(), ['running', 'succeeded']);
      assert.equal(sim.requestsFor('boringMarketing')[0].auth, 'x-api-key');

      const cancelled = await custom.cancelRun!({ accountId: brand.id, id: running.id });
      assert.equal(cancelled.status, 'failed', 'the API records a cancel as failed');
      assert.equal(cancelled.error?.message, 'Cancelled via API');
      assert.deepEqual(sim.requestsFor('boringMarketing', /cancel$/).map(r => r.method), ['POST']);
    });
  });
});

/** The service as the composition root builds it: built-in providers, then the declared ones, then the store loads. */
function serviceWith(storage: MemoryStorage, vault: MapVault, declarations: readonly CustomDeclaration[]) {
  const deps = createDefaultServiceDeps();
  deps.providers.setDeclared(declarations.map(customDescriptor));
  const service = createRunwatchService(
    {
      storage,
      keys: vault,
      // As settings resolve it: a declared provider's address is its declaration's.
      baseUrl: id => validateBaseUrl(deps.providers.facts(id).defaultBaseUrl),
      log: silentLogger,
      scheduler: { whenUnfocused: 'normal', unfocusedFactor: 1, maxConcurrentPerProvider: 4, stuckAfterMs: 15 * 60_000, minIntervalMs: {} },
    },
    deps,
  );
  return service;
}

describe('Custom providers: through the engine', () => {
  let sim: Simulator;

  before(async () => {
    sim = await createSimulator().start();
  });
  after(async () => {
    await sim.stop();
  });

  it('a declared provider is listed, started, polled to success and its run is kept across a restart', async () => {
    sim.reset();
    sim.provider<GloriaMundoSim>('gloriaMundo').addWorkflow('wf_daily_digest', DIGEST);
    const { declarations } = parseCustomProviders([gloriaMundoDeclaration(sim.baseUrl('gloriaMundo'))]);
    const storage = new MemoryStorage();
    const vault = new MapVault([['custom:gloria', SIM_KEYS.gloriaMundo]]);
    const make = () => serviceWith(storage, vault, declarations);
    const service = make();
    try {
      assert.deepEqual(service.providerIds().slice(-1), ['custom:gloria']);
      assert.equal(service.displayName('custom:gloria'), 'Gloria (declared)');
      const account = await service.addAccount('custom:gloria', { value: 'wf_daily_digest', label: 'Daily digest' });
      const [kind] = await service.kinds('custom:gloria', account);
      const { run } = await service.startRun('custom:gloria', account, kind, { input: { channel: '#daily-digest' } });
      const key = `custom:gloria:${run.id}`;
      assert.deepEqual(service.store.get(key)?.run.input, { kindId: 'start', values: { input: { channel: '#daily-digest' } } });
      sim.clock.advance(10 * 60_000);
      await service.refreshNow([key]);
      assert.equal(service.store.get(key)?.run.status, 'succeeded');
      assert.deepEqual(service.store.get(key)?.run.result, DIGEST.result);
      assert.equal(service.health('custom:gloria').state, 'ok');
    } finally {
      service.dispose();
      await service.store.flush();
    }
    const restarted = make();
    try {
      const kept = restarted.store.get([...restarted.store.all()].map(t => t.key).find(k => k.startsWith('custom:gloria:'))!);
      assert.equal(kept?.run.status, 'succeeded', 'the run of a declared provider survives a restart');
      assert.deepEqual(restarted.accounts('custom:gloria')?.map(a => a.id) ?? (await restarted.refreshAccounts('custom:gloria')).map(a => a.id), ['wf_daily_digest']);
    } finally {
      restarted.dispose();
    }
  });

  it('a declaration that goes takes its runs aside (kept in storage) and brings them back when declared again', async () => {
    sim.reset();
    sim.provider<GloriaMundoSim>('gloriaMundo').addWorkflow('wf_daily_digest', DIGEST);
    const { declarations } = parseCustomProviders([gloriaMundoDeclaration(sim.baseUrl('gloriaMundo'))]);
    const storage = new MemoryStorage();
    const vault = new MapVault([['custom:gloria', SIM_KEYS.gloriaMundo]]);
    const first = serviceWith(storage, vault, declarations);
    let key: string;
    try {
      const account = await first.addAccount('custom:gloria', { value: 'wf_daily_digest' });
      const { run } = await first.startRun('custom:gloria', account, (await first.kinds('custom:gloria', account))[0], {});
      key = `custom:gloria:${run.id}`;
    } finally {
      first.dispose();
      await first.store.flush();
    }

    // A session without the declaration: the run is not loaded, but stays saved.
    const service = serviceWith(storage, vault, []);
    try {
      assert.equal(service.store.get(key), undefined);
      assert.ok(!service.providerIds().includes('custom:gloria'));
      await service.store.flush();
      assert.ok(JSON.stringify(storage.get('runwatch.trackedRuns.v1')).includes(runIdOf(key)), 'the run stays in storage');

      // Declared again while running: the registry says which ids changed, and the run is back.
      const changes: (readonly string[])[] = [];
      const storeChanges: string[][] = [];
      service.providers.onDidChange(change => changes.push(change.ids));
      service.store.onDidChange(change => storeChanges.push(change.keys));
      service.providers.setDeclared(declarations.map(customDescriptor));
      assert.deepEqual(changes, [['custom:gloria']]);
      assert.equal(service.store.get(key)?.run.status, 'queued');
      assert.deepEqual(service.store.forAccount('custom:gloria', 'wf_daily_digest').map(t => t.key), [key]);
      await Promise.resolve();
      assert.deepEqual(storeChanges, [[key]], 'the tree and the status bar hear of it');
      sim.clock.advance(10 * 60_000);
      await service.refreshNow([key]);
      assert.equal(service.store.get(key)?.run.status, 'succeeded', 'it is polled like any run');

      // Gone again: the run leaves the store but not the storage.
      service.providers.setDeclared([]);
      assert.deepEqual(changes, [['custom:gloria'], ['custom:gloria']]);
      assert.equal(service.store.get(key), undefined);
      assert.deepEqual(service.store.forAccount('custom:gloria', 'wf_daily_digest'), []);
      await service.store.flush();
      const saved = storage.get<{ key: string; run: { status: string } }[]>('runwatch.trackedRuns.v1') ?? [];
      assert.deepEqual(saved.filter(t => t.key === key).map(t => t.run.status), ['succeeded']);
    } finally {
      service.dispose();
    }
  });
});

describe('Provider registry: the declared set', () => {
  const declared = (id: string, displayName = id) => customDescriptor(declare({ ...gloriaMundoDeclaration('https://api.example.com/v1'), id, displayName }));

  it('replaces the previous set after the built-ins, in order, and says which ids came, went or changed', () => {
    const registry = createDefaultServiceDeps().providers;
    const builtIns = registry.ids();
    const heard: (readonly string[])[] = [];
    registry.onDidChange(change => heard.push(change.ids));
    registry.setDeclared([declared('b'), declared('a', 'Alpha')]);
    assert.deepEqual(registry.ids(), [...builtIns, 'custom:b', 'custom:a']);
    assert.equal(registry.displayName('custom:a'), 'Alpha');
    assert.deepEqual([registry.facts('custom:a').accountNoun, registry.facts('custom:a').icon, registry.facts('custom:a').defaultBaseUrl], ['workflow', 'symbol-event', 'https://api.example.com/v1']);
    registry.setDeclared([declared('a', 'Alpha 2'), declared('c')]);
    assert.deepEqual(registry.ids(), [...builtIns, 'custom:a', 'custom:c']);
    assert.equal(registry.displayName('custom:a'), 'Alpha 2');
    assert.ok(!registry.has('custom:b'));
    assert.deepEqual(heard, [['custom:b', 'custom:a'], ['custom:b', 'custom:a', 'custom:c']]);
    registry.setDeclared([]);
    registry.setDeclared([]);
    assert.deepEqual(registry.ids(), builtIns);
    assert.deepEqual(heard.length, 3, 'an empty set replacing an empty set is no change');
  });

  it('refuses an id a built-in has, or one given twice, and changes nothing then', () => {
    const registry = createDefaultServiceDeps().providers;
    registry.setDeclared([declared('a')]);
    const before = registry.ids();
    assert.throws(() => registry.setDeclared([{ ...declared('x'), id: 'gloriaMundo' }]), /already has a provider with the id "gloriaMundo"/);
    assert.throws(() => registry.setDeclared([declared('b'), declared('b')]), /"custom:b"/);
    assert.deepEqual(registry.ids(), before);
    assert.equal(registry.get('gloriaMundo')?.displayName, 'GloriaMundo');
  });
});

describe('Custom providers: command arguments', () => {
  it('a declared provider\'s run key (custom:<id>:<runId>) names its provider, and only while it is declared', () => {
    const registry = createDefaultServiceDeps().providers;
    registry.setDeclared([customDescriptor(declare(gloriaMundoDeclaration('https://api.example.com/v1')))]);
    assert.equal(runKeyOf('custom:gloria:run:7', registry), 'custom:gloria:run:7');
    assert.equal(providerOf('custom:gloria:run:7', registry), 'custom:gloria');
    assert.equal(providerOf({ key: 'custom:gloria:r1' }, registry), 'custom:gloria');
    assert.equal(providerOf('gloriaMundo:r1', registry), 'gloriaMundo');
    assert.equal(runKeyOf('custom:gloria:', registry), undefined);
    registry.setDeclared([]);
    assert.equal(providerOf('custom:gloria:r1', registry), undefined);
  });
});

/** The run id part of a run key. */
function runIdOf(key: string): string {
  return key.slice(key.lastIndexOf(':') + 1);
}
