// One MCP session with a Streamable HTTP server (providers.md §6), dual-era: the official SDK client for the
// session era (initialize + optional Mcp-Session-Id, protocol 2025-11-25 and earlier: "legacy", mcpLegacy.ts), and
// a small JSON-RPC-over-POST caller for the sessionless 2026-07-28 revision ("modern", mcpModern.ts), which the SDK
// does not speak yet; what both share is in mcpShared.ts. This file picks the era and maps every failure.
// Bundled on its own as dist/mcp.js and loaded lazily by the Adlyse adapter, so the SDK costs nothing until an
// Adlyse key is used. This file and those three are the only files in src that import the SDK.
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
import type { Dispatcher } from 'undici';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { isProviderError, kindForStatus, ProviderError, type ProviderErrorKind, type Redactor } from '../../core/errors';
import { failedBeforeSending, type Logger } from '../../core/http';
import { LegacyMcpClient } from './mcpLegacy';
import { ModernMcpClient } from './mcpModern';
import {
  ANSWER_TOO_LARGE_CODE,
  DEFAULT_MAX_ANSWER_BYTES,
  MODERN_VERSION,
  UNSUPPORTED_PROTOCOL_VERSION,
  answerTooLarge,
  cappedFetch,
  isTooLargeMarker,
  otherEra,
  rpcErrorIn,
  shorten,
  supportedVersions,
  type McpCallOptions,
  type McpEra,
  type McpToolResult,
} from './mcpShared';

export { cappedFetch, DEFAULT_MAX_ANSWER_BYTES, readToolResult, type McpCallOptions, type McpEra, type McpToolResult } from './mcpShared';

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

export function createMcpSession(options: McpSessionOptions): McpSession {
  return new DualEraMcpSession(options);
}

class DualEraMcpSession implements McpSession {
  /** The server's era once known (see the top of this file); until then the legacy handshake is tried. */
  private knownEra?: McpEra;
  private readonly name: string;
  private readonly timeoutMs: number;
  private readonly redact: (text: string) => string;
  /** fetch with the answer cap, for the SDK transport and the 2026-07-28 caller alike. */
  private readonly fetch: typeof fetch;
  private readonly legacy: LegacyMcpClient;
  private readonly modern: ModernMcpClient;

  constructor(private readonly options: McpSessionOptions) {
    this.name = options.serverName ?? 'MCP server';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.redact = text => options.redactor.redact(text);
    const { dispatcher } = options;
    // Node's fetch takes an undici dispatcher in its init; without one it goes direct, whatever the settings say.
    const routedFetch: typeof fetch = dispatcher ? async (input, init) => globalThis.fetch(input, { ...init, dispatcher: dispatcher() } as RequestInit) : globalThis.fetch;
    this.fetch = cappedFetch(options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES, this.name, routedFetch);
    const clientOptions = { url: options.url, log: options.log, name: this.name, timeoutMs: this.timeoutMs, redact: this.redact, fetch: this.fetch };
    this.legacy = new LegacyMcpClient({
      ...clientOptions,
      readKey: () => this.readKey(),
      toProviderError: (e, what) => this.toProviderError(e, what),
      onOpened: () => {
        this.knownEra = 'legacy';
      },
    });
    this.modern = new ModernMcpClient(clientOptions);
  }

  get sessionId(): string | undefined {
    return this.legacy.sessionId;
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
          return era === 'modern' ? await this.modern.call(key, name, args, idempotent) : await this.legacy.call(key, name, args, idempotent);
        } catch (e) {
          const other = otherEra(era, e);
          // Once per call: a server that keeps changing its mind gets an error, not a loop.
          if (!other || switched) throw e;
          switched = true;
          this.options.log.info(`${this.name}: the server refused ${era === 'legacy' ? 'the MCP session handshake with a 2026-07-28 error' : 'a 2026-07-28 request as a session-era server would'}; switching to ${other === 'modern' ? `MCP ${MODERN_VERSION} (no sessions)` : 'an MCP session'}.`);
          if (era === 'legacy') await this.legacy.release();
          this.knownEra = era = other;
        }
      }
    } catch (e) {
      const error = this.toProviderError(e, name);
      this.options.log.warn(`${this.name}: tools/call ${name} → ${error.kind} after ${Date.now() - started} ms: ${error.message}`);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.legacy.close();
  }

  private async readKey(): Promise<string> {
    const key = (await this.options.getKey())?.trim();
    if (!key) throw new ProviderError('noKey', `No ${this.name} API key is set. Run "Runwatch: Set API Key".`);
    this.options.redactor.register(key);
    return key;
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
    if (isProviderError(err?.cause)) return err.cause; // the dispatcher's own explanation (a proxy's refusal), made by the other bundle
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
