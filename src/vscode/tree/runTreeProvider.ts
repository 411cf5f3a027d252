// The Runs tree: provider → account → run → stages/errors/links. Provider, account and run nodes are
// cached by id so the very object VS Code rendered is the one fired when it changes: a store change
// redraws just the run rows (and account rows whose run list changed), never the whole tree.
import * as vscode from 'vscode';
import type { RunwatchService } from '../../core/contracts';
import { isActive, type ProviderId } from '../../core/run';
import type { StoreChange } from '../../core/store';
import type { Account } from '../../core/ports';
import { AccountNode } from './accountNode';
import { ActionNode } from './actionNode';
import { accountNodeId, runNodeId, type RunwatchNode, type TreeContext } from './node';
import { ProviderNode } from './providerNode';
import { RunNode } from './runNode';
import { adapterCapabilities, type AdapterCapabilities } from '../runActions';

/** How often visible active rows are redrawn so that their age stays true. */
/** Finished runs younger than this still get their "… ago" redrawn. */
const RECENT_FINISH_MS = 60 * 60_000;
const AGE_TICK_MS = 30_000;
/**
 * An expanded account with at most this many runs is redrawn at once when its "n active" count changes: VS Code
 * re-lists the runs of a row it redraws, which costs little for a hundred rows. A larger one (1,000 active runs)
 * gets its new count with the next age redraw, so that a completion there redraws one row, not a thousand.
 */
const REDRAW_AT_ONCE_MAX_RUNS = 100;

export interface TreeStats {
  /** Nodes passed to onDidChangeTreeData since activation. */
  firedNodes: number;
  /** Times the whole tree was refreshed. */
  fullRefreshes: number;
  /** Nodes fired by the last store change. */
  lastFired: number;
}

