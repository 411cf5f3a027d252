// One MCP session with a Streamable HTTP server (providers.md §6), dual-era: the official SDK client for the
// session era (initialize + optional Mcp-Session-Id, protocol 2025-11-25 and earlier: "legacy"), and a small
// JSON-RPC-over-POST caller for the sessionless 2026-07-28 revision ("modern"), which the SDK does not speak yet.
// Bundled on its own as dist/mcp.js and loaded lazily by the Adlyse adapter, so the SDK costs nothing until an
// Adlyse key is used. This is the only file in src that imports the SDK.
//
// What it adds to the SDK: a lazy connect with the key as a static Bearer header (read again on every new
// session, and on every modern request), one automatic re-initialize when the session expired (404) or the
// transport broke, a deadline on every call, era detection, and every failure turned into a ProviderError by one
// mapping for both eras. It never logs the key or any header.
//
// Era detection (providers.md §6.5). The 2026-07-28 spec suggests sending a modern request first; Runwatch sends
// the legacy handshake first, because it is the safer probe for the servers it will meet:
//  - Adlyse documents the session era, so legacy is the expected answer, and a legacy server then sees exactly
//    the traffic it saw before this code existed: no refused probe in its logs or rate limits.
//  - The spec's compatibility matrix warns that a legacy server may answer a modern request with an
//    implementation-defined error, with silence, or by running it under legacy rules; the first request is often
//    a tool call, and a run_workflow misread that way could start a run whose answer Runwatch cannot trust.
//  - The other way round is well defined: a modern-only server must refuse the handshake's POST (it lacks the
//    MCP-Protocol-Version and Mcp-Method headers and the per-request _meta) with 400 and a HeaderMismatch, or, as
//    the spec asks of modern-only servers, an UnsupportedProtocolVersion error naming its versions. Both codes are
//    reserved to the MCP spec, so recognizing them is reliable; the cost is one refused request per session.
// The era found is cached for the session's life (a session serves one endpoint, so this is the spec's per-origin
// cache). When a refusal later points to the other era (a legacy session refused with a modern error, or a modern
// request refused with a 400 that is not one) the call re-detects once: the request was refused before it ran, so
// even a run_workflow may be sent again.
//
// Errors cross a bundle boundary here: in the packaged extension this file carries its own copy of
// ProviderError, so callers must not rely on `instanceof` (isProviderError recognizes them by shape).
import * as z from 'zod/mini';
import type { Dispatcher } from 'undici';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { isProviderError, kindForStatus, ProviderError, type ProviderErrorKind, type Redactor } from '../../core/errors';
import { failedBeforeSending, type Logger } from '../../core/http';

export interface McpToolResult {
  /** structuredContent when present, else the first text block parsed as JSON, else that text as is. */
  data: unknown;
  /** The server flagged the result as a tool execution error. */
  isError: boolean;
  /** The first text block, when the result had one. */
  text?: string;
}

export interface McpCallOptions {
  /**
   * False for calls that must not run twice (starting a run): after a connection broke mid-request they are
   * not retried, since the server may already have acted. A 404 for an expired session is always retried:
   * the server refused it before doing anything.
   */
  idempotent?: boolean;
}

/** 'legacy': initialize + sessions (2025-11-25 and earlier); 'modern': per-request metadata (2026-07-28). */
export type McpEra = 'legacy' | 'modern';

export interface McpSession {
  callTool(name: string, args: Record<string, unknown>, options?: McpCallOptions): Promise<McpToolResult>;
  /** Ends the session (DELETE, best effort) and releases the connection. The next call opens a new one. */
  close(): Promise<void>;
  /** The current Mcp-Session-Id, when connected and the server assigned one (never in the modern era). */
  readonly sessionId: string | undefined;
  /** The server's era, once a call has found it. */
  readonly era: McpEra | undefined;
}

