// Boring Marketing (providers.md §1, seeds/000), one file per idea: the wire shapes (wire.ts), the pipelines
// (kinds.ts), the answers mapped to runs (mapping.ts), the error bodies (errorBodies.ts) and the adapter.
export { BoringMarketingProvider, boringMarketingDescriptor } from './adapter';
export { describeBoringMarketingError } from './errorBodies';
export { normalizeDomain } from './kinds';
export { BM_FULL_STAGES, toRun } from './mapping';
