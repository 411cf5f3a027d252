// Why a provider is or is not being polled: what the gate, the scheduler and the shared state report, and
// what the tree and status bar show.

export type ProviderHealth =
  | { state: 'ok' }
  | { state: 'noKey' }
  | { state: 'authFailed'; message: string }
  | { state: 'rateLimited'; message: string; until: number }
  | { state: 'backoff'; message: string; until: number }
  | { state: 'misconfigured'; message: string };