export interface McpSessionOptions {
  url: string;
  getKey: () => Promise<string | undefined>;
  log: Logger;
  /** Deadline for each request (initialize included), in ms. */
  timeoutMs?: number;
  /** Name used in messages ("Adlyse rejected the API key"). */
  serverName?: string;
  /**
   * The caller's secret registry. Passed in, not imported: as dist/mcp.js this file is a bundle of its own, and
   * an imported registry would be a second, separate copy that knows none of the caller's secrets.
   */
  redactor: Redactor;
  /** Largest answer read, JSON or SSE alike, in bytes (default: the HTTP client's 4 MB). */
  maxAnswerBytes?: number;
  /**
   * The caller's proxy-aware dispatcher for each request (core/network fetchDispatcher), or undefined where the
   * host's global fetch applies the proxy settings itself. Asked per request, so a settings change applies to the
   * next one. Passed in for the same reason as the redactor: this bundle's copy of core/network is not configured.
   */
  dispatcher?: () => Dispatcher | undefined;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** The same cap as the REST providers' HTTP client (core/http DEFAULT_MAX_BODY_BYTES). */
export const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** JSON-RPC error code of the answer Runwatch puts in place of an SSE stream it stopped reading (client-side only). */
const ANSWER_TOO_LARGE_CODE = -32099;
/** SSE event type of the event cut at the cap: only untyped and "message" events are read. */
const DISCARDED_EVENT = 'runwatch-discarded';
const CLIENT_INFO = { name: 'runwatch', version: '0.1.0' };
const USER_AGENT = 'Runwatch (VS Code extension)';

/** The sessionless revision the modern caller speaks, and the _meta keys every one of its requests carries. */
const MODERN_VERSION = '2026-07-28';
const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
/** HeaderMismatch, MissingRequiredClientCapability, UnsupportedProtocolVersion: codes only a modern server sends. */
const MODERN_ERROR_CODES = new Set([-32020, -32021, -32022]);
const UNSUPPORTED_PROTOCOL_VERSION = -32022;

const rpcErrorSchema = z.looseObject({ code: z.number(), message: z.nullish(z.string()), data: z.optional(z.unknown()) });
type RpcError = z.infer<typeof rpcErrorSchema>;
const rpcResponseSchema = z.looseObject({
  id: z.nullish(z.union([z.string(), z.number()])),
  result: z.optional(z.unknown()),
  error: z.optional(rpcErrorSchema),
});
const modernCallResultSchema = z.looseObject({
  resultType: z.nullish(z.string()),
  content: z.nullish(z.array(z.unknown())),
  isError: z.nullish(z.boolean()),
});
const supportedSchema = z.looseObject({ supported: z.array(z.string()) });

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** The key this session was opened with, to notice a changed key. Never logged. */
  key: string;
  /** Set once the client or transport closed on its own: the next call must reconnect. */
  closed: boolean;
}

/** Why a call failed, as far as deciding on a retry goes. */
type Failure = 'sessionGone' | 'brokenBeforeSend' | 'broken' | 'other';

export function createMcpSession(options: McpSessionOptions): McpSession {
  return new SdkMcpSession(options);
}

class SdkMcpSession implements McpSession {
  private connection?: Promise<Connection>;
  /** The connection once initialized, for sessionId. */
  private current?: Connection;
  /** The server's era once known (see the top of this file); until then the legacy handshake is tried. */
  private knownEra?: McpEra;
  private modernRequestId = 0;
  private readonly name: string;
  private readonly timeoutMs: number;
  private readonly redact: (text: string) => string;
  /** fetch with the answer cap, for the SDK transport and the 2026-07-28 caller alike. */
  private readonly fetch: typeof fetch;

  constructor(private readonly options: McpSessionOptions) {
    this.name = options.serverName ?? 'MCP server';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.redact = text => options.redactor.redact(text);
    const { dispatcher } = options;
    // Node's fetch takes an undici dispatcher in its init; without one it goes direct, whatever the settings say.
    const routedFetch: typeof fetch = dispatcher ? async (input, init) => globalThis.fetch(input, { ...init, dispatcher: dispatcher() } as RequestInit) : globalThis.fetch;
    this.fetch = cappedFetch(options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES, this.name, routedFetch);
  }

