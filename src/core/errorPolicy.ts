// What each kind of provider error means, in one table: whether it is retried, what it says about the provider
// as a whole, what it does to a polled run, and how a command shows it. The gate, the scheduler and the VS Code
// layer read it; none keeps its own switch over kinds. Also the one reading of an HTTP status as a kind, for the
// REST client and the MCP session alike.

export const PROVIDER_ERROR_KINDS = [
  'noKey', // no key stored for the provider
  'auth', // 401, or an MCP auth_error: the key is wrong or revoked
  'forbidden', // 403: the key lacks a scope, or the resource is not the caller's
  'payment', // 402: credits or spend limit exhausted
  'notFound', // 404, 410
  'conflict', // 409
  'validation', // 400 / 422: the request was rejected as invalid
  'rateLimited', // 429
  'server', // 5xx
  'timeout', // no answer in time
  'network', // connection refused, reset, DNS, TLS
  'badResponse', // the body could not be read: HTML, truncated JSON, wrong types, too large
  'unsupported', // the provider has no such operation
  'internal', // Runwatch's own code failed (a mapper threw): a bug, not an outage
] as const;

export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

export interface ErrorPolicy {
  /** Worth trying again later without the user doing anything. */
  readonly transient: boolean;
  /** Polling this provider is pointless until the key changes. */
  readonly stopsProvider: boolean;
  /**
   * What the failure says about the whole provider (its gate): `rateLimit` pauses it, `outage` counts toward
   * its back-off, `answered` shows it is up (it answered, asking again soon will not change the answer),
   * `neutral` says nothing about it.
   */
  readonly provider: 'rateLimit' | 'outage' | 'answered' | 'neutral';
  /**
   * What a failed poll of one run does: `gone` (the run no longer exists), `stop` (the provider's polling
   * stops), `wait` (the run waits with the paused provider), `retry` (kept stale, asked again after a back-off
   * from its cadence or the Retry-After), `slow` (kept stale, asked again slowly).
   */
  readonly poll: 'gone' | 'stop' | 'wait' | 'retry' | 'slow';
  /** What a failed list poll (an account's runs in one request) does; `unbatch` sends the runs back to their own polls. */
  readonly listPoll: 'stop' | 'wait' | 'unbatch' | 'retry' | 'slow';
  /**
   * How a command's failure is shown: `setKey` (an error offering Set API Key), `warning` (it will likely pass),
   * `error`, `bug` (Runwatch's own failure: logged as an error and shown as a bug to report).
   */
  readonly show: 'setKey' | 'warning' | 'error' | 'bug';
}

const KEY: ErrorPolicy = { transient: false, stopsProvider: true, provider: 'neutral', poll: 'stop', listPoll: 'stop', show: 'setKey' };
const OUTAGE: ErrorPolicy = { transient: true, stopsProvider: false, provider: 'outage', poll: 'retry', listPoll: 'retry', show: 'warning' };
/** 403, 402, 400/422, 409, unsupported: the provider answered, and asking again soon will not change the answer. */
const REFUSED: ErrorPolicy = { transient: false, stopsProvider: false, provider: 'answered', poll: 'slow', listPoll: 'slow', show: 'error' };

const POLICIES: Readonly<Record<ProviderErrorKind, ErrorPolicy>> = {
  noKey: KEY,
  auth: KEY,
  forbidden: REFUSED,
  payment: REFUSED,
  // No list to read (the route is gone): each run's own poll says whether that run is gone.
  notFound: { transient: false, stopsProvider: false, provider: 'neutral', poll: 'gone', listPoll: 'unbatch', show: 'error' },
  conflict: REFUSED,
  validation: REFUSED,
  rateLimited: { transient: true, stopsProvider: false, provider: 'rateLimit', poll: 'wait', listPoll: 'wait', show: 'warning' },
  server: OUTAGE,
  timeout: OUTAGE,
  network: OUTAGE,
  // One bad entry spoils a whole list answer: its runs are polled on their own, where it costs that run alone.
  badResponse: { ...OUTAGE, listPoll: 'unbatch' },
  unsupported: REFUSED,
  // Not the provider's doing: no provider back-off, no outage shown; the run is kept and asked again slowly.
  internal: { transient: false, stopsProvider: false, provider: 'neutral', poll: 'slow', listPoll: 'slow', show: 'bug' },
};

/** The policy of a kind; a kind this build does not know (from another bundle or version) is treated as a bug. */
export function policyOf(kind: string): ErrorPolicy {
  return (POLICIES as Readonly<Record<string, ErrorPolicy>>)[kind] ?? POLICIES.internal;
}

export function isProviderErrorKind(value: unknown): value is ProviderErrorKind {
  return typeof value === 'string' && (PROVIDER_ERROR_KINDS as readonly string[]).includes(value);
}

/**
 * What an HTTP error status means, as providers.md documents the statuses: 402 is a payment refusal
 * (credits or spend limit), 409 a conflict (a run already going), 404 and 410 say the thing is not there.
 * Any other 4xx is a rejected request, any 5xx a server failure.
 */
const STATUS_KIND: Readonly<Record<number, ProviderErrorKind>> = {
  400: 'validation',
  401: 'auth',
  402: 'payment',
  403: 'forbidden',
  404: 'notFound',
  409: 'conflict',
  410: 'notFound',
  413: 'validation',
  422: 'validation',
  429: 'rateLimited',
};

export function kindForStatus(status: number): ProviderErrorKind {
  return STATUS_KIND[status] ?? (status >= 500 ? 'server' : 'validation');
}
