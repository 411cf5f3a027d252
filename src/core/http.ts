// One HTTP client for every REST provider: undici underneath, a deadline on every request, a cap on
// body size, zod on every body, Retry-After read, keys redacted from anything it logs or throws.
import type { Dispatcher } from 'undici';
import { loadUndici } from './undiciLazy';

/** undici's `request(url, options)`: the same call its index makes, on our own dispatcher. */
function request(url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher }): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const parsed = new URL(url);
  return loadUndici().request().call(dispatcher, { ...rest, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
}
import type * as z from 'zod/mini';
import { safeParse, prettifyError } from 'zod/mini';
import { isProviderError, kindForStatus, ProviderError, redact, safeRequestId, type ProviderErrorKind } from './errors';
import { isLoopbackHost, networkDispatcher } from './network';

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** What a provider knows about its own error bodies: FastAPI `detail`, Talonic's envelope, … */
export interface ErrorDetail {
  message?: string;
  code?: string;
  requestId?: string;
  hint?: string;
}

export interface HttpClientOptions {
  /** Display name, used in every message ("Boring Marketing answered 502 …"). */
  providerName: string;
  baseUrl: string;
  /** Headers that carry the key. Throws ProviderError('noKey') when there is none. */
  authHeaders: () => Promise<Record<string, string>>;
  /** Reads the provider's error body shape. */
  describeError?: (status: number, body: unknown) => ErrorDetail | undefined;
  timeoutMs?: number;
  maxBodyBytes?: number;
  log?: Logger;
  dispatcher?: Dispatcher;
}

export interface HttpRequest<T> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  schema: z.ZodMiniType<T>;
  /** Extra headers (never the key: authHeaders adds that). */
  headers?: Record<string, string>;
}

export interface HttpResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Checks a base URL from settings: https, or http only on loopback (the simulator, a local dev server),
 * so that a key is never sent in clear text across a network. Returns the URL without a trailing slash.
 */
export function validateBaseUrl(raw: string): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, reason: `"${raw}" is not a URL` };
  }
  if (url.username || url.password) return { ok: false, reason: 'a base URL must not carry credentials' };
  // Every request path is appended to the base URL: a query or fragment there would end up in the middle of it.
  if (url.search || url.hash) return { ok: false, reason: `a base URL must not have a ${url.search ? 'query (?…)' : 'fragment (#…)'}: use ${url.origin}${url.pathname}` };
  if (url.protocol === 'https:') return { ok: true, url: stripSlash(url) };
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return { ok: true, url: stripSlash(url) };
  return { ok: false, reason: `${url.protocol}//${url.host} is not allowed: use https (http is accepted only for localhost)` };
}

