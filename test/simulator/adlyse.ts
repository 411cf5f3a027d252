// Adlyse's adlyse-workflows MCP server as the simulator plays it (providers.md §5–7, seeds/004): Bearer-key auth
// with 401 + WWW-Authenticate, and the four workflow tools whose run lifecycles are computed from the SimClock (no
// timers). One implementation of the tools, two transports, chosen by `era` (providers.md §6 and §6.5):
//   'legacy' (the default, the session era Adlyse's docs describe): a real MCP server built on the official SDK
//            (Server + StreamableHTTPServerTransport, stateful, one transport per Mcp-Session-Id), 2025-11-25 and earlier;
//   'modern' (2026-07-28 only): hand-written stateless JSON-RPC over POST. Every request must carry the
//            MCP-Protocol-Version, Mcp-Method and (tools/call) Mcp-Name headers and the same values in
//            params._meta; a mismatch or missing header is 400 -32020, an unsupported version 400 -32022 with
//            data.supported (initialize too: a modern-only server has no handshake), missing _meta fields
//            400 -32602, GET/DELETE 405, an unknown method 404 -32601; server/discover names the versions;
//   'dual'   answers both: a request carrying modern _meta (or a modern MCP-Protocol-Version) is served as
//            'modern', everything else (initialize, session traffic) as 'legacy'.
//
// The low-level `Server` is used rather than `McpServer` on purpose: McpServer turns every thrown error into
// an isError result, and the simulator must also be able to answer with JSON-RPC errors.
//
// Where the docs are silent the simulator can play each reading (all switches apply at once, except
// responseMode which applies to sessions opened after the change):
//   responseMode   legacy era: 'sse' (the SDK default): each POST answered with a text/event-stream;
//                  'json': a single application/json body (the SDK's enableJsonResponse).
//   modernResponseMode  modern era: 'json' (default) or 'sse' (a comment line, then the response as one event).
//   modernVersions the versions the modern transport accepts (['2026-07-28']).
//   resultFormat   'structured': structuredContent plus the same JSON in a text block (the spec's SHOULD);
//                  'text': only the JSON text block.
//   errorMode      'isError': tool errors are results with isError and {error_type, message, source} [inferred];
//                  'jsonrpc': tool errors are JSON-RPC errors whose data holds {error_type, message, source}.
//   unknownSessionStatus  404: a request with an ended session id gets 404 (the spec); 400: it gets
//                  400 "Bad Request: No valid session ID provided", as some server SDKs answer.
//   listShape      'workflows': list_workflows answers {workflows: [...], source}; 'items': {items: [...], source};
//                  'array': a bare JSON array in a text block (legacy structuredContent must be an object, so
//                  none there; the modern era, where structuredContent may be any JSON value, sends the array).
import { randomBytes, randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  isInitializeRequest,
  ListToolsRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { type AcceptedStart, type SimClock, type SimProvider, type SimReply, type SimRequest } from './server';
import { SIM_KEYS } from './keys';

const SECOND = 1000;
const SOURCE = 'adlyse.workflows@v1';
const DEFAULT_ORG = 'org_sim';

/** The 2026-07-28 revision (providers.md §6.5): its reserved error codes and per-request _meta keys. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
export const HEADER_MISMATCH = -32020;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;
export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';

export type AdlyseEra = 'legacy' | 'modern' | 'dual';

export type AdlyseErrorType = 'auth_error' | 'not_found' | 'invalid_input' | 'execution_error';
export type AdlyseRunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** JSON-RPC codes used in 'jsonrpc' error mode [inferred: Adlyse documents only the error_type strings]. */
export const ADLYSE_JSONRPC_CODES: Record<AdlyseErrorType, number> = {
  invalid_input: ErrorCode.InvalidParams,
  not_found: -32002,
  auth_error: -32003,
  execution_error: ErrorCode.InternalError,
};

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  [key: string]: unknown;
}

export interface SimWorkflow {
  id: string;
  org: string;
  name: string;
  description: string;
  /** Null or a non-object schema plays a workflow that takes free-form input. */
  input_schema: JsonSchema | null;
  output_schema: JsonSchema | null;
  created_at: string;
  updated_at: string;
  /** Simulated run length, from creation to completion. */
  durationMs: number;
  /** What a completed run outputs for this input. */
  output: (input: unknown) => unknown;
  /** A failure message for inputs the workflow cannot handle (the failing node's output), or undefined. */
  failureFor?: (input: unknown) => string | undefined;
}

