// The error taxonomy every provider call ends in. What each `kind` means (back off, stop the provider, keep
// the run stale, how to show it) is errorPolicy.ts's table; the VS Code layer shows `message` and `hint`.
//
// Two bundles carry this file (dist/extension.js and dist/mcp.js), so each has its own ProviderError class:
// errors are recognized by shape (isProviderError), never by `instanceof`, and the secret registry lives on
// the process's global object, so both bundles redact with the same one.
import { isProviderErrorKind, policyOf, type ProviderErrorKind } from './errorPolicy';


export { kindForStatus, policyOf, type ErrorPolicy, type ProviderErrorKind } from './errorPolicy';

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

/** Marks a ProviderError of any bundle: Symbol.for gives every bundle the same symbol. */
const PROVIDER_ERROR_BRAND = Symbol.for('runwatch.providerError');

export class ProviderError extends Error {
  readonly [PROVIDER_ERROR_BRAND] = true;
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
    return policyOf(this.kind).transient;
  }

  /** Polling this provider is pointless until the key changes. */
  get stopsProvider(): boolean {
    return policyOf(this.kind).stopsProvider;
  }
}

/** A ProviderError made by this bundle or another (dist/mcp.js), recognized by its brand and shape. */
export function isProviderError(e: unknown): e is ProviderError {
  if (typeof e !== 'object' || e === null) return false;
  const shaped = e as { [PROVIDER_ERROR_BRAND]?: unknown; kind?: unknown; message?: unknown };
  return shaped[PROVIDER_ERROR_BRAND] === true && isProviderErrorKind(shaped.kind) && typeof shaped.message === 'string';
}

/**
 * Turns anything thrown into a ProviderError, so that callers deal with one shape. Transport failures are
 * mapped where they happen (the HTTP client, the MCP session); anything else that arrives here unmapped is
 * Runwatch's own failure (a mapper that threw on an answer): `internal`, not an outage to retry.
 */
export function asProviderError(e: unknown, providerName: string): ProviderError {
  if (isProviderError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ProviderError('internal', redact(`Runwatch failed on ${providerName}'s answer (a bug in Runwatch: ${message}).`));
}

/**
 * Credential shapes of any API, scrubbed from anything that may reach a log, an error message or the screen.
 * Each provider adds its own key shapes (ProviderDescriptor.secretPatterns) when it is registered.
 */
const GENERIC_PATTERNS: readonly RegExp[] = [
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  /((?:x-api-key|authorization|api[_-]?key|token)["']?\s*[:=]\s*["']?)(?!Bearer\b)[^\s"',}]{6,}/gi,
];

interface SecretRegistry {
  /** Values (keys, share tokens) registered at run time. */
  readonly values: Set<string>;
  /** Each registered provider's key shapes, by source so a pattern is kept once. */
  readonly patterns: Map<string, RegExp>;
}

/** The one registry of the process, on the global object: every bundle that carries this file finds the same. */
const registry: SecretRegistry = ((globalThis as { [key: symbol]: unknown })[Symbol.for('runwatch.secretRegistry')] ??= {
  values: new Set<string>(),
  patterns: new Map<string, RegExp>(),
}) as SecretRegistry;
const knownSecrets = registry.values;

/** Adds key shapes (a provider's) to what is redacted everywhere. Global regular expressions. */
export function registerSecretPatterns(patterns: readonly RegExp[]): void {
  for (const pattern of patterns) {
    const global = pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
    registry.patterns.set(global.toString(), global);
  }
}

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
  for (const pattern of registry.patterns.values()) out = out.replace(pattern, masked);
  for (const pattern of GENERIC_PATTERNS) out = out.replace(pattern, masked);
  return out;
}

/** A match replaced by `***`, keeping a captured prefix (`Bearer `, `x-api-key: `). */
function masked(match: string, prefix?: unknown): string {
  return typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}***` : '***';
}

/** The secret registry as an object, for code that is handed one (the MCP session); the same registry as redact(). */
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
