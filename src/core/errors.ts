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

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join('***');
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: unknown) => (typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}***` : '***'));
  }
  return out;
}
