// Commands are invoked from tree rows (a node), from other commands and tests (a run key or provider id),
// or from the palette (nothing): these read whichever was given. A provider id counts only when Runwatch
// knows the provider (`providers`, the service's registry).
import type { ProviderId } from '../../core/run';
import type { Account } from '../../core/ports';

/** The providers Runwatch knows (the service's ProviderRegistry). */
export interface KnownProviders {
  has(id: ProviderId): boolean;
}

function record(arg: unknown): Record<string, unknown> | undefined {
  return arg && typeof arg === 'object' ? (arg as Record<string, unknown>) : undefined;
}

export function isProviderId(value: unknown, providers: KnownProviders): value is ProviderId {
  return typeof value === 'string' && providers.has(value);
}

/**
 * The provider part of a run key (`<provider>:<runId>`): the first prefix up to a colon that names a known
 * provider, as a declared provider's id has a colon of its own (`custom:<id>:<runId>`).
 */
function keyProvider(value: string, providers: KnownProviders): ProviderId | undefined {
  for (let colon = value.indexOf(':'); colon > 0 && colon < value.length - 1; colon = value.indexOf(':', colon + 1)) {
    const provider = value.slice(0, colon);
    if (isProviderId(provider, providers)) return provider;
  }
  return undefined;
}

function isRunKey(value: unknown, providers: KnownProviders): boolean {
  return typeof value === 'string' && keyProvider(value, providers) !== undefined;
}

/** A run key (`<provider>:<runId>`) from a RunNode, an error row, `{ key }` or the key itself. */
export function runKeyOf(arg: unknown, providers: KnownProviders): string | undefined {
  if (typeof arg === 'string') return isRunKey(arg, providers) ? arg : undefined;
  const r = record(arg);
  if (!r) return undefined;
  for (const field of ['key', 'runKey']) {
    if (isRunKey(r[field], providers)) return r[field] as string;
  }
  return undefined;
}

/** A provider id from a provider/account/run node, `{ provider }` or the id itself. */
export function providerOf(arg: unknown, providers: KnownProviders): ProviderId | undefined {
  if (isProviderId(arg, providers)) return arg;
  const key = runKeyOf(arg, providers);
  if (key) return keyProvider(key, providers);
  const r = record(arg);
  return r && isProviderId(r.provider, providers) ? r.provider : undefined;
}

/** The account of an AccountNode, or `{ provider, account }`. */
export function accountOf(arg: unknown, providers: KnownProviders): { provider: ProviderId; account: Account } | undefined {
  const r = record(arg);
  const account = record(r?.account);
  if (!r || !account || !isProviderId(r.provider, providers) || typeof account.id !== 'string') return undefined;
  return { provider: r.provider, account: account as unknown as Account };
}
