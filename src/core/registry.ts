// The providers Runwatch knows in this session, looked up by id: the built-in adapters and any the
// composition root adds. The core and the VS Code layer read provider facts here instead of closed tables,
// so a provider id is any string and one the registry does not know is handled, never a crash. Besides the
// providers registered for good (the built-ins), a set of declared ones (runwatch.customProviders) can be
// replaced at any time; listeners hear which ids came, went or changed.
import * as l10n from '@vscode/l10n';
import { Emitter, type Disposable } from './emitter';
import { registerSecretPatterns } from './errors';
import type { ProviderDescriptor, ProviderFacts } from './ports';
import type { ProviderId } from './run';

/** The providers whose descriptor came, went or was replaced. */
export interface ProviderRegistryChange {
  readonly ids: readonly ProviderId[];
}

export class ProviderRegistry {
  private readonly byId = new Map<ProviderId, ProviderDescriptor>();
  /** The ids of the declared set (setDeclared); every other one is registered for good. */
  private declared: ProviderId[] = [];
  private readonly changed = new Emitter<ProviderRegistryChange>('provider registry changes');

  constructor(descriptors: readonly ProviderDescriptor[] = []) {
    for (const descriptor of descriptors) this.register(descriptor);
  }

  /** Adds a provider; its key shapes are redacted everywhere from now on. Ids are unique. */
  register(descriptor: ProviderDescriptor): void {
    if (this.byId.has(descriptor.id)) throw new Error(`Runwatch already has a provider with the id "${descriptor.id}".`);
    this.byId.set(descriptor.id, descriptor);
    registerSecretPatterns(descriptor.secretPatterns);
  }

  /**
   * Replaces the declared providers (the previous set leaves, this one comes), after the ones registered for
   * good and in the given order. An id already registered for good, or given twice, is refused before anything
   * changes. Listeners hear every id of the old and the new set: each may have another adapter now.
   */
  setDeclared(descriptors: readonly ProviderDescriptor[]): void {
    const ids = descriptors.map(d => d.id);
    const clash = ids.find((id, i) => ids.indexOf(id) !== i || (this.byId.has(id) && !this.declared.includes(id)));
    if (clash !== undefined) throw new Error(`Runwatch already has a provider with the id "${clash}".`);
    const before = this.declared;
    for (const id of before) this.byId.delete(id);
    for (const descriptor of descriptors) {
      this.byId.set(descriptor.id, descriptor);
      registerSecretPatterns(descriptor.secretPatterns);
    }
    this.declared = ids;
    const touched = [...new Set([...before, ...ids])];
    if (touched.length) this.changed.fire({ ids: touched });
  }

  /** The declared set changed (see setDeclared). */
  onDidChange(listener: (change: ProviderRegistryChange) => void): Disposable {
    return this.changed.event(listener);
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
