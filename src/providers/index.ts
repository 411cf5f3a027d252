// Builds the adapter for a provider id.
import type { ProviderId } from '../core/run';
import type { Provider, ProviderContext } from './provider';
import { BoringMarketingProvider } from './boringMarketing';
import { GloriaMundoProvider } from './gloriaMundo';
import { AutomindzProvider } from './automindz';
import { TalonicProvider } from './talonic';
import { AdlyseProvider } from './adlyse/adlyse';

export function createProvider(id: ProviderId, context: ProviderContext): Provider {
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
