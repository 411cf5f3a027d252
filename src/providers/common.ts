// Pieces every REST adapter shares: an HttpClient wired to the provider's key, and small mapping helpers.
import * as z from 'zod/mini';
import { ProviderError } from '../core/errors';
import { HttpClient, type ErrorDetail } from '../core/http';
import type { ProviderContext } from './provider';

/** Where a key goes: `X-API-Key: <key>`, `Authorization: Bearer <key>`, or a declared header and scheme. */
export type KeyPlacement = 'x-api-key' | 'bearer' | { header: string; scheme?: string };

function keyHeaders(auth: KeyPlacement, key: string): Record<string, string> {
  if (auth === 'x-api-key') return { 'x-api-key': key };
  if (auth === 'bearer') return { authorization: `Bearer ${key}` };
  return { [auth.header.toLowerCase()]: auth.scheme ? `${auth.scheme} ${key}` : key };
}

/** An HttpClient that sends the key the provider's way (see KeyPlacement). */
export function providerHttp(
  context: ProviderContext,
  providerName: string,
  auth: KeyPlacement,
  describeError?: (status: number, body: unknown) => ErrorDetail | undefined,
): HttpClient {
  return new HttpClient({
    providerName,
    baseUrl: context.baseUrl,
    log: context.log,
    timeoutMs: context.timeoutMs,
    describeError,
    authHeaders: async (): Promise<Record<string, string>> => {
      const key = (await context.getKey())?.trim();
      if (!key) throw new ProviderError('noKey', `No ${providerName} API key is set. Run "Runwatch: Set API Key".`);
      return keyHeaders(auth, key);
    },
  });
}

/** ISO timestamp or undefined: providers send null, empty strings or garbage for "not yet". */
export function isoOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return Number.isFinite(Date.parse(value)) ? value : undefined;
}

/** A plain-object copy of a wire record for the tooltip (drops nothing, adds nothing). */
export function rawRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : undefined;
}

/** Standard key-format check: warn (don't refuse) when the documented prefix is missing. */
export function checkPrefix(key: string, prefixes: readonly string[], providerName: string): { warning?: string; error?: string } {
  const k = key.trim();
  if (!k) return { error: 'The key is empty.' };
  if (/\s/.test(k)) return { error: 'The key contains spaces or line breaks.' };
  if (prefixes.length && !prefixes.some(p => k.startsWith(p))) {
    return { warning: `${providerName} keys usually start with ${prefixes.map(p => `"${p}"`).join(' or ')}; saved anyway.` };
  }
  return {};
}

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
/** What GloriaMundo's execute and Automindz's trigger both answer: the new run's id, its status, where to poll. */
export const startedRunSchema = z.lazy(() => z.looseObject({
  run_id: z.string(),
  status: z.nullish(z.string()),
  poll_url: z.nullish(z.string()),
}));
