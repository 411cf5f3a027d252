// The error taxonomy every provider call ends in. The scheduler decides what to do from `kind`
// (back off, stop the provider, keep the run stale); the VS Code layer shows `message` and `hint`.

export type ProviderErrorKind =
  | 'noKey' // no key stored for the provider
  | 'auth' // 401, or an MCP auth_error: the key is wrong or revoked
  | 'forbidden' // 403: the key lacks a scope, or the resource is not the caller's
  | 'payment' // 402: credits or spend limit exhausted
  | 'notFound' // 404
  | 'conflict' // 409
  | 'validation' // 400 / 422: the request was rejected as invalid
  | 'rateLimited' // 429
  | 'server' // 5xx
  | 'timeout' // no answer in time
  | 'network' // connection refused, reset, DNS, TLS
  | 'badResponse' // the body could not be read: HTML, truncated JSON, wrong types, too large
  | 'unsupported'; // the provider has no such operation

export interface ProviderErrorInit {
  status?: number;
  retryAfterMs?: number;
  requestId?: string;
  code?: string;
  hint?: string;
  headers?: Record<string, string>;
  /** Parsed error body, for callers that need more than the message (Talonic's missing scopes). */
  body?: unknown;
  /** The request certainly never reached the provider (connection refused, DNS, TLS, no session): nothing happened there. */
  notSent?: boolean;
}

export class ProviderError extends Error {
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  readonly code?: string;
  readonly hint?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly notSent?: boolean;

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    init: ProviderErrorInit = {},
  ) {
    super(message);
    this.name = 'ProviderError';
    Object.assign(this, init);
  }

  /** Worth trying again later without the user doing anything. */
  get transient(): boolean {
    return this.kind === 'rateLimited' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'network' || this.kind === 'badResponse';
  }

  /** Polling this provider is pointless until the key changes. */
  get stopsProvider(): boolean {
    return this.kind === 'auth' || this.kind === 'noKey';
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}

/** Turns anything thrown into a ProviderError, so that callers deal with one shape. */
export function asProviderError(e: unknown, providerName: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ProviderError('network', `${providerName}: ${message}`);
}

/**
 * Key shapes the providers document, scrubbed from anything that may reach a log, an error message or
 * the screen, in case a provider echoes a key back.
 */
const KEY_PATTERNS: RegExp[] = [
  /\bbm_[A-Za-z0-9_-]{6,}/g,
  /\bgm_(?:live|test)_[A-Za-z0-9_-]{4,}/g,
  /\btlnc_[A-Za-z0-9_-]{4,}/g,
  /\bmii_[A-Za-z0-9_-]{4,}/g,
  /\bmf_oauth_[A-Za-z0-9_-]{4,}/g,
  /\bshr_[A-Za-z0-9_-]{4,}/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  /((?:x-api-key|authorization|api[_-]?key|token)["']?\s*[:=]\s*["']?)(?!Bearer\b)[^\s"',}]{6,}/gi,
];

const knownSecrets = new Set<string>();

/** Registers a value (an API key, a share token) that must never be printed. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

export function forgetSecret(value: string | undefined): void {
  if (value) knownSecrets.delete(value);
}

/** Empties the registry, as a new extension host process starts (for reloadForTests: a reload must not redact with what the last session registered). */
export function forgetAllSecrets(): void {
  knownSecrets.clear();
}

/** One line of provider text for display: secrets redacted, line breaks and control characters folded into spaces. */
export function redactedLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return redact(text).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join('***');
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: unknown) => (typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}***` : '***'));
  }
  return out;
}

/**
 * The one secret registry, as an object a separately bundled module (dist/mcp.js) is handed: a bundle that
 * imported this file would get its own, empty copy of the registry.
 */
export interface Redactor {
  redact(text: string): string;
  register(value: string | undefined): void;
}

export const secretRedactor: Redactor = { redact, register: registerSecret };

/** Every string inside a JSON-like value redacted (a run's raw body, result, error), in a copy. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (value.length >= 4 ? redact(value) : value) as T;
  if (!value || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map(v => redactDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out as T;
}

/** Longest request id Runwatch shows or logs: a real one is a UUID or so; more is noise or an attack. */
export const MAX_REQUEST_ID_CHARS = 128;

/** A request id from a header or body, fit to show: one line of printable text, redacted, capped. */
export function safeRequestId(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const oneLine = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!oneLine) return undefined;
  // Redacted before it is cut, so a key across the cut cannot show its first half.
  const clean = redact(oneLine);
  return clean.length > MAX_REQUEST_ID_CHARS ? `${clean.slice(0, MAX_REQUEST_ID_CHARS)}…` : clean;
}

/**
 * The error as it leaves an adapter: kind, message, hint and the fields the scheduler and the UI read. The raw
 * body and headers the adapter mapped it from are dropped, so no later log or store can print what a provider
 * echoed (a request body with a key in it, a Set-Cookie).
 */
export function withoutRawParts(e: ProviderError): ProviderError {
  if (e.body === undefined && e.headers === undefined && e.requestId === safeRequestId(e.requestId)) return e;
  return new ProviderError(e.kind, redact(e.message), {
    status: e.status,
    retryAfterMs: e.retryAfterMs,
    requestId: safeRequestId(e.requestId),
    code: e.code,
    hint: e.hint && redact(e.hint),
  });
}
