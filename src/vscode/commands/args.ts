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

function isRunKey(value: unknown, providers: KnownProviders): boolean {
  if (typeof value !== 'string') return false;
  const colon = value.indexOf(':');
  return colon > 0 && colon < value.length - 1 && isProviderId(value.slice(0, colon), providers);
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
  if (key) return key.split(':')[0];
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
