// The built-in providers, behind the boundary every answer crosses on its way to the store, the logs and the
// screen: text redacted, raw error bodies and headers dropped. The composition root registers these.
import { isProviderError, redactDeep, withoutRawParts } from '../core/errors';
import type { ProviderId } from '../core/run';
import { withCalls, type Provider, type ProviderContext, type ProviderDescriptor } from './provider';
import { boringMarketingDescriptor } from './boringMarketing';
import { gloriaMundoDescriptor } from './gloriaMundo';
import { automindzDescriptor } from './automindz';
import { talonicDescriptor } from './talonic';
import { adlyseDescriptor } from './adlyse/adlyse';

/** The bare adapters' descriptors, in the order the UI lists providers. */
const ADAPTERS = [boringMarketingDescriptor, gloriaMundoDescriptor, automindzDescriptor, talonicDescriptor, adlyseDescriptor] as const;

/** The id of a built-in provider: what the simulator, the benchmark and the tests are written for. */
export type BuiltinProviderId = (typeof ADAPTERS)[number]['id'];

export const BUILTIN_PROVIDER_IDS: readonly BuiltinProviderId[] = ADAPTERS.map(d => d.id);

/** A descriptor whose adapters are built behind the redaction boundary. */
export function behindBoundary(descriptor: ProviderDescriptor): ProviderDescriptor {
  return { ...descriptor, create: context => redactingProvider(descriptor.create(context)) };
}

/** The built-in providers as the composition root registers them: every adapter behind the boundary. */
export const BUILTIN_PROVIDERS: readonly ProviderDescriptor[] = ADAPTERS.map(behindBoundary);

/** A built-in provider's adapter behind the boundary, as the service gets it (tests and benchmarks build them directly). */
export function createProvider(id: ProviderId, context: ProviderContext): Provider {
  return redactingProvider(createAdapter(id, context));
}

/** The bare adapter, outside the redaction boundary: only the benchmark needs it (see bench/polling.ts). */
export function createAdapter(id: ProviderId, context: ProviderContext): Provider {
  const descriptor = ADAPTERS.find(d => d.id === id);
  if (!descriptor) throw new Error(`"${id}" is not a built-in provider.`);
  return descriptor.create(context);
}

/**
 * The adapter with every run, account and kind it returns redacted (a provider that echoes a key in a status
 * message or a result must not have it stored), and every error without its raw body and headers once the
 * adapter has mapped it. A data product is returned as is: its share token is the one secret the user must see.
 */
export function redactingProvider(inner: Provider): Provider {
  const guarded =
    <A extends unknown[], R>(fn: ((...args: A) => Promise<R>) | undefined, clean: (value: R) => R = redactDeep) =>
    fn &&
    ((...args: A) =>
      fn.apply(inner, args).then(clean, (e: unknown) => {
        throw isProviderError(e) ? withoutRawParts(e) : e;
      }));
  return withCalls(inner, {
    validateKey: guarded(inner.validateKey)!,
    listAccounts: guarded(inner.listAccounts)!,
    addAccount: guarded(inner.addAccount),
    listRuns: guarded(inner.listRuns)!,
    getRun: guarded(inner.getRun)!,
    listKinds: guarded(inner.listKinds)!,
    startRun: guarded(inner.startRun)!,
    cancelRun: guarded(inner.cancelRun),
    createDataProduct: guarded(inner.createDataProduct, product => product),
  });
}
