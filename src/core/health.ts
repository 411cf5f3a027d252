// Why a provider is or is not being polled: what the gate, the scheduler and the shared state report, and
// what the tree and status bar show.

export type ProviderHealth =
  | { state: 'ok' }
  | { state: 'noKey' }
  | { state: 'authFailed'; message: string }
  | { state: 'rateLimited'; message: string; until: number }
  | { state: 'backoff'; message: string; until: number }
  | { state: 'misconfigured'; message: string };

/**
 * Whether Runwatch may list a provider's accounts or runs of its own accord (not for a command): not while a
 * pause runs or the provider is stopped. A pause whose time is over lets lists go even before anything has
 * succeeded again: with no run active, a list is the only request that can find the provider back.
 */
export function mayListUnasked(health: ProviderHealth, now: number): boolean {
  if (health.state === 'ok') return true;
  if (health.state === 'rateLimited' || health.state === 'backoff') return health.until <= now;
  return false;
}