export class RunTreeProvider implements vscode.TreeDataProvider<RunwatchNode>, TreeContext, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<RunwatchNode | RunwatchNode[] | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly providers = new Map<ProviderId, ProviderNode>();
  private readonly accounts = new Map<string, AccountNode>();
  private readonly runs = new Map<string, RunNode>();
  /**
   * Each provider's adapter capabilities, read on first use and again after the provider is reset (resetProvider
   * follows the service's own reset of the adapter): a render reads these and never asks the service for an
   * adapter, which would build a new one mid-render after a base URL change.
   */
  private readonly capabilitiesByProvider = new Map<ProviderId, AdapterCapabilities>();
  private readonly requestedRuns = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private view: vscode.TreeView<RunwatchNode> | undefined;
  private ageTimer: ReturnType<typeof setInterval> | undefined;
  /** Account rows as the view shows them: expanded or not (the state first given, then the user's). */
  private readonly expanded = new Map<string, boolean>();
  /**
   * Expanded account rows whose "n active" changed while their runs did not (a completion): redrawn with the next
   * age redraw, which re-lists their runs anyway. VS Code re-lists every child of a row it redraws (the
   * workbench's TreeView.refresh → updateChildren(element, recursive) and the extension host's refreshNode both
   * drop the row's children), so redrawing a brand of 1,000 runs at each completion cost ~1,000 getTreeItem calls.
   */
  private readonly countsBehind = new Set<string>();
  /** The root rows when last asked (empty: the welcome view), to redraw the root only when they change. */
  private rootShape = '';
  private readonly addProviderNode: ActionNode;
  readonly stats: TreeStats = { firedNodes: 0, fullRefreshes: 0, lastFired: 0 };

  readonly now: () => number;
  private readonly baseUrlOf: (id: ProviderId) => string | undefined;
  private readonly labelOf: ((provider: ProviderId, accountId: string) => string | undefined) | undefined;
  private readonly showProvidersWithoutKey: () => boolean;

  constructor(
    readonly service: RunwatchService,
    options: {
      /** The provider's base URL when valid (shown on the provider row when not the default). */
      baseUrlOf?: (id: ProviderId) => string | undefined;
      /** Remembered account labels, for runs whose account list is not loaded yet. */
      accountLabel?: (provider: ProviderId, accountId: string) => string | undefined;
      /** `runwatch.showProvidersWithoutKey`: every provider gets its row, keyed or not. */
      showProvidersWithoutKey?: () => boolean;
      now?: () => number;
    } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.showProvidersWithoutKey = options.showProvidersWithoutKey ?? (() => false);
    this.addProviderNode = new ActionNode('addProvider', undefined, { label: vscode.l10n.t('Add another provider…'), command: 'runwatch.setApiKey', icon: 'add' });
    this.baseUrlOf = options.baseUrlOf ?? (() => undefined);
    this.labelOf = options.accountLabel;
    this.disposables.push(
      this.changeEmitter,
      service.store.onDidChange(change => this.onStoreChange(change)),
      service.onDidChangeProvider(id => this.fire([this.providerNode(id)])),
    );
  }

  /** Binds the TreeView, to reveal nodes and to redraw ages only while visible. */
  attach(view: vscode.TreeView<RunwatchNode>): void {
    this.view = view;
    const sync = () => {
      if (this.ageTimer) clearInterval(this.ageTimer);
      this.ageTimer = view.visible ? setInterval(() => this.redrawActiveRows(), AGE_TICK_MS) : undefined;
    };
    sync();
    this.disposables.push(
      view.onDidChangeVisibility(sync),
      view.onDidExpandElement(e => this.expanded.set(e.element.id, true)),
      view.onDidCollapseElement(e => {
        this.expanded.set(e.element.id, false);
        // Collapsed, the row redraws without listing its runs: its count catches up now.
        const node = this.accounts.get(e.element.id);
        if (node && this.countsBehind.delete(node.id)) this.fire([node]);
      }),
    );
  }

  /** An account row's collapsible state as given to VS Code; it keeps the user's choice after the first. */
  noteExpansion(id: string, expanded: boolean): void {
    if (!this.expanded.has(id)) this.expanded.set(id, expanded);
  }

  /** Whether redrawing this row now would make VS Code list its runs again: shown, expanded and on screen. */
  private listsOnRedraw(node: AccountNode): boolean {
    return !!this.view?.visible && this.expanded.get(node.id) !== false;
  }

  // ── TreeContext ────────────────────────────────────────────────────────

  providerNode(id: ProviderId): ProviderNode {
    let node = this.providers.get(id);
    if (!node) {
      node = new ProviderNode(this, id, this.baseUrlOf);
      this.providers.set(id, node);
    }
    return node;
  }

  accountNode(provider: ProviderId, account: Account): AccountNode {
    const id = accountNodeId(provider, account.id);
    let node = this.accounts.get(id);
    if (!node) {
      node = new AccountNode(this, provider, account, this.providerNode(provider));
      this.accounts.set(id, node);
    } else {
      node.account = account;
    }
    return node;
  }

  runNode(key: string): RunNode | undefined {
    const id = runNodeId(key);
    let node = this.runs.get(id);
    if (node) return node;
    const t = this.service.store.get(key);
    if (!t) return undefined;
    const parent = this.accountNode(t.run.provider, this.accountFor(t.run.provider, t.run.accountId));
    node = new RunNode(this, key, t.run.provider, parent);
    this.runs.set(id, node);
    return node;
  }

  capabilities(provider: ProviderId): AdapterCapabilities {
    let capabilities = this.capabilitiesByProvider.get(provider);
    if (!capabilities) {
      capabilities = adapterCapabilities(this.service.provider(provider));
      this.capabilitiesByProvider.set(provider, capabilities);
    }
    return capabilities;
  }

  runsRequested(provider: ProviderId, accountId: string): boolean {
    return this.requestedRuns.has(accountNodeId(provider, accountId));
  }

  markRunsRequested(provider: ProviderId, accountId: string): void {
    this.requestedRuns.add(accountNodeId(provider, accountId));
  }

  accountLabel(provider: ProviderId, accountId: string): string {
    return (
      this.accounts.get(accountNodeId(provider, accountId))?.account.label ||
      this.service.accounts(provider)?.find(a => a.id === accountId)?.label ||
      this.labelOf?.(provider, accountId) ||
      accountId
    );
  }

  private accountFor(provider: ProviderId, accountId: string): Account {
    return this.service.accounts(provider)?.find(a => a.id === accountId) ?? this.accounts.get(accountNodeId(provider, accountId))?.account ?? { provider, id: accountId, label: accountId };
  }

  // ── TreeDataProvider ───────────────────────────────────────────────────

  getTreeItem(node: RunwatchNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: RunwatchNode): RunwatchNode[] | Promise<RunwatchNode[]> {
    if (node) return node.getChildren();
    const { keyed, withoutKey } = this.rootProviders();
    this.rootShape = this.shapeOf(keyed, withoutKey);
    // Empty until a key exists, so that the welcome view (viewsWelcome) shows.
    if (!keyed.length) return [];
    if (this.showProvidersWithoutKey()) return this.service.providerIds().map(id => this.providerNode(id));
    // Providers the user has not taken up fold into one row: the tree is about the runs they do have.
    if (!withoutKey.length) return keyed.map(id => this.providerNode(id));
    const names = withoutKey.map(id => this.service.displayName(id));
    this.addProviderNode.spec.description = names.join(', ');
    this.addProviderNode.spec.tooltip = vscode.l10n.t('Set an API key for {0} to watch its runs here too. The setting "Runwatch: Show Providers Without Key" lists them all.', names.join(', '));
    return [...keyed.map(id => this.providerNode(id)), this.addProviderNode];
  }

  private rootProviders(): { keyed: ProviderId[]; withoutKey: ProviderId[] } {
    const ids = this.service.providerIds();
    return { keyed: ids.filter(id => this.service.hasKey(id)), withoutKey: ids.filter(id => !this.service.hasKey(id)) };
  }

  private shapeOf(keyed: ProviderId[], withoutKey: ProviderId[]): string {
    return keyed.length ? `${this.showProvidersWithoutKey() ? 'all' : keyed.join(',')}|${withoutKey.length > 0}` : '';
  }

  getParent(node: RunwatchNode): RunwatchNode | undefined {
    return node.parent;
  }

  resolveTreeItem(item: vscode.TreeItem, node: RunwatchNode): vscode.TreeItem {
    item.tooltip ??= node.resolveTooltip();
    return item;
  }

  // ── changes ────────────────────────────────────────────────────────────

  /** Everything, for the Refresh button and key changes that add or remove the whole tree. */
  refreshAll(): void {
    this.requestedRuns.clear();
    this.stats.fullRefreshes++;
    this.changeEmitter.fire(undefined);
  }

  /**
   * A provider's key was set or cleared: its run lists load again with the new key. The whole tree redraws
   * only when the root's rows change (a provider gains or loses its row, the welcome view comes or goes).
   */
  resetProvider(id: ProviderId): void {
    this.capabilitiesByProvider.set(id, adapterCapabilities(this.service.provider(id)));
    for (const requested of [...this.requestedRuns]) if (requested.startsWith(`account:${id}:`)) this.requestedRuns.delete(requested);
    if (!this.resetRoot()) this.fire([this.providerNode(id)]);
  }

  /** The root's rows may have changed (a key, a setting): redraws the whole tree if they did, and says so. */
  resetRoot(): boolean {
    const { keyed, withoutKey } = this.rootProviders();
    const shape = this.shapeOf(keyed, withoutKey);
    if (shape === this.rootShape) return false;
    this.rootShape = shape;
    this.stats.fullRefreshes++;
    this.changeEmitter.fire(undefined);
    return true;
  }

  /** Reloads an account's runs next time it renders, and redraws it now. */
  invalidateAccount(node: AccountNode): void {
    this.requestedRuns.delete(node.id);
    this.fire([node]);
  }

  fire(nodes: RunwatchNode[]): void {
    if (!nodes.length) return;
    this.stats.firedNodes += nodes.length;
    this.stats.lastFired = nodes.length;
    this.changeEmitter.fire(nodes.length === 1 ? nodes[0] : nodes);
  }

  private onStoreChange(change: StoreChange): void {
    const accountsToFire = new Map<string, AccountNode>();
    // Runs added or removed: the account's children changed, it is redrawn (and re-listed) now.
    for (const a of change.accounts) {
      const node = this.accounts.get(accountNodeId(a.provider, a.accountId));
      if (node) accountsToFire.set(node.id, node);
    }
    // A run that starts or ends changes its account's "n active" count, not its children: a collapsed or
    // hidden row is redrawn now (that lists nothing), and so is an expanded one of a few runs; a large expanded
    // one with the next age redraw (countsBehind).
    // Each account is decided once per change: a batch of completions under one large account counts its runs once.
    const decided = new Set<string>();
    for (const t of change.transitions) {
      if (isActive(t.to) === (t.from === undefined || isActive(t.from))) continue;
      const node = this.accounts.get(accountNodeId(t.run.provider, t.run.accountId));
      if (!node || decided.has(node.id) || accountsToFire.has(node.id)) continue;
      decided.add(node.id);
      if (this.listsOnRedraw(node) && this.service.store.forAccount(node.provider, node.account.id).length > REDRAW_AT_ONCE_MAX_RUNS) this.countsBehind.add(node.id);
      else accountsToFire.set(node.id, node);
    }
    for (const id of accountsToFire.keys()) this.countsBehind.delete(id);
    const runsToFire: RunwatchNode[] = [];
    for (const key of change.keys) {
      const id = runNodeId(key);
      const node = this.runs.get(id);
      if (!node) continue;
      if (!this.service.store.get(key)) {
        this.runs.delete(id);
        continue;
      }
      // A redrawn account redraws its runs too; firing them as well would be wasted work.
      if (node.parent && accountsToFire.has(node.parent.id)) continue;
      runsToFire.push(node);
    }
    this.fire([...accountsToFire.values(), ...runsToFire]);
  }

  /** Rows show their age; redraw the rendered ones whose age still moves visibly, while the view is visible. */
  private redrawActiveRows(): void {
    const recent = Date.now() - RECENT_FINISH_MS;
    // An account whose count is behind is redrawn whole: that re-lists its rows, so they are not fired as well.
    const accounts = [...this.countsBehind].map(id => this.accounts.get(id)).filter((n): n is AccountNode => !!n);
    this.countsBehind.clear();
    const redrawn = new Set(accounts.map(a => a.id));
    const nodes = [...this.runs.values()].filter(n => {
      const t = n.tracked;
      if (!t || t.gone || (n.parent && redrawn.has(n.parent.id))) return false;
      return isActive(t.run.status) || (Date.parse(t.run.finishedAt ?? '') || t.lastChangedAt) > recent;
    });
    this.fire([...accounts, ...nodes]);
  }

  // ── reveal ─────────────────────────────────────────────────────────────

  /** Selects a run in the tree, expanding its provider and account. */
  async reveal(key: string, options: { focus?: boolean; expand?: boolean } = {}): Promise<boolean> {
    const node = this.runNode(key);
    if (!node || !this.view) return false;
    try {
      await this.view.reveal(node, { select: true, focus: options.focus ?? false, expand: options.expand ?? false });
      return true;
    } catch {
      return false;
    }
  }

  async revealAccount(provider: ProviderId, account: Account): Promise<boolean> {
    if (!this.view) return false;
    try {
      await this.view.reveal(this.accountNode(provider, account), { select: true, focus: false, expand: true });
      return true;
    } catch {
      return false;
    }
  }

  dispose(): void {
    if (this.ageTimer) clearInterval(this.ageTimer);
    for (const d of this.disposables) d.dispose();
  }
}
