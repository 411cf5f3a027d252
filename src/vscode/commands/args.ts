// Commands are invoked from tree rows (a node), from other commands and tests (a run key or provider id),
// or from the palette (nothing): these read whichever was given.
import { isProviderId, type ProviderId } from '../../core/run';
import type { Account } from '../../providers/provider';

function record(arg: unknown): Record<string, unknown> | undefined {
  return arg && typeof arg === 'object' ? (arg as Record<string, unknown>) : undefined;
}

export { isProviderId };

/** The provider part of a run key: a custom provider's id has a colon of its own (`custom:<id>:<runId>`). */
function keyProvider(value: string): ProviderId | undefined {
  const colon = value.indexOf(':', value.startsWith('custom:') ? 'custom:'.length : 0);
  const provider = value.slice(0, colon);
  return colon > 0 && colon < value.length - 1 && isProviderId(provider) ? provider : undefined;
}

function isRunKey(value: unknown): boolean {
  return typeof value === 'string' && keyProvider(value) !== undefined;
}

/** A run key (`<provider>:<runId>`) from a RunNode, an error row, `{ key }` or the key itself. */
export function runKeyOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return isRunKey(arg) ? arg : undefined;
  const r = record(arg);
  if (!r) return undefined;
  for (const field of ['key', 'runKey']) {
    if (isRunKey(r[field])) return r[field] as string;
  }
  return undefined;
}

/** A provider id from a provider/account/run node, `{ provider }` or the id itself. */
export function providerOf(arg: unknown): ProviderId | undefined {
  if (isProviderId(arg)) return arg;
  const key = runKeyOf(arg);
  if (key) return keyProvider(key);
  const r = record(arg);
  return r && isProviderId(r.provider) ? r.provider : undefined;
}

/** The account of an AccountNode, or `{ provider, account }`. */
export function accountOf(arg: unknown): { provider: ProviderId; account: Account } | undefined {
  const r = record(arg);
  const account = record(r?.account);
  if (!r || !account || !isProviderId(r.provider) || typeof account.id !== 'string') return undefined;
  return { provider: r.provider, account: account as unknown as Account };
}