  get sessionId(): string | undefined {
    return this.current?.transport.sessionId;
  }

  get era(): McpEra | undefined {
    return this.knownEra;
  }

  async callTool(name: string, args: Record<string, unknown>, options: McpCallOptions = {}): Promise<McpToolResult> {
    const idempotent = options.idempotent ?? true;
    const started = Date.now();
    try {
      const key = await this.readKey();
      let era: McpEra = this.knownEra ?? 'legacy';
      let switched = false;
      for (;;) {
        try {
          return era === 'modern' ? await this.callModern(key, name, args, idempotent) : await this.callLegacy(key, name, args, idempotent);
        } catch (e) {
          const other = otherEra(era, e);
          // Once per call: a server that keeps changing its mind gets an error, not a loop.
          if (!other || switched) throw e;
          switched = true;
          this.options.log.info(`${this.name}: the server refused ${era === 'legacy' ? 'the MCP session handshake with a 2026-07-28 error' : 'a 2026-07-28 request as a session-era server would'}; switching to ${other === 'modern' ? `MCP ${MODERN_VERSION} (no sessions)` : 'an MCP session'}.`);
          if (era === 'legacy') await this.release();
          this.knownEra = era = other;
        }
      }
    } catch (e) {
      const error = this.toProviderError(e, name);
      this.options.log.warn(`${this.name}: tools/call ${name} → ${error.kind} after ${Date.now() - started} ms: ${error.message}`);
      throw error;
    }
  }

  /** A call in the session era: re-initializes once when the session expired or the connection broke. */
  private async callLegacy(key: string, name: string, args: Record<string, unknown>, idempotent: boolean): Promise<McpToolResult> {
    let connection = await this.connect(key);
    try {
      return await this.invoke(connection, name, args);
    } catch (e) {
      const failure = classify(e);
      if (failure !== 'other') await this.drop(connection);
      const retry = failure === 'sessionGone' || failure === 'brokenBeforeSend' || (failure === 'broken' && idempotent);
      if (!retry) throw e;
      this.options.log.info(`${this.name}: ${failure === 'sessionGone' ? 'MCP session expired' : 'MCP connection broke'}; starting a new session.`);
    }
    connection = await this.connect(await this.readKey());
    try {
      return await this.invoke(connection, name, args);
    } catch (e) {
      if (classify(e) !== 'other') await this.drop(connection);
      throw e;
    }
  }

  /** A call in the 2026-07-28 era: sent again once when the connection broke, for calls safe to repeat. */
  private async callModern(key: string, name: string, args: Record<string, unknown>, idempotent: boolean): Promise<McpToolResult> {
    try {
      return await this.modernToolCall(key, name, args);
    } catch (e) {
      const failure = classify(e);
      if (!(failure === 'brokenBeforeSend' || (failure === 'broken' && idempotent))) throw e;
      this.options.log.info(`${this.name}: MCP connection broke; sending the request again.`);
    }
    return this.modernToolCall(key, name, args);
  }

  private async modernToolCall(key: string, name: string, args: Record<string, unknown>): Promise<McpToolResult> {
    const started = Date.now();
    const result = await this.modernRequest(key, 'tools/call', { name, arguments: args }, name);
    const checked = z.safeParse(modernCallResultSchema, result);
    if (!checked.success) throw new ProviderError('badResponse', `${this.name} sent a ${name} result Runwatch could not read (${this.redact(shorten(z.prettifyError(checked.error)))}).`);
    // A missing resultType means complete (results from servers of earlier revisions have none).
    const resultType = checked.data.resultType ?? 'complete';
    if (resultType === 'input_required') {
      throw new ProviderError('unsupported', `${this.name} asked for more input before answering ${name} (MCP input_required), which Runwatch cannot give.`);
    }
    if (resultType !== 'complete') throw new ProviderError('badResponse', `${this.name} answered ${name} with an unknown MCP resultType "${this.redact(shorten(resultType, 40))}".`);
    const parsed = readToolResult(result);
    this.options.log.debug(`${this.name}: tools/call ${name} → ${parsed.isError ? 'tool error' : 'ok'} (${Date.now() - started} ms, MCP ${MODERN_VERSION})`);
    return parsed;
  }

