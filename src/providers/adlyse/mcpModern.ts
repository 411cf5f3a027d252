// The sessionless 2026-07-28 revision of MCP ("modern"), which the SDK does not speak yet: a small
// JSON-RPC-over-POST caller whose every request carries the key and the request metadata (headers mirrored in
// params._meta), answered by one JSON body or an SSE stream.
import * as z from 'zod/mini';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProviderError } from '../../core/errors';
import { CLIENT_INFO, MODERN_VERSION, USER_AGENT, classify, readToolResult, rpcErrorSchema, shorten, type EraClientOptions, type McpToolResult } from './mcpShared';

/** The _meta keys every modern request carries. */
const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';

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

export class ModernMcpClient {
  private modernRequestId = 0;

  constructor(private readonly options: EraClientOptions) {}

  /** A call in the 2026-07-28 era: sent again once when the connection broke, for calls safe to repeat. */
  async call(key: string, name: string, args: Record<string, unknown>, idempotent: boolean): Promise<McpToolResult> {
    try {
      return await this.modernToolCall(key, name, args);
    } catch (e) {
      const failure = classify(e);
      if (!(failure === 'brokenBeforeSend' || (failure === 'broken' && idempotent))) throw e;
      this.options.log.info(`${this.options.name}: MCP connection broke; sending the request again.`);
    }
    return this.modernToolCall(key, name, args);
  }

  private async modernToolCall(key: string, name: string, args: Record<string, unknown>): Promise<McpToolResult> {
    const started = Date.now();
    const result = await this.modernRequest(key, 'tools/call', { name, arguments: args }, name);
    const checked = z.safeParse(modernCallResultSchema, result);
    if (!checked.success) throw new ProviderError('badResponse', `${this.options.name} sent a ${name} result Runwatch could not read (${this.options.redact(shorten(z.prettifyError(checked.error)))}).`);
    // A missing resultType means complete (results from servers of earlier revisions have none).
    const resultType = checked.data.resultType ?? 'complete';
    if (resultType === 'input_required') {
      throw new ProviderError('unsupported', `${this.options.name} asked for more input before answering ${name} (MCP input_required), which Runwatch cannot give.`);
    }
    if (resultType !== 'complete') throw new ProviderError('badResponse', `${this.options.name} answered ${name} with an unknown MCP resultType "${this.options.redact(shorten(resultType, 40))}".`);
    const parsed = readToolResult(result);
    this.options.log.debug(`${this.options.name}: tools/call ${name} → ${parsed.isError ? 'tool error' : 'ok'} (${Date.now() - started} ms, MCP ${MODERN_VERSION})`);
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
    const response = await postWithinOrigin(this.options.fetch, this.options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs) });
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
      throw new ProviderError('badResponse', `${this.options.name} sent an MCP message Runwatch could not read (no result or error).`);
    }
    const error = parsed.data.error;
    if (error) throw new McpError(error.code, error.message ?? '', error.data);
    return parsed.data.result;
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