function stripSlash(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `Retry-After` as seconds or an HTTP date, else `X-RateLimit-Reset` as unix seconds; in ms from now. */
export function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | undefined {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const reset = headers['x-ratelimit-reset'];
  if (reset !== undefined) {
    const value = Number(reset);
    if (Number.isFinite(value)) {
      // Unix seconds, or (some APIs) seconds from now when small.
      const ms = value > 1e9 ? value * 1000 - now : value * 1000;
      return Math.max(0, ms);
    }
  }
  return undefined;
}

const STATUS_TEXT: Partial<Record<ProviderErrorKind, string>> = {
  auth: 'rejected the API key',
  forbidden: 'refused access',
  payment: 'refused for lack of credits or spend limit',
  notFound: 'could not find it',
  conflict: 'reported a conflict',
  validation: 'rejected the request',
  rateLimited: 'is rate limiting requests',
  server: 'had a server error',
};

export class HttpClient {
  readonly providerName: string;
  private readonly options: HttpClientOptions;

  constructor(options: HttpClientOptions) {
    this.options = options;
    this.providerName = options.providerName;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  url(path: string, query?: HttpRequest<unknown>['query']): string {
    const base = this.options.baseUrl.replace(/\/+$/, '');
    const url = new URL(base + (path.startsWith('/') ? path : `/${path}`));
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async send<T>(req: HttpRequest<T>): Promise<HttpResponse<T>> {
    const { providerName } = this.options;
    const log = this.options.log ?? silentLogger;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBody = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const auth = await this.options.authHeaders();
    const url = this.url(req.path, req.query);
    const pathForLog = redact(new URL(url).pathname);
    const started = Date.now();
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Runwatch (VS Code extension)', ...req.headers, ...auth };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }

    let status: number;
    let responseHeaders: Record<string, string>;
    let text: string;
    try {
      const response = await request(url, {
        method: req.method,
        headers,
        body,
        dispatcher: this.options.dispatcher ?? networkDispatcher(),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      responseHeaders = flattenHeaders(response.headers);
      text = await readCapped(response.body, maxBody, providerName);
    } catch (e) {
      const error = transportError(e, providerName, timeoutMs);
      log.warn(`${req.method} ${pathForLog} → ${error.kind} after ${Date.now() - started} ms: ${redact(error.message)}`);
      throw error;
    }
    const requestId = safeRequestId(responseHeaders['x-request-id']);
    log.info(`${req.method} ${pathForLog} → ${status} (${Date.now() - started} ms)${requestId ? ` [${requestId}]` : ''}`);

    const json = parseJson(text);
    if (status < 200 || status >= 300) throw this.httpError(status, responseHeaders, text, json);

    if (json.ok === false) {
      throw new ProviderError('badResponse', `${providerName} sent a response Runwatch could not read: ${json.reason} (HTTP ${status}).`, {
        status,
        requestId,
        headers: responseHeaders,
      });
    }
    const parsed = safeParse(req.schema, json.value);
    if (!parsed.success) {
      const why = redact(prettifyError(parsed.error)).split('\n').slice(0, 4).join('; ');
      log.warn(`${req.method} ${pathForLog}: unexpected response shape: ${why}`);
      throw new ProviderError('badResponse', `${providerName} sent a response in an unexpected shape: ${why}`, {
        status,
        requestId,
        headers: responseHeaders,
      });
    }
    return { status, data: parsed.data, headers: responseHeaders };
  }

  private httpError(status: number, headers: Record<string, string>, text: string, json: ParsedJson): ProviderError {
    const { providerName } = this.options;
    const kind = kindForStatus(status);
    const body = json.ok ? json.value : undefined;
    const detail = (json.ok ? this.options.describeError?.(status, json.value) : undefined) ?? genericDetail(body);
    const requestId = safeRequestId(detail?.requestId ?? headers['x-request-id']);
    const wait = kind === 'rateLimited' || kind === 'server' ? retryAfterMs(headers) : undefined;
    let message: string;
    if (status >= 300 && status < 400) message = redirectMessage(providerName, status, headers.location);
    else if (detail?.message) message = `${providerName}: ${detail.message}`;
    else if (!json.ok && looksLikeHtml(text)) message = `${providerName} ${STATUS_TEXT[kind] ?? 'failed'} (HTTP ${status}, an HTML error page instead of JSON).`;
    else message = `${providerName} ${STATUS_TEXT[kind] ?? 'failed'} (HTTP ${status}).`;
    return new ProviderError(kind, redact(message), {
      status,
      retryAfterMs: wait,
      requestId,
      code: detail?.code,
      hint: detail?.hint,
      headers,
      body,
    });
  }
}

/** A 3xx: said as what it is, since following it could send the key to another address. */
function redirectMessage(providerName: string, status: number, location: string | undefined): string {
  let target = 'another address';
  if (location) {
    try {
      const url = new URL(location, 'http://base.invalid');
      // Only where it points, never userinfo or a query that may carry a token.
      target = url.host === 'base.invalid' ? url.pathname : `${url.protocol}//${url.host}${url.pathname}`;
      if (target.length > 200) target = `${target.slice(0, 200)}…`;
    } catch {
      // an unreadable Location: keep "another address"
    }
  }
  return `${providerName} redirected the request to ${target} (HTTP ${status}) — Runwatch does not follow redirects; check the base URL setting.`;
}

type ParsedJson = { ok: true; value: unknown } | { ok: false; reason: string };

function parseJson(text: string): ParsedJson {
  if (text.trim() === '') return { ok: false, reason: 'the body was empty' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    if (looksLikeHtml(text)) return { ok: false, reason: 'an HTML page instead of JSON' };
    return { ok: false, reason: 'the JSON was cut off or malformed' };
  }
}

function looksLikeHtml(text: string): boolean {
  return /^\s*<(!doctype|html|head|body|\?xml)/i.test(text);
}

/** FastAPI `{detail}`, `{message}`, `{error: string | {message}}`: the shapes most APIs use. */
export function genericDetail(body: unknown): ErrorDetail | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v : undefined);
  if (str(b.detail)) return { message: str(b.detail) };
  if (Array.isArray(b.detail)) {
    const parts = b.detail
      .map(d => (d && typeof d === 'object' ? str((d as Record<string, unknown>).msg) : undefined))
      .filter((x): x is string => !!x);
    if (parts.length) return { message: parts.join('; ') };
  }
  if (str(b.message)) return { message: str(b.message), code: str(b.code) ?? str(b.error) };
  if (b.error && typeof b.error === 'object') {
    const e = b.error as Record<string, unknown>;
    if (str(e.message)) return { message: str(e.message), code: str(e.code) };
  }
  if (str(b.error)) return { message: str(b.error), code: str(b.error) };
  return undefined;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number, providerName: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new ProviderError('badResponse', `${providerName} sent a response larger than ${Math.round(maxBytes / 1024 / 1024)} MB; Runwatch stopped reading it.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Failures that happen before a byte of the request leaves: no connection (refused, unreachable, DNS, connect
 * timeout) or no trusted TLS session. Anything else (a reset, a timeout while waiting) may follow a request the
 * provider received and acted on.
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

export function failedBeforeSending(code: string): boolean {
  return NOT_SENT_CODES.has(code) || /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code);
}

function transportError(e: unknown, providerName: string, timeoutMs: number): ProviderError {
  if (isProviderError(e)) return e;
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err?.code ?? err?.cause?.code ?? '';
  const notSent = failedBeforeSending(code);
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new ProviderError('timeout', `${providerName} did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}.`, { notSent });
  }
  const why = code || err?.message || String(e);
  return new ProviderError('network', redact(`Could not reach ${providerName} (${why}).`), { notSent });
}