/** How the next run_workflow call's run behaves; consumed in order. */
export interface RunScript {
  durationMs?: number;
  /** Time spent in `pending` before `running`. */
  pendingMs?: number;
  /** Fail with this message (from the failing node) at the end instead of completing. */
  fail?: string;
  /** Completed output instead of the workflow's own. */
  output?: unknown;
}

interface SimRun {
  run_id: string;
  org: string;
  workflow_id: string;
  input: unknown;
  createdAt: number;
  pendingMs: number;
  durationMs: number;
  fail?: string;
  output?: unknown;
  cancelledAt?: number;
}

/** A scripted tool error: the next `times` calls of `tool` (any tool when absent) answer with it. */
export interface ToolFault {
  tool?: string;
  error_type: AdlyseErrorType | string;
  message: string;
  times?: number;
}

/** A raw tools/call result to answer the next `times` calls of `tool` with (malformed shapes, plain text). */
export interface ScriptedResult {
  tool: string;
  result: CallToolResult;
  times?: number;
}

/** One JSON-RPC message the simulator received, for assertions (never the key). */
export interface RpcLogEntry {
  method: string;
  tool?: string;
  /** Which transport took it: 'legacy' (initialize and sessions) or 'modern' (2026-07-28). */
  era: 'legacy' | 'modern';
  sessionId?: string;
  /** True when the message arrived with an Mcp-Session-Id the server no longer knows. */
  staleSession?: boolean;
  /** How the message is answered ('sse' or 'json'); absent when no legacy session took it. */
  responseMode?: 'sse' | 'json';
  /** Modern era: the request-metadata headers as received. */
  headers?: { protocolVersion?: string; method?: string; name?: string };
  /** Modern era: params._meta as received. */
  meta?: Record<string, unknown>;
  /** Modern era: the JSON-RPC error code the transport refused the request with, before any tool ran. */
  refusedWith?: number;
}

/** Who is calling a tool: a legacy session or one modern request, both authenticated by their key. */
interface Caller {
  key: string;
  org: string;
}

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: string | number | null;
  method: string;
  params?: { name?: unknown; arguments?: unknown; _meta?: Record<string, unknown>; [key: string]: unknown };
}

interface Session extends Caller {
  id: string;
  server: Server;
  transport: StreamableHTTPServerTransport;
  responseMode: 'sse' | 'json';
}