  /**
   * One 2026-07-28 request: POST with the request-metadata headers mirrored in params._meta, answered by one JSON
   * body or an SSE stream. Failures are thrown as the SDK transport throws them (StreamableHTTPError for HTTP,
   * McpError for JSON-RPC errors), so one mapping and one era check serve both eras.
   * Tools that ask for x-mcp-header parameter headers are not supported: Adlyse's tools declare none.
   */
  private async modernRequest(key: string, method: string, params: Record<string, unknown>, mcpName?: string): Promise<unknown> {
    const id = ++this.modernRequestId;
    const meta = { [META_PROTOCOL_VERSION]: MODERN_VERSION, [META_CLIENT_CAPABILITIES]: {}, [META_CLIENT_INFO]: CLIENT_INFO };
    const headers: Record<string, string> = {
      Authorization: `Bearer ${key}`,
      'User-Agent': USER_AGENT,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': MODERN_VERSION,
      'Mcp-Method': method,
    };
    if (mcpName !== undefined) headers['Mcp-Name'] = headerValueFor(mcpName);
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } });
    // The deadline covers the answer's body too: an SSE stream that never delivers the response times out.
    const response = await postWithinOrigin(this.fetch, this.options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!response.ok) {
      const text = response.status >= 300 && response.status < 400 ? 'Redirect to another origin not followed' : await response.text().catch(() => '');
      throw new StreamableHTTPError(response.status, `Error POSTing to endpoint: ${text}`);
    }
    const contentType = response.headers.get('content-type');
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    let message: unknown;
    if (type === 'application/json') message = parseJsonBody(await response.text());
    else if (type === 'text/event-stream') message = await readSseAnswer(response, id);
    else {
      await response.body?.cancel().catch(() => undefined);
      throw new StreamableHTTPError(-1, `Unexpected content type: ${contentType}`);
    }
    const parsed = z.safeParse(rpcResponseSchema, message);
    if (!parsed.success || (parsed.data.error === undefined && parsed.data.result === undefined)) {
      throw new ProviderError('badResponse', `${this.name} sent an MCP message Runwatch could not read (no result or error).`);
    }
    const error = parsed.data.error;
    if (error) throw new McpError(error.code, error.message ?? '', error.data);
    return parsed.data.result;
  }

  /** Forgets the legacy connection without ending the session: the server no longer speaks that era. */
  private async release(): Promise<void> {
    const pending = this.connection;
    this.connection = undefined;
    this.current = undefined;
    const connection = await pending?.catch(() => undefined);
    if (!connection) return;
    connection.closed = true;
    await connection.client.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = undefined;
    this.current = undefined;
    if (!pending) return;
    const connection = await pending.catch(() => undefined);
    if (!connection) return;
    connection.closed = true;
    // The spec asks clients to DELETE a session they are done with; a server may refuse (405) or be gone.
    if (connection.transport.sessionId) {
      await withDeadline(connection.transport.terminateSession(), Math.min(this.timeoutMs, 3_000)).catch(() => undefined);
    }
    await connection.client.close().catch(() => undefined);
  }

  private async readKey(): Promise<string> {
    const key = (await this.options.getKey())?.trim();
    if (!key) throw new ProviderError('noKey', `No ${this.name} API key is set. Run "Runwatch: Set API Key".`);
    this.options.redactor.register(key);
    return key;
  }

  /** The open connection, or a new one (initialize handshake) when there is none or the key changed. */
  private async connect(key: string): Promise<Connection> {
    if (this.connection) {
      const existing = await this.connection.catch(() => undefined);
      if (existing && !existing.closed && existing.key === key) return existing;
      if (existing) await this.drop(existing);
      else this.connection = undefined;
    }
    if (!this.connection) {
      const opening = this.open(key);
      this.connection = opening;
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
    }
    return this.connection;
  }

  private async open(key: string): Promise<Connection> {
    const { log } = this.options;
    const started = Date.now();
    const transport = new StreamableHTTPClientTransport(new URL(this.options.url), {
      requestInit: { headers: { Authorization: `Bearer ${key}`, 'User-Agent': USER_AGENT } },
      fetch: this.fetch,
      // The optional GET stream only carries server notifications, which Runwatch does not use: when it ends,
      // do not keep reconnecting in the background.
      reconnectionOptions: { initialReconnectionDelay: 1_000, maxReconnectionDelay: 1_000, reconnectionDelayGrowFactor: 1, maxRetries: 0 },
    });
    const client = new Client(CLIENT_INFO, {
      capabilities: {},
      // Results are checked with zod by the adapter; skip compiling JSON Schema validators for tool lists.
      jsonSchemaValidator: { getValidator: () => (input: unknown) => ({ valid: true, data: input as never, errorMessage: undefined }) },
    });
    const connection: Connection = { client, transport, key, closed: false };
    client.onclose = () => {
      connection.closed = true;
    };
    client.onerror = error => {
      // Background noise (the optional GET stream ending, a stream cut) is worth a trace, not a warning.
      log.debug(`${this.name}: MCP transport: ${this.redact(error instanceof Error ? error.message : String(error))}`);
    };
    try {
      await client.connect(transport, { timeout: this.timeoutMs });
    } catch (e) {
      connection.closed = true;
      await client.close().catch(() => undefined);
      if (otherEra('legacy', e)) {
        log.info(`${this.name}: MCP initialize refused with a 2026-07-28 error after ${Date.now() - started} ms.`);
        throw e; // callTool switches eras on it
      }
      const failed = this.toProviderError(e, 'initialize');
      log.info(`${this.name}: MCP initialize → ${failed.kind} after ${Date.now() - started} ms: ${failed.message}`);
      // No session, so the tool call this connection was for never went out.
      const { status, retryAfterMs, requestId, code, hint, body } = failed;
      throw new ProviderError(failed.kind, failed.message, { status, retryAfterMs, requestId, code, hint, body, notSent: true });
    }
    this.current = connection;
    this.knownEra = 'legacy';
    const version = transport.protocolVersion ?? 'unknown';
    log.info(`${this.name}: MCP session opened (protocol ${version}${transport.sessionId ? ', with session id' : ''}) in ${Date.now() - started} ms`);
    return connection;
  }

  private async drop(connection: Connection): Promise<void> {
    connection.closed = true;
    if (this.current === connection) this.current = undefined;
    const pending = this.connection;
    if (pending && (await pending.catch(() => undefined)) === connection && this.connection === pending) this.connection = undefined;
    await connection.client.close().catch(() => undefined);
  }

  private async invoke(connection: Connection, name: string, args: Record<string, unknown>): Promise<McpToolResult> {
    const started = Date.now();
    try {
      const result = await connection.client.callTool({ name, arguments: args }, undefined, { timeout: this.timeoutMs });
      const parsed = readToolResult(result);
      this.options.log.debug(`${this.name}: tools/call ${name} → ${parsed.isError ? 'tool error' : 'ok'} (${Date.now() - started} ms)`);
      return parsed;
    } catch (e) {
      // A request that never answered may still hold a connection open: release it with the session.
      if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) await this.drop(connection);
      throw e;
    }
  }

  private toProviderError(e: unknown, what: string): ProviderError {
    if (isProviderError(e)) return e;
    const name = this.name;
    if (e instanceof StreamableHTTPError) {
      const status = typeof e.code === 'number' ? e.code : undefined;
      if (status === undefined || status < 0) return new ProviderError('badResponse', `${name} sent a response Runwatch could not read (${this.redact(shorten(e.message))}).`);
      const rpc = rpcErrorIn(e);
      const supported = rpc?.code === UNSUPPORTED_PROTOCOL_VERSION ? supportedVersions(rpc) : [];
      if (rpc?.code === UNSUPPORTED_PROTOCOL_VERSION && !supported.includes(MODERN_VERSION)) {
        return new ProviderError(
          'badResponse',
          `${name} speaks MCP ${supported.length ? supported.map(v => this.redact(shorten(v, 40))).join(', ') : 'versions'} only; Runwatch speaks ${MODERN_VERSION} and ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
          { status, code: String(rpc.code), body: rpc.data },
        );
      }
      if (status >= 300 && status < 400) {
        return new ProviderError('validation', `${name} redirected the request (HTTP ${status}) — Runwatch does not follow redirects to another address; check the base URL setting.`, { status });
      }
      const kind = kindForStatus(status);
      const text: Partial<Record<ProviderErrorKind, string>> = {
        auth: `${name} rejected the API key (HTTP 401). Check the key with "Runwatch: Set API Key".`,
        forbidden: `${name} refused access (HTTP 403).`,
        notFound: `${name} has no MCP endpoint or session at this address (HTTP 404).`,
        rateLimited: `${name} is rate limiting requests (HTTP 429).`,
        server: `${name} had a server error (HTTP ${status}).`,
      };
      const detail = rpc?.message ? `: ${this.redact(shorten(rpc.message))}` : '.';
      return new ProviderError(kind, text[kind] ?? `${name} rejected the request (HTTP ${status})${detail}`, { status, code: rpc ? String(rpc.code) : undefined, body: rpc?.data });
    }
    if (e instanceof McpError) {
      if (e.code === ANSWER_TOO_LARGE_CODE && isTooLargeMarker(e.data)) return answerTooLarge(name, e.data.maxBytes);
      if (e.code === ErrorCode.RequestTimeout) return new ProviderError('timeout', `${name} did not answer ${what} within ${Math.round(this.timeoutMs / 1000)} s.`);
      if (e.code === ErrorCode.ConnectionClosed) return new ProviderError('network', `The connection to ${name} closed before it answered ${what}.`);
      const kind: ProviderErrorKind = e.code === ErrorCode.InvalidParams || e.code === ErrorCode.InvalidRequest ? 'validation' : 'badResponse';
      const message = this.redact(shorten(e.message.replace(/^MCP error -?\d+:\s*/, '')));
      return new ProviderError(kind, `${name} refused ${what}: ${message}`, { code: String(e.code), body: e.data });
    }
    const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
    if (err?.cause instanceof ProviderError) return err.cause; // the dispatcher's own explanation (a proxy's refusal)
    const notSent = err?.cause?.name === 'ConnectTimeoutError' || failedBeforeSending(err?.cause?.code ?? err?.code ?? '');
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.cause?.name === 'ConnectTimeoutError' || err?.cause?.code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new ProviderError('timeout', `${name} did not answer ${what} within ${Math.round(this.timeoutMs / 1000)} s.`, { notSent });
    }
    if (err?.name === 'ZodError' || /protocol version is not supported|invalid initialize result/i.test(err?.message ?? '')) {
      return new ProviderError('badResponse', `${name} sent an MCP message Runwatch could not read (${this.redact(shorten(err?.message ?? ''))}).`);
    }
    const why = err?.cause?.code ?? err?.code ?? err?.cause?.message ?? err?.message ?? String(e);
    return new ProviderError('network', this.redact(`Could not reach ${name} (${shorten(why)}).`), { notSent });
  }
}

/** Reads a CallToolResult: structuredContent first, else the first text block as JSON, else the text itself. */
export function readToolResult(result: unknown): McpToolResult {
  const r = (result ?? {}) as { content?: unknown; structuredContent?: unknown; isError?: unknown; toolResult?: unknown };
  const blocks = Array.isArray(r.content) ? r.content : [];
  const first = blocks.find(b => b && typeof b === 'object' && (b as { type?: unknown }).type === 'text') as { text?: unknown } | undefined;
  const text = typeof first?.text === 'string' ? first.text : undefined;
  let data: unknown;
  if (r.structuredContent !== undefined && r.structuredContent !== null) data = r.structuredContent;
  else if (text !== undefined) data = parseMaybeJson(text);
  else if (r.toolResult !== undefined) data = r.toolResult; // pre-2025 compatibility result shape
  return { data, isError: r.isError === true, text };
}

function parseMaybeJson(text: string): unknown {
  const trimmed = text.trim();
  if (!/^[[{"]|^-?\d|^(true|false|null)$/.test(trimmed)) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

function classify(e: unknown): Failure {
  // The spec says 404 for an ended session; some servers (older Python SDK versions) answer 400 "No valid session ID".
  if (e instanceof StreamableHTTPError) return e.code === 404 || (e.code === 400 && /session/i.test(e.message) && !otherEra('legacy', e)) ? 'sessionGone' : 'other';
  if (e instanceof McpError) return e.code === ErrorCode.ConnectionClosed ? 'broken' : 'other';
  if (isProviderError(e)) return 'other';
  const err = e as { name?: string; message?: string; cause?: { code?: string } };
  if (err?.message === 'Not connected') return 'brokenBeforeSend';
  // fetch() failed: refused or reset before an answer. Refused means the request never arrived.
  if (err?.name === 'TypeError' || err?.cause?.code) return err?.cause?.code === 'ECONNREFUSED' ? 'brokenBeforeSend' : 'broken';
  return 'other';
}

/**
 * Which era a refusal points to when it is not the one just tried (see the top of this file): a 400 whose body is
 * a modern JSON-RPC error means a modern server; a 400 to a modern request whose body is not one means a legacy
 * server, as does an UnsupportedProtocolVersion that lists only session-era versions.
 */
function otherEra(tried: McpEra, e: unknown): McpEra | undefined {
  if (!(e instanceof StreamableHTTPError) || e.code !== 400) return undefined;
  const rpc = rpcErrorIn(e);
  const modern = rpc !== undefined && MODERN_ERROR_CODES.has(rpc.code);
  if (tried === 'legacy') return modern ? 'modern' : undefined;
  if (!modern) return 'legacy';
  if (rpc.code !== UNSUPPORTED_PROTOCOL_VERSION) return undefined;
  const supported = supportedVersions(rpc);
  return !supported.includes(MODERN_VERSION) && supported.some(v => SUPPORTED_PROTOCOL_VERSIONS.includes(v)) ? 'legacy' : undefined;
}

/** The JSON-RPC error in an HTTP error's body: the SDK transport (and the modern caller) put the body text in the message. */
function rpcErrorIn(e: StreamableHTTPError): RpcError | undefined {
  const start = e.message.indexOf('{');
  if (start < 0) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(e.message.slice(start));
  } catch {
    return undefined;
  }
  const parsed = z.safeParse(z.looseObject({ error: rpcErrorSchema }), body);
  return parsed.success ? parsed.data.error : undefined;
}

function supportedVersions(rpc: RpcError): string[] {
  const parsed = z.safeParse(supportedSchema, rpc.data);
  return parsed.success ? parsed.data.supported : [];
}

/** The error for an answer past the cap, the same words as the HTTP client's. */
function answerTooLarge(serverName: string, maxBytes: number): ProviderError {
  return new ProviderError('badResponse', `${serverName} sent an answer larger than ${Math.round(maxBytes / 1024 / 1024)} MB (answer too large); Runwatch stopped reading it.`);
}

interface TooLargeMarker {
  runwatchAnswerTooLarge: true;
  maxBytes: number;
}

function isTooLargeMarker(data: unknown): data is TooLargeMarker {
  return !!data && typeof data === 'object' && (data as TooLargeMarker).runwatchAnswerTooLarge === true && typeof (data as TooLargeMarker).maxBytes === 'number';
}

/**
 * fetch whose answer bodies stop at `maxBytes`. A JSON body past the cap fails its read with "answer too large".
 * An SSE stream past the cap is cut and ends with a JSON-RPC error for the request it answers (its id read from
 * the request body): the SDK transport reports a broken SSE stream only to onerror, so the waiting call would
 * otherwise hang until its deadline. Either way at most `maxBytes` of the answer is ever held.
 */
export function cappedFetch(maxBytes: number, serverName: string, baseFetch: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (!response.body || response.status === 204 || response.status === 205 || response.status === 304) return response;
    const sse = /^\s*text\/event-stream/i.test(response.headers.get('content-type') ?? '');
    const requestId = sse ? jsonRpcIdOf(init?.body) : undefined;
    let seen = 0;
    let lastByte = 0x0a;
    const limit = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen <= maxBytes) {
          if (chunk.byteLength) lastByte = chunk[chunk.byteLength - 1];
          controller.enqueue(chunk);
          return;
        }
        if (!sse) {
          controller.error(answerTooLarge(serverName, maxBytes));
          return;
        }
        // Close the event that was cut as one of a type nobody reads (so it is dropped, not parsed), then answer
        // the request with an error in its place.
        const endLine = lastByte === 0x0a || lastByte === 0x0d ? '' : '\n';
        let tail = `${endLine}event: ${DISCARDED_EVENT}\n\n`;
        if (requestId !== undefined) {
          const data: TooLargeMarker = { runwatchAnswerTooLarge: true, maxBytes };
          const message = { jsonrpc: '2.0', id: requestId, error: { code: ANSWER_TOO_LARGE_CODE, message: 'answer too large', data } };
          tail += `event: message\ndata: ${JSON.stringify(message)}\n\n`;
        }
        controller.enqueue(new TextEncoder().encode(tail));
        controller.terminate();
      },
    });
    return new Response(response.body.pipeThrough(limit), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The id of the JSON-RPC request in a POST body, when it is one request. */
function jsonRpcIdOf(body: unknown): string | number | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const id = (JSON.parse(body) as { id?: unknown } | null)?.id;
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST that follows a redirect only within the endpoint's origin (307/308 keep the method and body), as the SDK
 * transport does: the Bearer key must never travel to another host.
 */
async function postWithinOrigin(fetch: typeof globalThis.fetch, url: string, init: RequestInit): Promise<Response> {
  let target = new URL(url);
  for (let hops = 0; ; hops++) {
    const response = await fetch(target, { ...init, redirect: 'manual' });
    const location = response.status === 307 || response.status === 308 ? response.headers.get('location') : null;
    if (!location || hops === 5) return response;
    const next = new URL(location, target);
    if (next.origin !== target.origin || next.username || next.password) return response;
    await response.body?.cancel().catch(() => undefined);
    target = next;
  }
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StreamableHTTPError(-1, `Invalid JSON in the response: ${shorten(text, 80)}`);
  }
}

/**
 * Reads an SSE answer until the JSON-RPC response to `id` arrives, skipping comments, other fields and any
 * notifications before it, then closes the stream (in 2026-07-28 closing it is also how a request is cancelled).
 */
async function readSseAnswer(response: Response, id: number): Promise<unknown> {
  const reader = response.body?.getReader();
  if (!reader) throw new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let type = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let end: RegExpExecArray | null;
      // A lone "\r" at the end may be the first half of "\r\n": wait for the next chunk.
      while ((end = /\r\n|\r|\n/.exec(buffer)) && !(!done && end[0] === '\r' && end.index === buffer.length - 1)) {
        const line = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        else if (line.startsWith('event:')) type = line.slice(line.startsWith('event: ') ? 7 : 6);
        if (line !== '') continue;
        const eventType = type;
        type = '';
        if (!data.length) continue;
        // Only "message" events carry JSON-RPC (as the SDK reads them); others are dropped whole.
        if (eventType !== '' && eventType !== 'message') {
          data = [];
          continue;
        }
        const message = parseJsonBody(data.join('\n')) as { id?: unknown; result?: unknown; error?: unknown } | null;
        data = [];
        const answer = !!message && typeof message === 'object' && ('result' in message || 'error' in message);
        if (answer && (message.id === id || (message.id == null && 'error' in message))) return message;
      }
      if (done) break;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  throw new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
}

/** A header value as the 2026-07-28 spec encodes one: as is when plain visible ASCII, else "=?base64?…?=". */
function headerValueFor(value: string): string {
  const plain = /^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/.test(value) && !/^=\?base64\?.*\?=$/.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function shorten(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>(resolve => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
