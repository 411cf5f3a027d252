// What both MCP eras share (see mcpSession.ts): the result and call types, the tool result reader, the answer
// cap, the constants both send, and the checks that say how a call failed and which era a refusal points to.
import * as z from 'zod/mini';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { isProviderError, ProviderError } from '../../core/errors';
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

/** 'legacy': initialize + sessions (2025-11-25 and earlier); 'modern': per-request metadata (2026-07-28). */
export type McpEra = 'legacy' | 'modern';

/** What the session (mcpSession.ts) gives each era's client. */
export interface EraClientOptions {
  url: string;
  log: Logger;
  /** Name used in messages ("Adlyse rejected the API key"). */
  name: string;
  /** Deadline for each request, in ms. */
  timeoutMs: number;
  redact: (text: string) => string;
  /** fetch with the answer cap, for the SDK transport and the 2026-07-28 caller alike. */
  fetch: typeof fetch;
}

/** The same cap as the REST providers' HTTP client (core/http DEFAULT_MAX_BODY_BYTES). */
export const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** JSON-RPC error code of the answer Runwatch puts in place of an SSE stream it stopped reading (client-side only). */
export const ANSWER_TOO_LARGE_CODE = -32099;
/** SSE event type of the event cut at the cap: only untyped and "message" events are read. */
const DISCARDED_EVENT = 'runwatch-discarded';
export const CLIENT_INFO = { name: 'runwatch', version: '0.1.0' };
export const USER_AGENT = 'Runwatch (VS Code extension)';

/** The sessionless revision the modern caller speaks. */
export const MODERN_VERSION = '2026-07-28';
/** HeaderMismatch, MissingRequiredClientCapability, UnsupportedProtocolVersion: codes only a modern server sends. */
const MODERN_ERROR_CODES = new Set([-32020, -32021, -32022]);
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

export const rpcErrorSchema = z.looseObject({ code: z.number(), message: z.nullish(z.string()), data: z.optional(z.unknown()) });
export type RpcError = z.infer<typeof rpcErrorSchema>;
const supportedSchema = z.looseObject({ supported: z.array(z.string()) });

/** Why a call failed, as far as deciding on a retry goes. */
export type Failure = 'sessionGone' | 'brokenBeforeSend' | 'broken' | 'other';

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

export function classify(e: unknown): Failure {
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
export function otherEra(tried: McpEra, e: unknown): McpEra | undefined {
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
export function rpcErrorIn(e: StreamableHTTPError): RpcError | undefined {
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

export function supportedVersions(rpc: RpcError): string[] {
  const parsed = z.safeParse(supportedSchema, rpc.data);
  return parsed.success ? parsed.data.supported : [];
}

/** The error for an answer past the cap, the same words as the HTTP client's. */
export function answerTooLarge(serverName: string, maxBytes: number): ProviderError {
  return new ProviderError('badResponse', `${serverName} sent an answer larger than ${Math.round(maxBytes / 1024 / 1024)} MB (answer too large); Runwatch stopped reading it.`);
}

interface TooLargeMarker {
  runwatchAnswerTooLarge: true;
  maxBytes: number;
}

export function isTooLargeMarker(data: unknown): data is TooLargeMarker {
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

export function shorten(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>(resolve => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
