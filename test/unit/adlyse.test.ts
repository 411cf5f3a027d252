// Adlyse over MCP end to end: the adapter and its SDK session against the simulator's real MCP server.
import * as assert from 'node:assert/strict';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import {
  HEADER_MISMATCH,
  META_CLIENT_CAPABILITIES,
  META_CLIENT_INFO,
  META_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSION,
  UNSUPPORTED_PROTOCOL_VERSION,
  type AdlyseSim,
} from '../simulator/adlyse';
import { AdlyseProvider, inputFields, labelOutput } from '../../src/providers/adlyse/adlyse';
import { createMcpSession, type McpSession } from '../../src/providers/adlyse/mcpSession';
import type { Account, PipelineKind } from '../../src/providers/provider';
import { recordingLogger, rejection, type RecordingLogger } from './support';
import { secretRedactor } from '../../src/core/errors';
import type { SchedulerOptions } from '../../src/core/contracts';
import { keyOf } from '../../src/core/run';
import { Scheduler } from '../../src/core/scheduler';
import { RunStore } from '../../src/core/store';

const SCHEDULER_OPTIONS: SchedulerOptions = { whenUnfocused: 'normal', unfocusedFactor: 1, maxConcurrentPerProvider: 4, stuckAfterMs: 0, minIntervalMs: {} };

const KEY = SIM_KEYS.adlyse;

/** The _meta a 2026-07-28 request carries. */
const MODERN_META = {
  [META_PROTOCOL_VERSION]: MODERN_PROTOCOL_VERSION,
  [META_CLIENT_CAPABILITIES]: {},
  [META_CLIENT_INFO]: { name: 'probe', version: '0' },
};

interface RpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: { supported?: string[] } };
}

