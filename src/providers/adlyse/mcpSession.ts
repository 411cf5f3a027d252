// One MCP session with a Streamable HTTP server, over the official SDK client (providers.md §6). Bundled on
// its own as dist/mcp.js and loaded lazily by the Adlyse adapter, so the SDK costs nothing until an Adlyse
// key is used. This is the only file in src that imports the SDK.
//
// What it adds to the SDK: a lazy connect with the key as a static Bearer header (read again on every new
// session), one automatic re-initialize when the session expired (404) or the transport broke, a deadline on
// every call, and every failure turned into a ProviderError. It never logs the key or any header.
//
// Errors cross a bundle boundary here: in the packaged extension this file carries its own copy of
// ProviderError, so callers must not rely on `instanceof` (the adapter re-creates them by `name` and `kind`).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProviderError, redact, registerSecret, type ProviderErrorKind } from '../../core/errors';
import type { Logger } from '../../core/http';

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

export interface McpSession {
  callTool(name: string, args: Record<string, unknown>, options?: McpCallOptions): Promise<McpToolResult>;
  /** Ends the session (DELETE, best effort) and releases the connection. The next call opens a new one. */
  close(): Promise<void>;
  /** The current Mcp-Session-Id, when connected and the server assigned one. */
  readonly sessionId: string | undefined;
}

export interface McpSessionOptions {
  url: string;
  getKey: () => Promise<string | undefined>;
  log: Logger;
  /** Deadline for each request (initialize included), in ms. */
  timeoutMs?: number;
  /** Name used in messages ("Adlyse rejected the API key"). */
  serverName?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const CLIENT_INFO = { name: 'runwatch', version: '0.1.0' };

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
  private readonly name: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: McpSessionOptions) {
    this.name = options.serverName ?? 'MCP server';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get sessionId(): string | undefined {
    return this.current?.transport.sessionId;
  }

  async callTool(name: string, args: Record<string, unknown>, options: McpCallOptions = {}): Promise<McpToolResult> {
    const idempotent = options.idempotent ?? true;
    const started = Date.now();
    try {
      let connection = await this.connect(await this.readKey());
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
    } catch (e) {
      const error = this.toProviderError(e, name);
      this.options.log.warn(`${this.name}: tools/call ${name} → ${error.kind} after ${Date.now() - started} ms: ${error.message}`);
      throw error;
    }
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
    registerSecret(key);
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
      requestInit: { headers: { Authorization: `Bearer ${key}`, 'User-Agent': 'Runwatch (VS Code extension)' } },
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
      log.debug(`${this.name}: MCP transport: ${redact(error instanceof Error ? error.message : String(error))}`);
    };
    try {
      await client.connect(transport, { timeout: this.timeoutMs });
    } catch (e) {
      connection.closed = true;
      await client.close().catch(() => undefined);
      const error = this.toProviderError(e, 'initialize');
      log.info(`${this.name}: MCP initialize → ${error.kind} after ${Date.now() - started} ms: ${error.message}`);
      throw error;
    }
    this.current = connection;
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
    if (e instanceof ProviderError) return e;
    const name = this.name;
    if (e instanceof StreamableHTTPError) {
      const status = typeof e.code === 'number' ? e.code : undefined;
      if (status === undefined || status < 0) return new ProviderError('badResponse', `${name} sent a response Runwatch could not read (${redact(shorten(e.message))}).`);
      const kind = kindForHttpStatus(status);
      const text: Partial<Record<ProviderErrorKind, string>> = {
        auth: `${name} rejected the API key (HTTP 401). Check the key with "Runwatch: Set API Key".`,
        forbidden: `${name} refused access (HTTP 403).`,
        notFound: `${name} has no MCP endpoint or session at this address (HTTP 404).`,
        rateLimited: `${name} is rate limiting requests (HTTP 429).`,
        server: `${name} had a server error (HTTP ${status}).`,
      };
      return new ProviderError(kind, text[kind] ?? `${name} rejected the request (HTTP ${status}).`, { status });
    }
    if (e instanceof McpError) {
      if (e.code === ErrorCode.RequestTimeout) return new ProviderError('timeout', `${name} did not answer ${what} within ${Math.round(this.timeoutMs / 1000)} s.`);
      if (e.code === ErrorCode.ConnectionClosed) return new ProviderError('network', `The connection to ${name} closed before it answered ${what}.`);
      const kind: ProviderErrorKind = e.code === ErrorCode.InvalidParams || e.code === ErrorCode.InvalidRequest ? 'validation' : 'badResponse';
      const message = redact(shorten(e.message.replace(/^MCP error -?\d+:\s*/, '')));
      return new ProviderError(kind, `${name} refused ${what}: ${message}`, { code: String(e.code), body: e.data });
    }
    const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.cause?.name === 'ConnectTimeoutError' || err?.cause?.code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new ProviderError('timeout', `${name} did not answer ${what} within ${Math.round(this.timeoutMs / 1000)} s.`);
    }
    if (err?.name === 'ZodError' || /protocol version is not supported|invalid initialize result/i.test(err?.message ?? '')) {
      return new ProviderError('badResponse', `${name} sent an MCP message Runwatch could not read (${redact(shorten(err?.message ?? ''))}).`);
    }
    const why = err?.cause?.code ?? err?.code ?? err?.cause?.message ?? err?.message ?? String(e);
    return new ProviderError('network', redact(`Could not reach ${name} (${shorten(why)}).`));
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
  if (e instanceof StreamableHTTPError) return e.code === 404 || (e.code === 400 && /session/i.test(e.message)) ? 'sessionGone' : 'other';
  if (e instanceof McpError) return e.code === ErrorCode.ConnectionClosed ? 'broken' : 'other';
  if (e instanceof ProviderError) return 'other';
  const err = e as { name?: string; message?: string; cause?: { code?: string } };
  if (err?.message === 'Not connected') return 'brokenBeforeSend';
  // fetch() failed: refused or reset before an answer. Refused means the request never arrived.
  if (err?.name === 'TypeError' || err?.cause?.code) return err?.cause?.code === 'ECONNREFUSED' ? 'brokenBeforeSend' : 'broken';
  return 'other';
}

function kindForHttpStatus(status: number): ProviderErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404 || status === 410) return 'notFound';
  if (status === 429) return 'rateLimited';
  if (status >= 500) return 'server';
  return 'validation';
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