class ToolError extends Error {
  constructor(
    readonly errorType: AdlyseErrorType | string,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON-RPC protocol error (malformed arguments, unknown tool): always sent as a JSON-RPC error. */
function protocolError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const TOOLS = [
  {
    name: 'list_workflows',
    description: "List the organization's workflows.",
    inputSchema: { type: 'object' as const, properties: {} },
  },
  {
    name: 'get_workflow',
    description: "Get one workflow, with its input_schema and output_schema. Inspect output_schema before interpreting a run's output.",
    inputSchema: {
      type: 'object' as const,
      properties: { workflow_id: { type: 'string', description: 'Workflow id (agent_…)' } },
      required: ['workflow_id'],
    },
  },
  {
    name: 'run_workflow',
    description: 'Kick off a workflow run. Returns a run id to poll with get_run_status.',
    inputSchema: {
      type: 'object' as const,
      properties: {
        workflow_id: { type: 'string', description: 'Workflow id (agent_…)' },
        input_data: {
          type: ['string', 'object', 'null'],
          default: {},
          description: 'Trigger input. Strings are parsed as JSON when possible, otherwise passed as raw input.',
        },
      },
      required: ['workflow_id'],
    },
  },
  {
    name: 'get_run_status',
    description: 'Poll the status of a workflow run. The run is finished when status is completed (with output) or failed (with error).',
    inputSchema: {
      type: 'object' as const,
      properties: { run_id: { type: 'string', description: 'Run id (agent_run_…)' } },
      required: ['run_id'],
    },
  },
];

export class AdlyseSim implements SimProvider {
  readonly id = 'adlyse' as const;
  readonly prefix = '/adlyse/mcp/workflows';
  /** Valid keys and the organization each belongs to. Delete one to revoke it. */
  readonly keys = new Map<string, string>([[SIM_KEYS.adlyse, DEFAULT_ORG]]);

  era: AdlyseEra = 'legacy';
  responseMode: 'sse' | 'json' = 'sse';
  modernResponseMode: 'sse' | 'json' = 'json';
  modernVersions: string[] = [MODERN_PROTOCOL_VERSION];
  resultFormat: 'structured' | 'text' = 'structured';
  errorMode: 'isError' | 'jsonrpc' = 'isError';
  listShape: 'workflows' | 'items' | 'array' = 'workflows';
  unknownSessionStatus: 404 | 400 = 404;

  /** Every JSON-RPC message received, in order. */
  readonly rpcLog: RpcLogEntry[] = [];
  /** The run started by seedDemo(), still in progress right after seeding. */
  demoRunId?: string;

  private readonly workflows = new Map<string, SimWorkflow>();
  private readonly runs = new Map<string, SimRun>();
  /** Every run a run_workflow call created, in order. */
  readonly started: AcceptedStart[] = [];
  private readonly sessions = new Map<string, Session>();
  private runScripts: RunScript[] = [];
  private toolFaults: ToolFault[] = [];
  private scriptedResults: ScriptedResult[] = [];

  constructor(readonly clock: SimClock) {}

  // ---- scripting API for tests and demos ----

  addKey(key: string, org = DEFAULT_ORG): void {
    this.keys.set(key, org);
  }

  /** Revokes a key: open sessions keep their HTTP access but every tool answers auth_error. */
  revokeKey(key: string): void {
    this.keys.delete(key);
  }

  /** Ends every session, as a server restart or an idle timeout would: old session ids get 404. */
  expireSessions(): void {
    for (const session of [...this.sessions.values()]) void session.transport.close();
    this.sessions.clear();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** How many `initialize` requests arrived (one per session the client opened, plus any a modern server refused). */
  get initializeCount(): number {
    return this.rpcLog.filter(e => e.method === 'initialize').length;
  }

  scriptNextRun(script: RunScript): void {
    this.runScripts.push(script);
  }

  /** The next `times` calls of `tool` answer with this tool error (execution_error for a dispatch failure…). */
  addToolFault(fault: ToolFault): void {
    this.toolFaults.push({ times: 1, ...fault });
  }

  /** The next `times` calls of `tool` answer with this exact result instead of the tool's own. */
  scriptToolResult(scripted: ScriptedResult): void {
    this.scriptedResults.push({ times: 1, ...scripted });
  }

  /** Cancels a run from outside (someone stopped it in the Adlyse dashboard): there is no cancel tool. */
  cancelRun(runId: string): void {
    const run = this.runs.get(runId);
    if (run && !isFinished(this.statusOf(run))) run.cancelledAt = this.clock.now();
  }

  addWorkflow(init: Partial<SimWorkflow> & { name: string }): SimWorkflow {
    const now = isoSeconds(this.clock.now());
    const workflow: SimWorkflow = {
      id: `agent_${randomBytes(6).toString('hex')}`,
      org: DEFAULT_ORG,
      description: '',
      input_schema: { type: 'object', properties: {} },
      output_schema: null,
      created_at: now,
      updated_at: now,
      durationMs: 5 * SECOND,
      output: () => ({ ok: true }),
      ...init,
    };
    this.workflows.set(workflow.id, workflow);
    return workflow;
  }

  workflowByName(name: string): SimWorkflow {
    const found = [...this.workflows.values()].find(w => w.name === name);
    if (!found) throw new Error(`simulator: no Adlyse workflow named ${name}`);
    return found;
  }

  reset(): void {
    this.started.length = 0;
    this.expireSessions();
    this.workflows.clear();
    this.runs.clear();
    this.runScripts = [];
    this.toolFaults = [];
    this.scriptedResults = [];
    this.rpcLog.length = 0;
    // Keys are kept, and the default key is valid again even if a test revoked it.
    this.keys.set(SIM_KEYS.adlyse, DEFAULT_ORG);
    this.demoRunId = undefined;
    this.era = 'legacy';
    this.modernResponseMode = 'json';
    this.modernVersions = [MODERN_PROTOCOL_VERSION];
    this.responseMode = 'sse';
    this.resultFormat = 'structured';
    this.errorMode = 'isError';
    this.listShape = 'workflows';
    this.unknownSessionStatus = 404;
  }

  seedDemo(): void {
    if ([...this.workflows.values()].some(w => w.name === 'Lead enrichment')) return; // already seeded
    const day = 24 * 3600 * SECOND;
    const now = this.clock.now();
    this.addWorkflow({
      name: 'Lead enrichment',
      description: 'Find the company, role and seniority behind a lead’s work email.',
      created_at: isoSeconds(now - 40 * day),
      updated_at: isoSeconds(now - 3 * day),
      input_schema: {
        type: 'object',
        properties: { email: { type: 'string', format: 'email', title: 'Email', description: 'The lead’s work email address' } },
        required: ['email'],
      },
      output_schema: {
        type: 'object',
        properties: {
          company: { type: 'string', title: 'Company' },
          role: { type: 'string', title: 'Role', description: 'Job title as found on the web' },
          seniority: { type: 'string', title: 'Seniority', enum: ['Individual contributor', 'Manager', 'Director', 'VP', 'C-level'] },
        },
        required: ['company'],
      },
      durationMs: 8.4 * SECOND,
      output: input => {
        const email = String((input as { email?: unknown })?.email ?? '');
        const domain = email.split('@')[1]?.split('.')[0] ?? 'example';
        return { company: `${domain.charAt(0).toUpperCase()}${domain.slice(1)} Corp`, role: 'Head of Growth', seniority: 'Director' };
      },
      failureFor: input => {
        const email = String((input as { email?: unknown })?.email ?? '');
        return /@(gmail|yahoo|outlook|hotmail)\./i.test(email) ? `No company found for email ${email}` : undefined;
      },
    });
    this.addWorkflow({
      name: 'Competitor ad scan',
      description: 'Collect a competitor’s live ads across channels and summarize what changed.',
      created_at: isoSeconds(now - 60 * day),
      updated_at: isoSeconds(now - 10 * day),
      input_schema: {
        type: 'object',
        properties: {
          competitor_domain: { type: 'string', title: 'Competitor domain', description: 'e.g. rival.com' },
          channels: { type: 'array', items: { type: 'string', enum: ['meta', 'google', 'tiktok', 'linkedin'] }, description: 'Ad channels to scan' },
          lookback_days: { type: 'integer', default: 30, description: 'How far back to look' },
        },
        required: ['competitor_domain'],
      },
      output_schema: {
        type: 'object',
        properties: {
          ads_found: { type: 'integer', title: 'Ads found' },
          top_channel: { type: 'string', title: 'Top channel' },
          new_creatives: { type: 'integer', title: 'New creatives', description: 'Creatives first seen in the lookback window' },
          summary: { type: 'string', title: 'Summary' },
        },
      },
      durationMs: 24 * SECOND,
      output: input => {
        const domain = String((input as { competitor_domain?: unknown })?.competitor_domain ?? 'rival.com');
        return { ads_found: 37, top_channel: 'meta', new_creatives: 9, summary: `${domain} shifted spend toward short video ads.` };
      },
    });
    this.addWorkflow({
      name: 'Weekly report',
      description: 'Build the weekly performance report across all ad accounts (a multi-step LLM chain).',
      created_at: isoSeconds(now - 90 * day),
      updated_at: isoSeconds(now - 1 * day),
      input_schema: {
        type: 'object',
        properties: {
          week: { type: 'string', description: 'ISO week, e.g. 2026-W17' },
          include_spend: { type: 'boolean', default: true },
        },
      },
      output_schema: null,
      durationMs: 95 * SECOND,
      output: input => ({
        report_url: 'https://app.adlyse.com/reports/weekly',
        week: (input as { week?: unknown })?.week ?? 'current',
        highlights: ['CTR up 12% on Meta', 'Two campaigns over budget'],
      }),
    });
    const scan = this.workflowByName('Competitor ad scan');
    this.demoRunId = this.createRun(scan, { competitor_domain: 'rival.com', channels: ['meta', 'google'] }, now - 10 * SECOND).run_id;
  }

  // ---- HTTP ----

  async handle(req: SimRequest): Promise<SimReply | undefined> {
    if (req.path === '/.well-known/oauth-protected-resource' && req.method === 'GET') {
      const origin = requestOrigin(req);
      return {
        status: 200,
        body: { resource: `${origin}${this.prefix}/`, authorization_servers: [origin], bearer_methods_supported: ['header'] },
      };
    }
    if (req.path !== '/') return { status: 404, body: { detail: 'Not Found' } };

    // The spec's DNS-rebinding rule: a browser Origin that is not loopback is refused.
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(origin)) {
      return jsonRpcErrorReply(403, -32000, `Forbidden: invalid Origin ${origin}`);
    }
    if (this.era === 'modern' || (this.era === 'dual' && isModernRequest(req))) return this.handleModern(req);

    const sessionId = headerValue(req.headers['mcp-session-id']);
    const session = sessionId ? this.sessions.get(sessionId) : undefined;
    const initialize = !sessionId && req.method === 'POST' && isInitializeRequest(req.body);
    this.logMessages(req.body, sessionId, !!sessionId && !session, session?.responseMode ?? (initialize ? this.responseMode : undefined));

    // A revoked key keeps its open session on the HTTP level (tools then answer auth_error);
    // a missing, unknown or revoked key anywhere else gets 401.
    const key = bearerToken(req);
    if (!key || (!this.keys.has(key) && session?.key !== key)) return this.unauthorized(req, !!key);

    if (sessionId) {
      if (!session) {
        return this.unknownSessionStatus === 400
          ? jsonRpcErrorReply(400, -32000, 'Bad Request: No valid session ID provided')
          : jsonRpcErrorReply(404, -32001, 'Session not found');
      }
      await session.transport.handleRequest(req.req, req.res, req.body);
      return undefined;
    }
    if (initialize) {
      await this.openSession(key, this.keys.get(key) ?? DEFAULT_ORG, req);
      return undefined;
    }
    if (req.method === 'GET' || req.method === 'DELETE' || req.method === 'POST') {
      return jsonRpcErrorReply(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    }
    return { status: 405, headers: { allow: 'GET, POST, DELETE' }, body: { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null } };
  }

  private unauthorized(req: SimRequest, keyPresented: boolean): SimReply {
    const metadata = `${requestOrigin(req)}${this.prefix}/.well-known/oauth-protected-resource`;
    const challenge = keyPresented
      ? `Bearer error="invalid_token", error_description="Invalid or inactive API key", resource_metadata="${metadata}"`
      : `Bearer resource_metadata="${metadata}"`;
    return {
      status: 401,
      headers: { 'www-authenticate': challenge },
      body: { error: 'invalid_token', error_description: keyPresented ? 'Invalid or inactive API key' : 'Missing API key' },
    };
  }

  private async openSession(key: string, org: string, req: SimRequest): Promise<void> {
    const server = new Server({ name: 'adlyse-workflows', version: '1.0.0' }, { capabilities: { tools: {} } });
    const session = { key, org, server, responseMode: this.responseMode } as Session;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: this.responseMode === 'json',
      onsessioninitialized: id => {
        session.id = id;
        this.sessions.set(id, session);
      },
    });
    session.transport = transport;
    transport.onclose = () => {
      if (session.id && this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    };
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
    server.setRequestHandler(CallToolRequestSchema, async request => this.callTool(session, request.params.name, request.params.arguments ?? {}, 'legacy'));
    await server.connect(transport);
    await transport.handleRequest(req.req, req.res, req.body);
  }

  private logMessages(body: unknown, sessionId: string | undefined, staleSession: boolean, responseMode: 'sse' | 'json' | undefined): void {
    for (const message of Array.isArray(body) ? body : [body]) {
      if (!message || typeof message !== 'object') continue;
      const m = message as { method?: unknown; params?: { name?: unknown } };
      if (typeof m.method !== 'string') continue;
      this.rpcLog.push({
        method: m.method,
        tool: m.method === 'tools/call' && typeof m.params?.name === 'string' ? m.params.name : undefined,
        era: 'legacy',
        sessionId,
        staleSession: staleSession || undefined,
        responseMode,
      });
    }
  }

  // ---- the 2026-07-28 transport ----

  /** One stateless request: auth, the transport's header and _meta rules, then server/discover or the tools. */
  private async handleModern(req: SimRequest): Promise<SimReply | undefined> {
    const message = isJsonRpcRequest(req.body) ? req.body : undefined;
    const entry = message ? this.logModern(req, message) : undefined;
    const key = bearerToken(req);
    if (!key || !this.keys.has(key)) return this.unauthorized(req, !!key);
    if (req.method !== 'POST') {
      return { status: 405, headers: { allow: 'POST' }, body: { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: MCP 2026-07-28 has no GET stream and no sessions.' }, id: null } };
    }
    const refuse = (status: number, code: number, text: string, data?: unknown): SimReply => {
      if (entry) entry.refusedWith = code;
      return { status, body: { jsonrpc: '2.0', id: message?.id ?? null, error: { code, message: text, ...(data === undefined ? {} : { data }) } } };
    };
    if (!message) return refuse(400, ErrorCode.InvalidRequest, 'Invalid Request: the body must be one JSON-RPC request.');
    // No client notifications exist in this revision; one that arrives is accepted and ignored.
    if (message.id === undefined) return { status: 202 };
    const supported = this.modernVersions;
    // A modern-only server names its versions in its answer to a legacy handshake, the only diagnostic a legacy client can show.
    if (message.method === 'initialize') {
      const requested = message.params?.protocolVersion;
      return refuse(400, UNSUPPORTED_PROTOCOL_VERSION, `Unsupported protocol version: this server speaks MCP ${supported.join(', ')} only, with no initialize handshake.`, { supported, requested });
    }
    const headerVersion = headerValue(req.headers['mcp-protocol-version']);
    if (!headerVersion) return refuse(400, HEADER_MISMATCH, 'Header mismatch: the MCP-Protocol-Version header is required.');
    if (!supported.includes(headerVersion)) return refuse(400, UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported protocol version', { supported, requested: headerVersion });
    const meta = message.params?._meta;
    const missing = [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES].filter(k => !meta || meta[k] === undefined || meta[k] === null);
    if (missing.length) return refuse(400, ErrorCode.InvalidParams, `Invalid params: _meta lacks ${missing.join(' and ')}.`);
    if (meta![META_PROTOCOL_VERSION] !== headerVersion) {
      return refuse(400, HEADER_MISMATCH, `Header mismatch: MCP-Protocol-Version header value '${headerVersion}' does not match body value '${String(meta![META_PROTOCOL_VERSION])}'.`);
    }
    const methodHeader = headerValue(req.headers['mcp-method']);
    if (methodHeader !== message.method) {
      return refuse(400, HEADER_MISMATCH, methodHeader ? `Header mismatch: Mcp-Method header value '${methodHeader}' does not match body value '${message.method}'.` : 'Header mismatch: the Mcp-Method header is required.');
    }
    if (message.method === 'tools/call') {
      const nameHeader = decodeHeaderValue(headerValue(req.headers['mcp-name']));
      if (nameHeader !== message.params?.name) {
        return refuse(400, HEADER_MISMATCH, nameHeader === undefined ? 'Header mismatch: the Mcp-Name header is required for tools/call.' : `Header mismatch: Mcp-Name header value '${nameHeader}' does not match body value '${String(message.params?.name)}'.`);
      }
    }

    let result: Record<string, unknown>;
    try {
      switch (message.method) {
        case 'server/discover':
          result = { supportedVersions: supported, capabilities: { tools: {} }, serverInfo: { name: 'adlyse-workflows', version: '1.0.0' } };
          break;
        case 'tools/list':
          result = { tools: TOOLS };
          break;
        case 'tools/call': {
          const name = message.params?.name;
          const args = message.params?.arguments;
          if (typeof name !== 'string') throw protocolError(ErrorCode.InvalidParams, 'Invalid params: name must be a string');
          if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) throw protocolError(ErrorCode.InvalidParams, 'Invalid params: arguments must be an object');
          result = await this.callTool({ key, org: this.keys.get(key) ?? DEFAULT_ORG }, name, (args ?? {}) as Record<string, unknown>, 'modern');
          break;
        }
        default:
          return refuse(404, ErrorCode.MethodNotFound, `Method not found: ${message.method}`);
      }
    } catch (e) {
      const error = e as { code?: unknown; message?: string; data?: unknown };
      const code = typeof error.code === 'number' ? error.code : ErrorCode.InternalError;
      return this.answerModern(req, { jsonrpc: '2.0', id: message.id, error: { code, message: error.message ?? 'Internal error', ...(error.data === undefined ? {} : { data: error.data }) } });
    }
    // A scripted result may carry its own resultType (input_required, or undefined for none).
    return this.answerModern(req, { jsonrpc: '2.0', id: message.id, result: { resultType: 'complete', ...result } });
  }

  /** A 200 answer as one JSON body, or as an SSE stream: a comment line (clients must skip it), then the response. */
  private answerModern(req: SimRequest, response: unknown): SimReply | undefined {
    if (this.modernResponseMode === 'json') return { status: 200, body: response };
    req.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    req.res.write(': processing\n\n');
    req.res.end(`event: message\ndata: ${JSON.stringify(response)}\n\n`);
    return undefined;
  }

  private logModern(req: SimRequest, message: JsonRpcRequest): RpcLogEntry {
    const meta = message.params?._meta;
    const entry: RpcLogEntry = {
      method: message.method,
      tool: message.method === 'tools/call' && typeof message.params?.name === 'string' ? message.params.name : undefined,
      era: 'modern',
      sessionId: headerValue(req.headers['mcp-session-id']),
      responseMode: this.modernResponseMode,
      headers: {
        protocolVersion: headerValue(req.headers['mcp-protocol-version']),
        method: headerValue(req.headers['mcp-method']),
        name: headerValue(req.headers['mcp-name']),
      },
      meta: meta && typeof meta === 'object' ? { ...meta } : undefined,
    };
    this.rpcLog.push(entry);
    return entry;
  }

  // ---- tools ----

  /** The tools, whichever transport carried the call: a result, or a thrown JSON-RPC error ({code, data}). */
  private async callTool(caller: Caller, name: string, args: Record<string, unknown>, era: 'legacy' | 'modern'): Promise<CallToolResult> {
    try {
      if (!TOOLS.some(t => t.name === name)) throw protocolError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      if (!this.keys.has(caller.key)) throw new ToolError('auth_error', 'Invalid or inactive API key');
      const fault = takeScripted(this.toolFaults, f => !f.tool || f.tool === name);
      if (fault) throw new ToolError(fault.error_type, fault.message);
      const scripted = takeScripted(this.scriptedResults, r => r.tool === name);
      if (scripted) return scripted.result;
      return this.toolResult(this.runTool(caller.org, name, args), era);
    } catch (e) {
      if (!(e instanceof ToolError)) throw e;
      const body = { error_type: e.errorType, message: e.message, source: SOURCE };
      if (this.errorMode === 'jsonrpc') {
        const code = ADLYSE_JSONRPC_CODES[e.errorType as AdlyseErrorType] ?? ErrorCode.InternalError;
        throw Object.assign(new Error(`${e.errorType}: ${e.message}`), { code, data: body });
      }
      return { ...this.toolResult(body, era), isError: true };
    }
  }

  private toolResult(value: unknown, era: 'legacy' | 'modern'): CallToolResult {
    const content = [{ type: 'text' as const, text: JSON.stringify(value) }];
    // Until 2025-11-25 structuredContent must be an object; from 2026-07-28 it may be any JSON value.
    const isObject = !!value && typeof value === 'object' && !Array.isArray(value);
    if (this.resultFormat === 'text' || (!isObject && era === 'legacy')) return { content };
    return { content, structuredContent: value as Record<string, unknown> };
  }

  private runTool(org: string, name: string, args: Record<string, unknown>): unknown {
    switch (name) {
      case 'list_workflows': {
        const workflows = [...this.workflows.values()]
          .filter(w => w.org === org)
          .map(w => ({ id: w.id, name: w.name, description: w.description, updated_at: w.updated_at }));
        if (this.listShape === 'array') return workflows;
        return this.listShape === 'items' ? { items: workflows, source: SOURCE } : { workflows, source: SOURCE };
      }
      case 'get_workflow': {
        const w = this.findWorkflow(org, stringArg(args, 'workflow_id'));
        return {
          id: w.id,
          name: w.name,
          description: w.description,
          input_schema: w.input_schema,
          output_schema: w.output_schema,
          created_at: w.created_at,
          updated_at: w.updated_at,
          source: SOURCE,
        };
      }
      case 'run_workflow': {
        const w = this.findWorkflow(org, stringArg(args, 'workflow_id'));
        const input = parseInputData(args.input_data);
        validateInput(w.input_schema, input);
        const run = this.createRun(w, input, this.clock.now());
        this.started.push({ provider: this.id, runId: run.run_id, accountId: w.id, at: run.createdAt, input });
        return { run_id: run.run_id, status: 'pending', source: SOURCE };
      }
      case 'get_run_status': {
        const runId = stringArg(args, 'run_id');
        const run = this.runs.get(runId);
        if (!run || run.org !== org) throw new ToolError('not_found', `Run ${runId} not found`);
        return this.runStatus(run);
      }
    }
    throw protocolError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  }

  private findWorkflow(org: string, id: string): SimWorkflow {
    const w = this.workflows.get(id);
    if (!w || w.org !== org) throw new ToolError('not_found', `Workflow ${id} not found`);
    return w;
  }

  private createRun(w: SimWorkflow, input: unknown, createdAt: number): SimRun {
    const script = this.runScripts.shift() ?? {};
    const durationMs = script.durationMs ?? w.durationMs;
    const run: SimRun = {
      run_id: `agent_run_${randomBytes(8).toString('hex')}`,
      org: w.org,
      workflow_id: w.id,
      input,
      createdAt,
      pendingMs: Math.min(script.pendingMs ?? SECOND, durationMs),
      durationMs,
      fail: script.fail ?? w.failureFor?.(input),
      output: script.output,
    };
    if (run.fail && script.durationMs === undefined) run.durationMs = Math.min(durationMs, 3 * SECOND);
    this.runs.set(run.run_id, run);
    return run;
  }

  private statusOf(run: SimRun, now = this.clock.now()): AdlyseRunStatus {
    if (run.cancelledAt !== undefined && now >= run.cancelledAt) return 'cancelled';
    const age = now - run.createdAt;
    if (age < run.pendingMs) return 'pending';
    if (age < run.durationMs) return 'running';
    return run.fail ? 'failed' : 'completed';
  }

  private runStatus(run: SimRun): Record<string, unknown> {
    const status = this.statusOf(run);
    const base = { run_id: run.run_id, status, created_at: isoSeconds(run.createdAt) };
    const finishedAt = run.createdAt + run.durationMs;
    switch (status) {
      case 'completed': {
        const workflow = this.workflows.get(run.workflow_id);
        const output = run.output !== undefined ? run.output : workflow?.output(run.input);
        return { ...base, output, completed_at: isoSeconds(finishedAt), duration_seconds: Math.round(run.durationMs / 100) / 10, source: SOURCE };
      }
      case 'failed':
        return { ...base, error: run.fail, completed_at: isoSeconds(finishedAt), source: SOURCE };
      case 'cancelled':
        return { ...base, completed_at: isoSeconds(run.cancelledAt!), source: SOURCE };
      default:
        return { ...base, source: SOURCE };
    }
  }
}

/** Takes the first matching scripted item, consuming one of its `times`. */
function takeScripted<T extends { times?: number }>(list: T[], matches: (item: T) => boolean): T | undefined {
  const i = list.findIndex(matches);
  if (i < 0) return undefined;
  const item = list[i];
  item.times = (item.times ?? 1) - 1;
  if (item.times <= 0) list.splice(i, 1);
  return item;
}

function isFinished(status: AdlyseRunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

function stringArg(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || !value) throw protocolError(ErrorCode.InvalidParams, `Input validation error: '${name}' is a required string`);
  return value;
}

/** input_data: object, null (→ {}), or a string parsed as JSON when possible, else kept as raw input. */
function parseInputData(value: unknown): unknown {
  if (value === undefined || value === null) return {};
  if (typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  if (typeof value === 'object' && !Array.isArray(value)) return value;
  throw protocolError(ErrorCode.InvalidParams, 'Input validation error: input_data must be a string, an object or null');
}

/** The trigger-schema validation run_workflow does: required fields and declared primitive types. */
function validateInput(schema: JsonSchema | null, input: unknown): void {
  if (!schema || typeof schema !== 'object' || (schema.type !== 'object' && !schema.properties)) return;
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new ToolError('invalid_input', 'Input validation failed: input_data must be a JSON object for this workflow');
  }
  const record = input as Record<string, unknown>;
  const missing = (schema.required ?? []).filter(name => record[name] === undefined || record[name] === null || record[name] === '');
  if (missing.length) throw new ToolError('invalid_input', `Input validation failed: missing required field${missing.length > 1 ? 's' : ''} ${missing.map(m => `'${m}'`).join(', ')}`);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const value = record[name];
    if (value === undefined || value === null) continue;
    const type = Array.isArray(property.type) ? property.type.find(t => t !== 'null') : property.type;
    const ok =
      type === 'string' ? typeof value === 'string'
      : type === 'number' ? typeof value === 'number'
      : type === 'integer' ? Number.isInteger(value)
      : type === 'boolean' ? typeof value === 'boolean'
      : type === 'array' ? Array.isArray(value)
      : type === 'object' ? typeof value === 'object' && !Array.isArray(value)
      : true;
    if (!ok) throw new ToolError('invalid_input', `Input validation failed: field '${name}' must be of type ${type}`);
  }
}

function isJsonRpcRequest(body: unknown): body is JsonRpcRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const m = body as JsonRpcRequest;
  return typeof m.method === 'string' && (m.params === undefined || (!!m.params && typeof m.params === 'object' && !Array.isArray(m.params)));
}

/**
 * How a dual-era server tells the eras apart (2026-07-28 versioning page): a POST carrying modern per-request
 * _meta, or naming a version the SDK's legacy transport does not know, is modern; initialize, session traffic
 * and the legacy GET stream are legacy.
 */
function isModernRequest(req: SimRequest): boolean {
  if (req.method !== 'POST' || headerValue(req.headers['mcp-session-id'])) return false;
  const meta = isJsonRpcRequest(req.body) ? req.body.params?._meta : undefined;
  if (meta && typeof meta === 'object' && meta[META_PROTOCOL_VERSION] !== undefined) return true;
  const version = headerValue(req.headers['mcp-protocol-version']);
  return !!version && !SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

/** Mcp-Name / Mcp-Param-* values: plain, or the "=?base64?…?=" sentinel form for values unsafe in a header. */
function decodeHeaderValue(value: string | undefined): string | undefined {
  const encoded = value === undefined ? undefined : /^=\?base64\?(.*)\?=$/.exec(value)?.[1];
  return encoded === undefined ? value : Buffer.from(encoded, 'base64').toString('utf8');
}

function jsonRpcErrorReply(status: number, code: number, message: string): SimReply {
  return { status, body: { jsonrpc: '2.0', error: { code, message }, id: null } };
}

/** Only `Authorization: Bearer <key>` counts: Adlyse documents no other way to send it. */
function bearerToken(req: SimRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req.headers.authorization) ?? '');
  return match?.[1];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function requestOrigin(req: SimRequest): string {
  const host = headerValue(req.headers.host) ?? '127.0.0.1';
  return `http://${host}`;
}

/** ISO time without milliseconds, as the seed's examples show ("2026-04-22T14:00:08Z"). */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