describe('Adlyse over MCP', () => {
  let sim: Simulator;
  let adlyse: AdlyseSim;
  let log: RecordingLogger;
  let key: string | undefined;
  const providers: AdlyseProvider[] = [];
  const sessions: McpSession[] = [];

  function provider(options: { baseUrl?: string; timeoutMs?: number; secrets?: Record<string, string> } = {}): AdlyseProvider {
    const secrets = options.secrets ?? {};
    const p = new AdlyseProvider({
      baseUrl: options.baseUrl ?? sim.baseUrl('adlyse'),
      getKey: async () => key,
      getSecret: async name => secrets[name],
      log,
      timeoutMs: options.timeoutMs ?? 5_000,
    });
    providers.push(p);
    return p;
  }

  function session(options: { timeoutMs?: number } = {}): McpSession {
    const s = createMcpSession({ url: `${sim.baseUrl('adlyse')}/`, getKey: async () => key, log, timeoutMs: options.timeoutMs ?? 5_000, serverName: 'Adlyse', redactor: secretRedactor });
    sessions.push(s);
    return s;
  }

  /**
   * One hand-made 2026-07-28 POST: the headers and _meta a conforming client sends, with `headers` (undefined
   * removes one) and `params._meta` overriding them.
   */
  async function modernPost(
    method: string,
    params: Record<string, unknown> = {},
    headers: Record<string, string | undefined> = {},
  ): Promise<{ status: number; body: RpcAnswer; response: Response }> {
    const all: Record<string, string | undefined> = {
      authorization: `Bearer ${KEY}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': MODERN_PROTOCOL_VERSION,
      'mcp-method': method,
      'mcp-name': typeof params.name === 'string' ? params.name : undefined,
      ...headers,
    };
    const response = await fetch(`${sim.baseUrl('adlyse')}/`, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: { _meta: MODERN_META, ...params } }),
    });
    return { status: response.status, body: (await response.json()) as RpcAnswer, response };
  }

  async function account(p: AdlyseProvider, name: string): Promise<Account> {
    const found = (await p.listAccounts()).find(a => a.label === name);
    assert.ok(found, `workflow ${name} listed`);
    return found;
  }

  async function runKind(p: AdlyseProvider, a: Account): Promise<PipelineKind> {
    const kinds = await p.listKinds(a);
    assert.equal(kinds.length, 1);
    return kinds[0];
  }

  before(async () => {
    sim = await createSimulator().start();
    adlyse = sim.provider<AdlyseSim>('adlyse');
  });

  after(async () => {
    await sim.stop();
  });

  beforeEach(() => {
    sim.reset();
    adlyse.addKey(KEY);
    adlyse.seedDemo();
    key = KEY;
    log = recordingLogger();
  });

  afterEach(async () => {
    for (const p of providers.splice(0)) await p.dispose();
    for (const s of sessions.splice(0)) await s.close();
    // Whatever happened, the key never reached a log line.
    for (const line of log.lines) assert.ok(!line.includes(KEY), `key in log line: ${line}`);
  });

  describe('session', () => {
    it('initializes once, gets a session id and sends it with every later request', async () => {
      const s = session();
      const first = await s.callTool('list_workflows', {});
      assert.equal(first.isError, false);
      assert.equal((first.data as { workflows: unknown[] }).workflows.length, 3);
      assert.ok(s.sessionId, 'the server assigned an Mcp-Session-Id');
      await s.callTool('list_workflows', {});

      assert.equal(adlyse.initializeCount, 1);
      const methods = adlyse.rpcLog.map(e => e.method);
      assert.deepEqual(methods, ['initialize', 'notifications/initialized', 'tools/call', 'tools/call']);
      for (const entry of adlyse.rpcLog.slice(1)) assert.equal(entry.sessionId, s.sessionId);
      assert.ok(sim.requestsFor('adlyse').every(r => r.auth === 'bearer'), 'every request carried a Bearer key');
    });

    it('connects only when a call needs it', async () => {
      const p = provider();
      assert.deepEqual(p.checkKeyFormat(KEY), {});
      assert.equal(p.cadenceMs(), 1_000);
      assert.equal(sim.requestsFor('adlyse').length, 0);
      await p.validateKey();
      assert.equal(adlyse.initializeCount, 1);
    });

    it('reads text-only results as JSON and keeps non-JSON text as text', async () => {
      adlyse.resultFormat = 'text';
      const s = session();
      const result = await s.callTool('get_workflow', { workflow_id: adlyse.workflowByName('Lead enrichment').id });
      assert.equal((result.data as { name: string }).name, 'Lead enrichment');
      assert.ok(result.text?.startsWith('{'));

      const p = provider();
      const a = await account(p, 'Weekly report');
      assert.equal(a.description, adlyse.workflowByName('Weekly report').description);
    });

    it('re-initializes transparently when the server expired the session', async () => {
      const p = provider();
      await p.listAccounts();
      adlyse.expireSessions();

      const accounts = await p.listAccounts();
      assert.equal(accounts.length, 3);
      assert.equal(adlyse.initializeCount, 2);
      assert.ok(adlyse.rpcLog.some(e => e.staleSession && e.method === 'tools/call'), 'the old session id was tried first');
      assert.ok(sim.requestsFor('adlyse').some(r => r.status === 404), 'the server answered 404 for the old session');
      assert.ok(log.lines.some(l => /session expired; starting a new session/.test(l)));
    });

    it('also re-initializes when the server answers 400 "No valid session ID" for an ended session', async () => {
      adlyse.unknownSessionStatus = 400;
      const p = provider();
      await p.listAccounts();
      adlyse.expireSessions();
      assert.equal((await p.listAccounts()).length, 3);
      assert.equal(adlyse.initializeCount, 2);
      assert.ok(sim.requestsFor('adlyse').some(r => r.status === 400));
    });

    it('re-initializes once when the connection broke, for calls safe to repeat', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const { run } = await p.startRun(a, await runKind(p, a), { email: 'lead@example.com' });
      sim.addFault({ provider: 'adlyse', method: 'POST', reset: true });

      const polled = await p.getRun({ accountId: a.id, id: run.id });
      assert.equal(polled.id, run.id);
      assert.equal(adlyse.initializeCount, 2);
    });

    it('does not start a run twice when the connection broke mid-request', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const kind = await runKind(p, a);
      sim.addFault({ provider: 'adlyse', method: 'POST', reset: true });

      const error = await rejection(p.startRun(a, kind, { email: 'lead@example.com' }));
      assert.equal(error.kind, 'network');
      assert.equal(sim.requestsFor('adlyse').filter(r => r.tool === 'run_workflow').length, 1, 'run_workflow was sent once, not retried');
    });

    it('opens a new session with the new key when the key changes', async () => {
      const p = provider();
      await p.listAccounts();
      const newKey = 'mii_prod_rotated0123456789';
      adlyse.addKey(newKey);
      adlyse.revokeKey(KEY);
      key = newKey;

      assert.equal((await p.listAccounts()).length, 3);
      assert.equal(adlyse.initializeCount, 2);
      for (const line of log.lines) assert.ok(!line.includes(newKey), `new key in log line: ${line}`);
    });

    it('closes the session on dispose', async () => {
      const p = provider();
      await p.listAccounts();
      assert.equal(adlyse.sessionCount, 1);
      await p.dispose();
      assert.equal(adlyse.sessionCount, 0, 'the client ended the session (DELETE)');
    });

    it('speaks to a session-era server with exactly the legacy handshake, with no 2026-07-28 probe', async () => {
      const s = session();
      await s.callTool('list_workflows', {});
      await s.callTool('get_workflow', { workflow_id: adlyse.workflowByName('Lead enrichment').id });
      assert.equal(s.era, 'legacy');
      assert.deepEqual(
        adlyse.rpcLog.map(e => [e.method, e.era]),
        [
          ['initialize', 'legacy'],
          ['notifications/initialized', 'legacy'],
          ['tools/call', 'legacy'],
          ['tools/call', 'legacy'],
        ],
      );
      // The optional GET stream may also appear; nothing the server refused.
      assert.deepEqual(sim.requestsFor('adlyse').filter(r => r.status >= 400), []);
    });

    it('accepts the endpoint with and without a trailing slash', async () => {
      for (const baseUrl of [sim.baseUrl('adlyse'), `${sim.baseUrl('adlyse')}/`]) {
        const accounts = await provider({ baseUrl }).listAccounts();
        assert.equal(accounts.length, 3, baseUrl);
      }
    });
  });

  for (const mode of ['sse', 'json'] as const) {
    describe(`${mode === 'sse' ? 'SSE stream' : 'JSON'} responses`, () => {
      beforeEach(() => {
        adlyse.responseMode = mode;
      });

      it('the server answers a POST in this mode', async () => {
        const response = await fetch(`${sim.baseUrl('adlyse')}/`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '0' } },
          }),
        });
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', mode === 'sse' ? /^text\/event-stream/ : /^application\/json/);
        assert.ok(response.headers.get('mcp-session-id'));
        const body = await response.text();
        assert.match(body, /"protocolVersion":"2025-06-18"/);
      });

      it('starts a run and polls it to completion with output, labels and duration', async () => {
        const p = provider();
        const a = await account(p, 'Lead enrichment');
        const { run } = await p.startRun(a, await runKind(p, a), { email: 'lead@example.com' });
        assert.match(run.id, /^agent_run_/);
        assert.equal(run.status, 'queued');
        assert.equal(run.rawStatus, 'pending');
        assert.equal(run.kind, 'Lead enrichment');

        const ref = { accountId: a.id, id: run.id, kind: run.kind };
        assert.equal((await p.getRun(ref)).status, 'queued');
        sim.clock.advance(2_000);
        const running = await p.getRun(ref);
        assert.equal(running.status, 'running');
        assert.equal(running.result, undefined);

        sim.clock.advance(7_000);
        const done = await p.getRun(ref);
        assert.equal(done.status, 'succeeded');
        assert.equal(done.rawStatus, 'completed');
        assert.deepEqual(done.result, { company: 'Example Corp', role: 'Head of Growth', seniority: 'Director' });
        assert.equal(done.durationSeconds, 8.4);
        assert.ok(done.finishedAt && done.startedAt && Date.parse(done.finishedAt) > Date.parse(done.startedAt));
        assert.deepEqual(
          labelOutput(done.result, done.raw?.output_schema).map(r => [r.label, r.value]),
          [
            ['Company', 'Example Corp'],
            ['Role', 'Head of Growth'],
            ['Seniority', 'Director'],
          ],
        );
        assert.ok(adlyse.rpcLog.filter(e => e.method === 'tools/call').every(e => e.responseMode === mode));
      });
    });
  }

  describe('2026-07-28 (sessionless) server', () => {
    beforeEach(() => {
      adlyse.era = 'modern';
    });

    it('recognizes a modern-only server from its refusal of the handshake, then sends no initialize and no session', async () => {
      const s = session();
      const first = await s.callTool('list_workflows', {});
      assert.equal((first.data as { workflows: unknown[] }).workflows.length, 3);
      await s.callTool('get_workflow', { workflow_id: adlyse.workflowByName('Lead enrichment').id });

      assert.equal(s.era, 'modern');
      assert.equal(s.sessionId, undefined);
      assert.deepEqual(
        adlyse.rpcLog.map(e => [e.method, e.tool, e.refusedWith]),
        [
          ['initialize', undefined, UNSUPPORTED_PROTOCOL_VERSION],
          ['tools/call', 'list_workflows', undefined],
          ['tools/call', 'get_workflow', undefined],
        ],
      );
      assert.deepEqual(sim.requestsFor('adlyse').map(r => [r.method, r.status]), [['POST', 400], ['POST', 200], ['POST', 200]]);
      assert.equal(adlyse.sessionCount, 0);
      assert.ok(log.lines.some(l => /switching to MCP 2026-07-28/.test(l)));
    });

    it('sends the request-metadata headers and the same values in _meta, with the key as a Bearer header', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      await runKind(p, a);
      const calls = adlyse.rpcLog.filter(e => e.method === 'tools/call');
      assert.deepEqual(calls.map(e => e.tool), ['list_workflows', 'get_workflow']);
      for (const call of calls) {
        assert.deepEqual(call.headers, { protocolVersion: '2026-07-28', method: 'tools/call', name: call.tool });
        assert.equal(call.meta?.[META_PROTOCOL_VERSION], '2026-07-28');
        assert.deepEqual(call.meta?.[META_CLIENT_CAPABILITIES], {});
        assert.deepEqual(call.meta?.[META_CLIENT_INFO], { name: 'runwatch', version: '0.1.0' });
        assert.equal(call.sessionId, undefined);
      }
      assert.ok(sim.requestsFor('adlyse').every(r => r.auth === 'bearer' && r.method === 'POST'));
    });

    for (const mode of ['json', 'sse'] as const) {
      it(`starts a run and polls it to completion over ${mode === 'json' ? 'JSON' : 'SSE'} answers`, async () => {
        adlyse.modernResponseMode = mode;
        const p = provider();
        const a = await account(p, 'Lead enrichment');
        const { run } = await p.startRun(a, await runKind(p, a), { email: 'lead@example.com' });
        assert.match(run.id, /^agent_run_/);
        assert.equal(run.status, 'queued');

        const ref = { accountId: a.id, id: run.id, kind: run.kind };
        assert.equal((await p.getRun(ref)).status, 'queued');
        sim.clock.advance(2_000);
        assert.equal((await p.getRun(ref)).status, 'running');
        sim.clock.advance(7_000);
        const done = await p.getRun(ref);
        assert.equal(done.status, 'succeeded');
        assert.deepEqual(done.result, { company: 'Example Corp', role: 'Head of Growth', seniority: 'Director' });
        assert.equal(done.durationSeconds, 8.4);
        assert.deepEqual(
          labelOutput(done.result, done.raw?.output_schema).map(r => r.label),
          ['Company', 'Role', 'Seniority'],
        );
        const calls = adlyse.rpcLog.filter(e => e.method === 'tools/call');
        assert.ok(calls.length >= 5);
        assert.ok(calls.every(e => e.era === 'modern' && e.responseMode === mode && e.refusedWith === undefined));
        assert.equal(adlyse.initializeCount, 1, 'only the first call tried the handshake');
      });
    }

    it('maps invalid_input, auth_error and a rejected key as in the session era', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const kind = await runKind(p, a);
      const invalid = await rejection(p.startRun(a, kind, {}));
      assert.equal(invalid.kind, 'validation');
      assert.equal(invalid.code, 'invalid_input');
      assert.match(invalid.message, /^Adlyse rejected the workflow input: .*'email'/);

      adlyse.addToolFault({ tool: 'list_workflows', error_type: 'auth_error', message: 'Invalid or inactive API key' });
      const toolAuth = await rejection(p.listAccounts());
      assert.equal(toolAuth.kind, 'auth');
      assert.equal(toolAuth.stopsProvider, true);
      assert.match(toolAuth.message, /^Adlyse rejected the API key: Invalid or inactive API key/);

      adlyse.revokeKey(KEY);
      const httpAuth = await rejection(p.listAccounts());
      assert.equal(httpAuth.kind, 'auth');
      assert.equal(httpAuth.status, 401);
      assert.ok(!httpAuth.message.includes(KEY));
    });

    it('maps JSON-RPC tool errors, not_found and an unknown tool as in the session era', async () => {
      adlyse.errorMode = 'jsonrpc';
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      assert.equal((await rejection(p.startRun(a, await runKind(p, a), {}))).kind, 'validation');
      const missing = await rejection(p.getRun({ accountId: a.id, id: 'agent_run_missing' }));
      assert.equal(missing.kind, 'notFound');
      assert.match(missing.message, /agent_run_missing not found/);
      const unknown = await rejection(session().callTool('no_such_tool', {}));
      assert.equal(unknown.kind, 'validation');
      assert.match(unknown.message, /Unknown tool: no_such_tool/);
    });

    it('reads a bare list sent as structuredContent, and text-only results', async () => {
      adlyse.listShape = 'array';
      const s = session();
      const list = await s.callTool('list_workflows', {});
      assert.ok(Array.isArray(list.data) && list.data.length === 3, 'structuredContent may be any JSON value');
      adlyse.resultFormat = 'text';
      assert.equal((await provider().listAccounts()).length, 3);
    });

    it('treats a missing resultType as complete and refuses input_required, which Runwatch cannot answer', async () => {
      const p = provider();
      const body = { run_id: 'agent_run_x', status: 'running', created_at: '2026-04-22T14:00:00Z' };
      adlyse.scriptToolResult({ tool: 'get_run_status', result: { resultType: undefined, content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body } });
      assert.equal((await p.getRun({ accountId: 'agent_x', id: 'agent_run_x' })).status, 'running');

      adlyse.scriptToolResult({ tool: 'get_run_status', result: { resultType: 'input_required', content: [], inputRequests: { confirm: { method: 'elicitation/create' } } } });
      const error = await rejection(p.getRun({ accountId: 'agent_x', id: 'agent_run_x' }));
      assert.equal(error.kind, 'unsupported');
      assert.match(error.message, /input_required/);

      adlyse.scriptToolResult({ tool: 'get_run_status', result: { resultType: 'later', content: [] } });
      assert.equal((await rejection(p.getRun({ accountId: 'agent_x', id: 'agent_run_x' }))).kind, 'badResponse');
    });

    it('times out, and after a broken connection repeats a poll but never a run start', async () => {
      const p = provider({ timeoutMs: 300 });
      const a = await account(p, 'Lead enrichment');
      const kind = await runKind(p, a);
      sim.addFault({ provider: 'adlyse', method: 'POST', hang: true });
      assert.equal((await rejection(p.listAccounts())).kind, 'timeout');
      assert.equal((await p.listAccounts()).length, 3, 'the next call works');

      const { run } = await p.startRun(a, kind, { email: 'lead@example.com' });
      sim.addFault({ provider: 'adlyse', method: 'POST', reset: true });
      assert.equal((await p.getRun({ accountId: a.id, id: run.id })).id, run.id);
      assert.equal(sim.requestsFor('adlyse').filter(r => r.tool === 'get_run_status').length, 2, 'the poll was sent again');

      sim.addFault({ provider: 'adlyse', method: 'POST', reset: true });
      assert.equal((await rejection(p.startRun(a, kind, { email: 'lead@example.com' }))).kind, 'network');
      assert.equal(sim.requestsFor('adlyse').filter(r => r.tool === 'run_workflow').length, 2, 'the broken run_workflow was not repeated');
    });

    it('names the versions of a server that speaks none Runwatch knows, after two requests', async () => {
      adlyse.modernVersions = ['2027-01-01'];
      const error = await rejection(provider().listAccounts());
      assert.equal(error.kind, 'badResponse');
      assert.match(error.message, /^Adlyse speaks MCP 2027-01-01 only; Runwatch speaks 2026-07-28 and 2025-11-25/);
      assert.deepEqual(adlyse.rpcLog.map(e => [e.method, e.refusedWith]), [['initialize', UNSUPPORTED_PROTOCOL_VERSION], ['tools/call', UNSUPPORTED_PROTOCOL_VERSION]]);
    });

    it('the simulator enforces the 2026-07-28 transport rules', async () => {
      for (const method of ['GET', 'DELETE']) {
        const response = await fetch(`${sim.baseUrl('adlyse')}/`, { method, headers: { authorization: `Bearer ${KEY}`, accept: 'text/event-stream' } });
        assert.equal(response.status, 405, method);
      }
      const discover = await modernPost('server/discover');
      assert.equal(discover.status, 200);
      assert.deepEqual(discover.body.result?.supportedVersions, ['2026-07-28']);
      assert.equal(discover.body.result?.resultType, 'complete');

      const call = await modernPost('tools/call', { name: 'list_workflows', arguments: {} }, { 'mcp-session-id': 'ignored' });
      assert.equal(call.status, 200);
      assert.equal(call.response.headers.get('mcp-session-id'), null, 'no session is minted or echoed');
      const encoded = await modernPost('tools/call', { name: 'list_workflows', arguments: {} }, { 'mcp-name': `=?base64?${Buffer.from('list_workflows').toString('base64')}?=` });
      assert.equal(encoded.status, 200, 'a base64-encoded Mcp-Name is decoded before comparing');

      const refusals: Array<[string, Awaited<ReturnType<typeof modernPost>>, number, number]> = [
        ['no MCP-Protocol-Version', await modernPost('tools/call', { name: 'list_workflows' }, { 'mcp-protocol-version': undefined }), 400, HEADER_MISMATCH],
        ['_meta version differs', await modernPost('tools/call', { name: 'list_workflows', _meta: { ...MODERN_META, [META_PROTOCOL_VERSION]: '2025-11-25' } }), 400, HEADER_MISMATCH],
        ['no Mcp-Method', await modernPost('tools/list', {}, { 'mcp-method': undefined }), 400, HEADER_MISMATCH],
        ['Mcp-Name differs', await modernPost('tools/call', { name: 'list_workflows' }, { 'mcp-name': 'run_workflow' }), 400, HEADER_MISMATCH],
        ['no Mcp-Name', await modernPost('tools/call', { name: 'list_workflows' }, { 'mcp-name': undefined }), 400, HEADER_MISMATCH],
        ['no clientCapabilities', await modernPost('tools/list', { _meta: { [META_PROTOCOL_VERSION]: MODERN_PROTOCOL_VERSION } }), 400, -32602],
        ['unknown method', await modernPost('resources/list'), 404, -32601],
      ];
      for (const [what, answer, status, code] of refusals) {
        assert.equal(answer.status, status, what);
        assert.equal(answer.body.error?.code, code, what);
      }
      const old = await modernPost('tools/list', { _meta: { ...MODERN_META, [META_PROTOCOL_VERSION]: '2025-11-25' } }, { 'mcp-protocol-version': '2025-11-25' });
      assert.equal(old.status, 400);
      assert.equal(old.body.error?.code, UNSUPPORTED_PROTOCOL_VERSION);
      assert.deepEqual(old.body.error?.data?.supported, ['2026-07-28']);

      const handshake = await modernPost('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'probe', version: '0' } }, { 'mcp-protocol-version': undefined, 'mcp-method': undefined });
      assert.equal(handshake.status, 400);
      assert.equal(handshake.body.error?.code, UNSUPPORTED_PROTOCOL_VERSION);
      assert.match(handshake.body.error?.message ?? '', /2026-07-28/);
      assert.deepEqual(handshake.body.error?.data?.supported, ['2026-07-28']);
    });
  });

  describe('dual-era server', () => {
    beforeEach(() => {
      adlyse.era = 'dual';
    });

    it('is spoken to with the session handshake Adlyse documents', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const { run } = await p.startRun(a, await runKind(p, a), { email: 'lead@example.com' });
      sim.clock.advance(9_000);
      assert.equal((await p.getRun({ accountId: a.id, id: run.id })).status, 'succeeded');
      assert.deepEqual(adlyse.rpcLog.slice(0, 2).map(e => e.method), ['initialize', 'notifications/initialized']);
      assert.ok(adlyse.rpcLog.every(e => e.era === 'legacy'));
      assert.equal(adlyse.initializeCount, 1);
      assert.deepEqual(sim.requestsFor('adlyse').filter(r => r.status >= 400), []);
    });

    it('also answers a 2026-07-28 request', async () => {
      const answer = await modernPost('tools/call', { name: 'list_workflows', arguments: {} });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.result?.resultType, 'complete');
      assert.equal((answer.body.result?.structuredContent as { workflows: unknown[] }).workflows.length, 3);
      assert.equal(adlyse.rpcLog.at(-1)?.era, 'modern');
    });

    it('switches to 2026-07-28 once when the server drops the session era, and starts the run only once', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const kind = await runKind(p, a);
      adlyse.era = 'modern';

      const { run } = await p.startRun(a, kind, { email: 'lead@example.com' });
      const starts = adlyse.rpcLog.filter(e => e.tool === 'run_workflow');
      assert.deepEqual(
        starts.map(e => [e.era, !!e.sessionId, e.refusedWith]),
        [
          ['modern', true, UNSUPPORTED_PROTOCOL_VERSION],
          ['modern', false, undefined],
        ],
        'the session request was refused before it ran, then sent the 2026-07-28 way',
      );
      sim.clock.advance(9_000);
      assert.equal((await p.getRun({ accountId: a.id, id: run.id })).status, 'succeeded');
      const after = adlyse.rpcLog.slice(adlyse.rpcLog.indexOf(starts[1]));
      assert.ok(after.every(e => e.era === 'modern' && e.refusedWith === undefined && !e.sessionId), 'no more session traffic');
      assert.equal(adlyse.initializeCount, 1);
    });

    it('goes back to the session handshake once when the server drops 2026-07-28', async () => {
      adlyse.era = 'modern';
      const p = provider();
      await p.listAccounts();
      adlyse.era = 'legacy';
      assert.equal((await p.listAccounts()).length, 3);
      assert.deepEqual(
        sim.requestsFor('adlyse').filter(r => r.method === 'POST').map(r => r.status),
        [400, 200, 400, 200, 202, 200],
        'refused handshake, modern call; refused modern call, handshake, initialized, session call',
      );
      assert.equal(adlyse.initializeCount, 2);
      assert.equal(adlyse.sessionCount, 1);
    });
  });

  describe('secret inputs', () => {
    const TOKEN = 'crm-token-7f3a9c1e5b';

    /** A workflow with a password field: it completes only when run_workflow carried the right token. */
    function crmWorkflow(): void {
      adlyse.addWorkflow({
        name: 'CRM sync',
        input_schema: {
          type: 'object',
          properties: {
            list: { type: 'string', title: 'List' },
            crm_token: { type: 'string', format: 'password', title: 'CRM token' },
            webhook_secret: { type: 'string', writeOnly: true, title: 'Webhook secret' },
          },
          required: ['list', 'crm_token'],
        },
        output: input => ({ synced: (input as { crm_token?: unknown }).crm_token === TOKEN, list: (input as { list?: unknown }).list }),
      });
    }

    it('sends a password field from SecretStorage in run_workflow, and keeps it off the run', async () => {
      crmWorkflow();
      const p = provider({ secrets: { crm_token: TOKEN } });
      const a = await account(p, 'CRM sync');
      const kind = await runKind(p, a);
      assert.deepEqual(kind.inputs.filter(f => f.secret).map(f => f.name), ['crm_token', 'webhook_secret']);
      const { run } = await p.startRun(a, kind, { list: 'leads' });
      assert.ok(!JSON.stringify(run).includes(TOKEN));
      sim.clock.advance(10_000);
      const done = await p.getRun({ accountId: a.id, id: run.id, kind: run.kind });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.result, { synced: true, list: 'leads' }, 'the workflow received the stored token');
      for (const line of log.lines) assert.ok(!line.includes(TOKEN), `secret in log line: ${line}`);
    });

    it('names a required secret that is not stored instead of sending the run without it', async () => {
      crmWorkflow();
      const p = provider();
      const a = await account(p, 'CRM sync');
      const error = await rejection(p.startRun(a, await runKind(p, a), { list: 'leads' }));
      assert.equal(error.kind, 'validation');
      assert.match(error.message, /needs CRM token/);
      assert.equal(adlyse.rpcLog.filter(e => e.tool === 'run_workflow').length, 0, 'nothing was sent');
    });
  });

  describe('answer size', () => {
    const HUGE = 6 * 1024 * 1024;

    function scriptHugeStatus(runId: string): void {
      const body = { run_id: runId, status: 'completed', output: { blob: 'x'.repeat(HUGE) }, source: 'adlyse.workflows@v1' };
      adlyse.scriptToolResult({ tool: 'get_run_status', result: { content: [{ type: 'text', text: JSON.stringify(body) }] } });
    }

    for (const [era, mode] of [
      ['legacy', 'sse'],
      ['legacy', 'json'],
      ['modern', 'json'],
      ['modern', 'sse'],
    ] as const) {
      it(`refuses a tool result over 4 MB as "answer too large" (${era} era, ${mode}), and the session keeps working`, async () => {
        adlyse.era = era;
        if (era === 'legacy') adlyse.responseMode = mode;
        else adlyse.modernResponseMode = mode;
        const p = provider();
        const a = await account(p, 'Lead enrichment');
        const { run } = await p.startRun(a, await runKind(p, a), { email: 'lead@example.com' });
        const ref = { accountId: a.id, id: run.id, kind: run.kind };
        scriptHugeStatus(run.id);
        const error = await rejection(p.getRun(ref));
        assert.equal(error.kind, 'badResponse');
        assert.match(error.message, /^Adlyse sent an answer larger than 4 MB \(answer too large\)/);
        assert.equal((await p.getRun(ref)).id, run.id, 'the next poll is answered as usual');
      });
    }

    it('leaves the run tracked, stale, with the reason, when the scheduler polls it', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const { run } = await p.startRun(a, await runKind(p, a), { email: 'lead@example.com' });
      const store = new RunStore({ staleAfterFailures: 1 });
      store.upsert(run, { pinned: true });
      scriptHugeStatus(run.id);
      const scheduler = new Scheduler({ store, provider: id => (id === 'adlyse' ? p : undefined), onHealth: () => {} }, SCHEDULER_OPTIONS);
      try {
        scheduler.start();
        await scheduler.refreshNow([keyOf(run)]);
        const tracked = store.get(keyOf(run));
        assert.ok(tracked, 'the run is still tracked');
        assert.equal(tracked.stale, true);
        assert.equal(tracked.run.status, 'queued', 'its last known state is kept');
        assert.match(tracked.lastError ?? '', /answer too large/);
      } finally {
        scheduler.dispose();
      }
    });
  });

  describe('redaction', () => {
    it('redacts with the registry it is handed, not a copy of its own (dist/mcp.js is a separate bundle)', async () => {
      const secret = 'echoed-secret-4b1d9e';
      const hidden = (text: string) => text.split(secret).join('[hidden]');
      adlyse.errorMode = 'jsonrpc';
      adlyse.addToolFault({ tool: 'list_workflows', error_type: 'weird_error', message: `upstream refused ${secret}` });
      const s = createMcpSession({ url: `${sim.baseUrl('adlyse')}/`, getKey: async () => key, log, timeoutMs: 5_000, serverName: 'Adlyse', redactor: { redact: hidden, register: () => {} } });
      sessions.push(s);
      const error = await rejection(s.callTool('list_workflows', {}));
      assert.match(error.message, /\[hidden\]/);
      assert.ok(!error.message.includes(secret));
      for (const line of log.lines) assert.ok(!line.includes(secret), `secret in log line: ${line}`);
    });
  });

  describe('workflows', () => {
    it('lists the workflows as accounts', async () => {
      const accounts = await provider().listAccounts();
      assert.deepEqual(accounts.map(a => a.label).sort(), ['Competitor ad scan', 'Lead enrichment', 'Weekly report']);
      for (const a of accounts) {
        assert.match(a.id, /^agent_/);
        assert.equal(a.provider, 'adlyse');
      }
    });

    it('accepts a list as {items}, as a bare array, or as {workflows}', async () => {
      for (const shape of ['items', 'array', 'workflows'] as const) {
        adlyse.listShape = shape;
        const accounts = await provider().listAccounts();
        assert.equal(accounts.length, 3, shape);
      }
    });

    it("turns a workflow's input_schema into input fields", async () => {
      const p = provider();
      const lead = await runKind(p, await account(p, 'Lead enrichment'));
      assert.equal(lead.id, 'run');
      assert.deepEqual(
        lead.inputs.map(f => [f.name, f.type, f.required, f.label]),
        [['email', 'string', true, 'Email']],
      );
      assert.equal(lead.inputs[0].description, 'The lead’s work email address');

      const scan = await runKind(p, await account(p, 'Competitor ad scan'));
      const byName = Object.fromEntries(scan.inputs.map(f => [f.name, f]));
      assert.equal(byName.competitor_domain.type, 'string');
      assert.equal(byName.competitor_domain.required, true);
      assert.equal(byName.channels.type, 'string[]');
      assert.deepEqual(byName.channels.options, ['meta', 'google', 'tiktok', 'linkedin']);
      assert.equal(byName.lookback_days.type, 'number');
      assert.equal(byName.lookback_days.default, 30);
      assert.equal(byName.lookback_days.required, false);
      assert.equal(byName.lookback_days.label, 'Lookback days');
    });

    it('offers one JSON input when a workflow has no object input schema, and passes it through', async () => {
      const free = adlyse.addWorkflow({ name: 'Free-form', input_schema: null, output: input => ({ echoed: input }) });
      const p = provider();
      const a = await account(p, 'Free-form');
      const kind = await runKind(p, a);
      assert.deepEqual(kind.inputs.map(f => [f.name, f.type, f.required]), [['input_data', 'json', false]]);

      const { run } = await p.startRun(a, kind, { input_data: '{"topic": "q3"}' });
      sim.clock.advance(free.durationMs);
      assert.deepEqual((await p.getRun({ accountId: a.id, id: run.id })).result, { echoed: { topic: 'q3' } });

      const raw = await p.startRun(a, kind, { input_data: 'plain words' });
      sim.clock.advance(free.durationMs);
      assert.deepEqual((await p.getRun({ accountId: a.id, id: raw.run.id })).result, { echoed: 'plain words' });
      assert.deepEqual(inputFields({ type: 'string' }).map(f => f.type), ['json']);
    });
  });

  describe('runs', () => {
    it("reports a failed run with the failing node's error", async () => {
      adlyse.scriptNextRun({ durationMs: 3_000, fail: 'No company found for email lead@example.com' });
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const { run } = await p.startRun(a, await runKind(p, a), { email: 'lead@example.com' });
      sim.clock.advance(3_000);
      const failed = await p.getRun({ accountId: a.id, id: run.id });
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.message, 'No company found for email lead@example.com');
      assert.ok(failed.finishedAt);
      assert.equal(failed.result, undefined);
    });

    it('reports a run cancelled outside Runwatch, and says why it cannot cancel', async () => {
      const p = provider();
      assert.equal(p.capabilities.cancel, false);
      assert.equal(p.capabilities.cancelUnavailableReason, 'Adlyse has no cancel tool for workflow runs.');
      assert.equal(p.capabilities.listRuns, false);
      const a = await account(p, 'Weekly report');
      const { run } = await p.startRun(a, await runKind(p, a), { week: '2026-W17' });
      sim.clock.advance(5_000);
      adlyse.cancelRun(run.id);
      assert.equal((await p.getRun({ accountId: a.id, id: run.id })).status, 'cancelled');
    });

    it('follows the demo run that was already in progress', async () => {
      const p = provider();
      const a = await account(p, 'Competitor ad scan');
      const ref = { accountId: a.id, id: adlyse.demoRunId! };
      assert.equal((await p.getRun(ref)).status, 'running');
      sim.clock.advance(30_000);
      const done = await p.getRun(ref);
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(
        labelOutput(done.result, done.raw?.output_schema).map(r => r.label),
        ['Ads found', 'Top channel', 'New creatives', 'Summary'],
      );
    });
  });

  describe('errors', () => {
    it('maps invalid_input to a validation error naming the field', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const error = await rejection(p.startRun(a, await runKind(p, a), {}));
      assert.equal(error.kind, 'validation');
      assert.equal(error.code, 'invalid_input');
      assert.match(error.message, /^Adlyse rejected the workflow input: .*'email'/);
    });

    it('maps execution_error to a transient server error', async () => {
      adlyse.addToolFault({ tool: 'run_workflow', error_type: 'execution_error', message: 'Dispatch queue unavailable' });
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const error = await rejection(p.startRun(a, await runKind(p, a), { email: 'lead@example.com' }));
      assert.equal(error.kind, 'server');
      assert.equal(error.transient, true);
      assert.match(error.message, /try again later: Dispatch queue unavailable/);
    });

    it('maps not_found for an unknown run', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const error = await rejection(p.getRun({ accountId: a.id, id: 'agent_run_missing' }));
      assert.equal(error.kind, 'notFound');
      assert.match(error.message, /agent_run_missing not found/);
    });

    it('maps an auth_error for a key revoked mid-session to auth', async () => {
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      adlyse.revokeKey(KEY);
      const error = await rejection(p.listKinds(a));
      assert.equal(error.kind, 'auth');
      assert.equal(error.stopsProvider, true);
      assert.match(error.message, /Invalid or inactive API key/);
      assert.equal(adlyse.initializeCount, 1, 'the error came from a tool in the open session');
    });

    it('maps HTTP 401 to auth, and the server names its resource metadata', async () => {
      key = 'mii_prod_wrongwrongwrong';
      const error = await rejection(provider().validateKey());
      assert.equal(error.kind, 'auth');
      assert.equal(error.status, 401);
      assert.ok(!error.message.includes(key));
      for (const line of log.lines) assert.ok(!line.includes(key), `wrong key in log line: ${line}`);

      const response = await fetch(`${sim.baseUrl('adlyse')}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer resource_metadata=".*\/\.well-known\/oauth-protected-resource"$/);
    });

    it('refuses to connect without a key', async () => {
      key = undefined;
      const error = await rejection(provider().listAccounts());
      assert.equal(error.kind, 'noKey');
      assert.equal(sim.requestsFor('adlyse').length, 0);
    });

    it('maps JSON-RPC errors carrying an error_type like tool errors', async () => {
      adlyse.errorMode = 'jsonrpc';
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const kind = await runKind(p, a);
      assert.equal((await rejection(p.startRun(a, kind, {}))).kind, 'validation');
      assert.equal((await rejection(p.getRun({ accountId: a.id, id: 'agent_run_missing' }))).kind, 'notFound');
      adlyse.revokeKey(KEY);
      assert.equal((await rejection(p.listAccounts())).kind, 'auth');
    });

    it('maps a plain JSON-RPC protocol error to validation', async () => {
      const s = session();
      const error = await rejection(s.callTool('no_such_tool', {}));
      assert.equal(error.kind, 'validation');
      assert.match(error.message, /Unknown tool: no_such_tool/);
    });

    it('reads tool errors sent as text only', async () => {
      adlyse.resultFormat = 'text';
      const p = provider();
      const a = await account(p, 'Lead enrichment');
      const error = await rejection(p.startRun(a, await runKind(p, a), {}));
      assert.equal(error.kind, 'validation');
      assert.match(error.message, /'email'/);
    });

    it('reads a tool error that is plain text, not JSON', async () => {
      adlyse.scriptToolResult({ tool: 'get_run_status', result: { content: [{ type: 'text', text: 'Internal error: worker crashed' }], isError: true } });
      const error = await rejection(provider().getRun({ accountId: 'agent_x', id: 'agent_run_x' }));
      assert.equal(error.kind, 'server');
      assert.match(error.message, /get_run_status: Internal error: worker crashed$/);
    });

    it('tolerates added fields and nulls, and refuses wrong types as badResponse', async () => {
      const p = provider();
      const lenient = { run_id: 'agent_run_x', status: 'running', created_at: null, output: null, error: null, duration_seconds: null, node: 'enrich', source: 'adlyse.workflows@v2' };
      adlyse.scriptToolResult({ tool: 'get_run_status', result: { content: [{ type: 'text', text: JSON.stringify(lenient) }], structuredContent: lenient } });
      const run = await p.getRun({ accountId: 'agent_x', id: 'agent_run_x' });
      assert.equal(run.status, 'running');
      assert.equal(run.raw?.node, 'enrich');

      const wrong = { run_id: 'agent_run_x', status: 42 };
      adlyse.scriptToolResult({ tool: 'get_run_status', result: { content: [{ type: 'text', text: JSON.stringify(wrong) }], structuredContent: wrong } });
      assert.equal((await rejection(p.getRun({ accountId: 'agent_x', id: 'agent_run_x' }))).kind, 'badResponse');

      adlyse.scriptToolResult({ tool: 'list_workflows', result: { content: [{ type: 'text', text: '<html>oops</html>' }] } });
      assert.equal((await rejection(p.listAccounts())).kind, 'badResponse');
    });

    it('times out when the server does not answer', async () => {
      const p = provider({ timeoutMs: 300 });
      await p.listAccounts();
      sim.addFault({ provider: 'adlyse', method: 'POST', hang: true });
      const error = await rejection(p.listAccounts());
      assert.equal(error.kind, 'timeout');
      assert.equal((await p.listAccounts()).length, 3, 'the next call works on a new session');
    });

    it('reports a network error when nothing listens', async () => {
      const error = await rejection(provider({ baseUrl: 'http://127.0.0.1:9/adlyse/mcp/workflows/' }).listAccounts());
      assert.equal(error.kind, 'network');
    });

    it('warns on a key without a documented prefix', () => {
      const p = provider();
      assert.deepEqual(p.checkKeyFormat('mf_oauth_abc123'), {});
      assert.match(p.checkKeyFormat('sk_live_123456')?.warning ?? '', /mii_/);
      assert.ok(p.checkKeyFormat('   ').error);
    });
  });

  describe('labelOutput', () => {
    it('labels from the schema, humanizes the rest and formats values', () => {
      const rows = labelOutput(
        { summary: 'ok', extra_field: [1, 2], nested: { a: 1 }, missing: null },
        { type: 'object', properties: { summary: { title: 'Summary', description: 'What changed' } } },
      );
      assert.deepEqual(
        rows.map(r => [r.label, r.value]),
        [
          ['Summary', 'ok'],
          ['Extra field', '1, 2'],
          ['Nested', '{"a":1}'],
          ['Missing', '—'],
        ],
      );
      assert.equal(rows[0].description, 'What changed');
      assert.deepEqual(labelOutput('plain text', null), [{ key: '', label: 'Output', value: 'plain text' }]);
      assert.deepEqual(labelOutput(undefined, null), []);
    });
  });
});
