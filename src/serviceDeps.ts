// The parts the service is built from by default: the built-in providers, the poll scheduler, and the file
// lease and shared state in the folder all windows share. The composition root (extension.ts) uses these;
// unit tests use them too, or pass fakes for some parts.
import type { ServiceDeps } from './core/contracts';
import { FileLease, SharedStateFile } from './core/lease';
import type { ProviderDescriptor } from './core/ports';
import { ProviderRegistry } from './core/registry';
import { Scheduler } from './core/scheduler';
import { BUILTIN_PROVIDERS } from './providers';

export function createDefaultServiceDeps(descriptors: readonly ProviderDescriptor[] = BUILTIN_PROVIDERS): ServiceDeps {
  return {
    providers: new ProviderRegistry(descriptors),
    createScheduler: (deps, options) => new Scheduler(deps, options),
    createLease: (dir, options) => new FileLease(dir, options),
    createSharedState: (dir, store, parts) => new SharedStateFile(dir, store, parts),
  };
}
