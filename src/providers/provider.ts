// The contract adapters implement lives in the core (core/ports.ts): the core owns it, adapters depend on it.
// Re-exported here so an adapter imports its contract from beside it.
export * from '../core/ports';
