// The session era of MCP (initialize + optional Mcp-Session-Id, protocol 2025-11-25 and earlier), spoken by the
// official SDK client: a lazy connect with the key as a static Bearer header (read again on every new session),
// one automatic re-initialize when the session expired (404) or the transport broke, and a deadline on every call.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProviderError } from '../../core/errors';
import { CLIENT_INFO, USER_AGENT, classify, otherEra, readToolResult, withDeadline, type EraClientOptions, type McpToolResult } from './mcpShared';

export interface LegacyClientOptions extends EraClientOptions {
  /** Reads the key again, for a new session. */
  readKey: () => Promise<string>;
  /** The session's one mapping of failures, for a handshake that failed. */
  toProviderError: (e: unknown, what: string) => ProviderError;
  /** A handshake succeeded: the server speaks this era. */
  onOpened: () => void;
}

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** The key this session was opened with, to notice a changed key. Never logged. */
  key: string;
  /** Set once the client or transport closed on its own: the next call must reconnect. */
  closed: boolean;
}

export class LegacyMcpClient {
  private connection?: Promise<Connection>;
  /** The connection once initialized, for sessionId. */
  private current?: Connection;

  constructor(private readonly options: LegacyClientOptions) {}

  get sessionId(): string | undefined {
    return this.current?.transport.sessionId;
  }

  /** A call in the session era: re-initializes once when the session expired or the connection broke. */
  async call(key: string, name: string, args: Record<string, unknown>, idempotent: boolean): Promise<McpToolResult> {
    let connection = await this.connect(key);
    try {
      return await this.invoke(connection, name, args);
    } catch (e) {
      const failure = classify(e);
      if (failure !== 'other') await this.drop(connection);
      const retry = failure === 'sessionGone' || failure === 'brokenBeforeSend' || (failure === 'broken' && idempotent);
      if (!retry) throw e;
      this.options.log.info(`${this.options.name}: ${failure === 'sessionGone' ? 'MCP session expired' : 'MCP connection broke'}; starting a new session.`);
    }
    connection = await this.connect(await this.readKey());
    try {
      return await this.invoke(connection, name, args);
    } catch (e) {
      if (classify(e) !== 'other') await this.drop(connection);
      throw e;
    }
  }

  /** Forgets the legacy connection without ending the session: the server no longer speaks that era. */
  async release(): Promise<void> {
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
      await withDeadline(connection.transport.terminateSession(), Math.min(this.options.timeoutMs, 3_000)).catch(() => undefined);
    }
    await connection.client.close().catch(() => undefined);
  }

  private readKey(): Promise<string> {
    return this.options.readKey();
  }

  private toProviderError(e: unknown, what: string): ProviderError {
    return this.options.toProviderError(e, what);
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
      fetch: this.options.fetch,
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
      log.debug(`${this.options.name}: MCP transport: ${this.options.redact(error instanceof Error ? error.message : String(error))}`);
    };
    try {
      await client.connect(transport, { timeout: this.options.timeoutMs });
    } catch (e) {
      connection.closed = true;
      await client.close().catch(() => undefined);
      if (otherEra('legacy', e)) {
        log.info(`${this.options.name}: MCP initialize refused with a 2026-07-28 error after ${Date.now() - started} ms.`);
        throw e; // callTool switches eras on it
      }
      const failed = this.toProviderError(e, 'initialize');
      log.info(`${this.options.name}: MCP initialize → ${failed.kind} after ${Date.now() - started} ms: ${failed.message}`);
      // No session, so the tool call this connection was for never went out.
      const { status, retryAfterMs, requestId, code, hint, body } = failed;
      throw new ProviderError(failed.kind, failed.message, { status, retryAfterMs, requestId, code, hint, body, notSent: true });
    }
    this.current = connection;
    this.options.onOpened();
    const version = transport.protocolVersion ?? 'unknown';
    log.info(`${this.options.name}: MCP session opened (protocol ${version}${transport.sessionId ? ', with session id' : ''}) in ${Date.now() - started} ms`);
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
      const result = await connection.client.callTool({ name, arguments: args }, undefined, { timeout: this.options.timeoutMs });
      const parsed = readToolResult(result);
      this.options.log.debug(`${this.options.name}: tools/call ${name} → ${parsed.isError ? 'tool error' : 'ok'} (${Date.now() - started} ms)`);
      return parsed;
    } catch (e) {
      // A request that never answered may still hold a connection open: release it with the session.
      if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) await this.drop(connection);
      throw e;
    }
  }
}
