// Builds the adapter for a provider id, behind the boundary every answer crosses on its way to the store,
// the logs and the screen: text redacted, raw error bodies and headers dropped.
import { isProviderError, redactDeep, withoutRawParts } from '../core/errors';
import { isCustomProviderId, type ProviderId } from '../core/run';
import { withCalls, type Provider, type ProviderContext } from './provider';
import { BoringMarketingProvider } from './boringMarketing';
import { GloriaMundoProvider } from './gloriaMundo';
import { AutomindzProvider } from './automindz';
import { TalonicProvider } from './talonic';
import { AdlyseProvider } from './adlyse/adlyse';
import { CustomRestProvider, undeclaredProvider } from './custom/customProvider';
import type { CustomDeclaration } from './custom/declaration';

export function createProvider(id: ProviderId, context: ProviderContext, declarations: readonly CustomDeclaration[] = []): Provider {
  return redactingProvider(createAdapter(id, context, declarations));
}

/** The bare adapter, outside the redaction boundary: only the benchmark needs it (see bench/polling.ts). */
export function createAdapter(id: ProviderId, context: ProviderContext, declarations: readonly CustomDeclaration[] = []): Provider {
  if (isCustomProviderId(id)) {
    const declaration = declarations.find(d => d.providerId === id);
    return declaration ? new CustomRestProvider(declaration, context) : undeclaredProvider(id, context);
  }
  switch (id) {
    case 'boringMarketing':
      return new BoringMarketingProvider(context);
    case 'gloriaMundo':
      return new GloriaMundoProvider(context);
    case 'automindz':
      return new AutomindzProvider(context);
    case 'talonic':
      return new TalonicProvider(context);
    case 'adlyse':
      return new AdlyseProvider(context);
  }
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
