// How Runwatch reacts to what happens around it: settings, keys (also from other windows), the view and the
// window. The composition root (extension.ts) builds the pieces; this keeps them in step.
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import type { ProviderId } from '../core/run';
import type { AccountLabels } from './accountLabels';
import type { DeclaredProviders } from './declaredProviders';
import { acknowledgeFailure } from './documents';
import type { Notifier } from './notifications';
import type { SecretKeyVault } from './secrets';
import type { Settings } from './settings';
import type { RunwatchNode } from './tree/node';
import { RunNode } from './tree/runNode';
import type { RunTreeProvider } from './tree/runTreeProvider';

export interface ControllerDeps {
  readonly service: RunwatchService;
  readonly settings: Settings;
  readonly vault: SecretKeyVault;
  readonly tree: RunTreeProvider;
  readonly view: vscode.TreeView<RunwatchNode>;
  readonly notifier: Notifier;
  readonly labels: AccountLabels;
  /** runwatch.customProviders into the service's registry. */
  readonly declared: DeclaredProviders;
  /** Points the network layer at the current proxy and certificate settings. */
  applyNetworkSettings(): void;
}

export class RunwatchController implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly deps: ControllerDeps) {
    const { service, settings, vault, view, notifier, labels } = deps;
    this.syncKeyContext();
    this.subscriptions = [
      vault.onDidChangeKeys(change => {
        this.syncKeyContext();
        // This window's own key commands reset the provider themselves; other windows' changes land here.
        if (change.external) this.resetProvider(change.id);
      }),
      new vscode.Disposable(service.onDidChangeProvider(id => labels.learn(service, id)).dispose),
      new vscode.Disposable(service.providers.onDidChange(change => this.declaredChanged(change.ids)).dispose),
      settings.onDidChange(change => {
        if (change.scheduler) service.updateSchedulerOptions(settings.scheduler());
        if (change.staleAfterFailures) service.updateStaleAfterFailures(settings.staleAfterFailures());
        if (change.notifications) notifier.updateSettings(settings.notifications());
        if (change.treeProviders) deps.tree.resetRoot();
        if (change.customProviders) deps.declared.apply();
        // Every provider reads the dispatcher per request: the next one goes the new way, no reset needed.
        if (change.network) deps.applyNetworkSettings();
        // A new base URL or timeout means new adapters: reset those providers as a key change does.
        const reset = new Set(change.baseUrls);
        if (change.timeout) for (const id of service.providerIds()) if (service.hasKey(id)) reset.add(id);
        for (const id of reset) this.resetProvider(id);
      }),
      view.onDidChangeVisibility(e => service.setViewVisible(e.visible)),
      // Selecting a failed run's row counts as having looked at it (clears the status bar's error look).
      view.onDidChangeSelection(e => {
        for (const node of e.selection) if (node instanceof RunNode) acknowledgeFailure(service, node.key);
      }),
      vscode.window.onDidChangeWindowState(state => {
        service.setFocused(state.focused);
        notifier.setFocused(state.focused);
      }),
    ];
    service.setFocused(vscode.window.state.focused);
    service.setViewVisible(view.visible);
  }

  /** The provider's adapter is rebuilt (key, base URL or timeout changed), then its rows reload. */
  private resetProvider(id: ProviderId): void {
    const { service, tree } = this.deps;
    void service.keyChanged(id).then(() => {
      if (service.providers.has(id)) tree.resetProvider(id);
    });
  }

  /**
   * Declared providers came, went or changed: old and new alike get fresh adapters (another path, pointer or key
   * header) as a key change does, a provider declared again finds its stored key, and the tree lists the new set.
   */
  private declaredChanged(ids: readonly ProviderId[]): void {
    for (const id of ids) this.resetProvider(id);
    void this.deps.vault.recheck();
    this.syncKeyContext();
    this.deps.tree.resetRoot();
  }

  /** The context keys menus and the welcome view read: whether any key is set, and per provider. */
  private syncKeyContext(): void {
    const { service, vault } = this.deps;
    void vscode.commands.executeCommand('setContext', 'runwatch.hasAnyKey', vault.keyedProviders().length > 0);
    // Per provider, for commands only one provider can carry out (Create Data Product needs a Talonic key).
    for (const id of service.providerIds()) void vscode.commands.executeCommand('setContext', `runwatch.hasKey.${id}`, vault.hasKey(id));
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
