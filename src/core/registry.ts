// The providers Runwatch knows in this session, looked up by id: the built-in adapters and any the
// composition root adds. The core and the VS Code layer read provider facts here instead of closed tables,
// so a provider id is any string and one the registry does not know is handled, never a crash.
import * as l10n from '@vscode/l10n';
import { registerSecretPatterns } from './errors';
import type { ProviderDescriptor, ProviderFacts } from './ports';
import type { ProviderId } from './run';

export class ProviderRegistry {
  private readonly byId = new Map<ProviderId, ProviderDescriptor>();

  constructor(descriptors: readonly ProviderDescriptor[] = []) {
    for (const descriptor of descriptors) this.register(descriptor);
  }

  /** Adds a provider; its key shapes are redacted everywhere from now on. Ids are unique. */
  register(descriptor: ProviderDescriptor): void {
    if (this.byId.has(descriptor.id)) throw new Error(`Runwatch already has a provider with the id "${descriptor.id}".`);
    this.byId.set(descriptor.id, descriptor);
    registerSecretPatterns(descriptor.secretPatterns);
  }

  get(id: ProviderId): ProviderDescriptor | undefined {
    return this.byId.get(id);
  }

  has(id: ProviderId): boolean {
    return this.byId.has(id);
  }

  /** Every provider, in the order registered (the order the UI lists them). */
  all(): ProviderDescriptor[] {
    return [...this.byId.values()];
  }

  ids(): ProviderId[] {
    return [...this.byId.keys()];
  }

  /** The provider's name; an unknown provider's id stands in for it. */
  displayName(id: ProviderId): string {
    return this.byId.get(id)?.displayName ?? id;
  }

  /** What the UI shows of a provider: its own facts, or neutral ones for an id the registry does not know. */
  facts(id: ProviderId): ProviderFacts {
    return this.byId.get(id) ?? { id, displayName: id, defaultBaseUrl: '', accountNoun: l10n.t('account'), icon: 'folder', keyPrefixes: [], secretPatterns: [] };
  }
}
