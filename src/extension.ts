// Composition root: builds the pieces, wires them to VS Code and returns the API tests read. Nothing here
// blocks on the network or the keychain: keys known from the last session are trusted at once and
// checked in the background.
import * as vscode from 'vscode';
import type { RunwatchService } from './core/contracts';
import { forgetAllSecrets } from './core/errors';
import { createRunwatchService } from './core/service';
import type { CustomProviderId, Run } from './core/run';
import { customAccountNoun } from './providers/custom/declaration';
import { ACCOUNT_NOUN } from './vscode/tree/node';
import type { StateStorage } from './core/store';
import { AccountLabels } from './vscode/accountLabels';
import { StartPresets } from './vscode/startPresets';
import type { RunwatchApi } from './vscode/api';
import { registerCommands } from './vscode/commands';
import { acknowledgeFailure, RunDocuments } from './vscode/documents';
import { Notifier } from './vscode/notifications';
import { SecretKeyVault } from './vscode/secrets';
import { Settings } from './vscode/settings';
import { SteadyMemento } from './vscode/steadyMemento';
import { RunStatusBar } from './vscode/statusBar';
import { RateLimitWaits } from './vscode/rateLimitWaits';
import { redactingLog } from './vscode/redactingLog';
import { WalkthroughProgress } from './vscode/walkthrough';
import { registerRunTasks } from './vscode/tasks';
import { registerLmTools } from './vscode/lmTools';
import type { RunwatchNode } from './vscode/tree/node';
import { RunNode } from './vscode/tree/runNode';
import { RunTreeProvider } from './vscode/tree/runTreeProvider';
import { runTitle } from './core/labels';
import { setDisplayLocale } from './core/intl';
import { useNetworkSettings } from './core/network';

export type { RunwatchApi } from './vscode/api';

const VIEW_ID = 'runwatch.runs';

/**
 * Reads runwatch.customProviders: each invalid declaration is shown once as an error naming its field (the others
 * are used), and the valid ones' account nouns join the table the tree and prompts read.
 */
function useCustomProviders(settings: Settings, log: vscode.LogOutputChannel): CustomProviderId[] {
  const { declarations, problems } = settings.customProviders();
  for (const problem of problems) {
    log.error(problem);
    void vscode.window.showErrorMessage(`Runwatch: ${problem}`);
  }
  for (const d of declarations) ACCOUNT_NOUN[d.providerId] = customAccountNoun(d);
  return declarations.map(d => d.providerId);
}

/** One composition of Runwatch: what activate() builds, and how to take it down again. */
interface Composition {
  readonly service: RunwatchService;
  readonly api: Omit<RunwatchApi, 'reloadForTests'>;
  /** Disposes every piece and writes the store's last state to globalState. */
  dispose(): Promise<void>;
}

let current: Composition | undefined;

export function activate(context: vscode.ExtensionContext): RunwatchApi {
  // One log channel for the extension's lifetime: a reload for tests keeps it, as the Output view would.
  const log = redactingLog(vscode.window.createOutputChannel('Runwatch', { log: true }));
  current = compose(context, log);
  let reloading: Promise<void> | undefined;
  // VS Code disposes these at deactivation: whichever composition is live then, and the log after it.
  context.subscriptions.push({ dispose: () => void current?.dispose() }, log);

  /**
   * For extension tests: tears everything down as a window reload would (store flushed to globalState),
   * runs `whileClosed`, then activates again against the same ExtensionContext (same globalState,
   * SecretStorage and global storage folder). The object returned by activate() stays valid: it reads
   * the live composition.
   */
  const reloadForTests = async (options: { whileClosed?: (globalState: vscode.Memento) => unknown; listRefreshMs?: number } = {}): Promise<void> => {
    if (reloading) throw new Error('Runwatch is already reloading');
    reloading = (async () => {
      const old = current;
      current = undefined;
      await old?.dispose();
      await options.whileClosed?.(context.globalState);
      current = compose(context, log, { listRefreshMs: options.listRefreshMs });
    })();
    try {
      await reloading;
    } finally {
      reloading = undefined;
    }
  };

  const live = (): Composition['api'] => {
    if (!current) throw new Error('Runwatch is not active (reloading or deactivated)');
    return current.api;
  };
  return {
    get service() {
      return live().service;
    },
    get tree() {
      return live().tree;
    },
    get treeView() {
      return live().treeView;
    },
    get statusBar() {
      return live().statusBar;
    },
    get notifier() {
      return live().notifier;
    },
    get documents() {
      return live().documents;
    },
    get tasks() {
      return live().tasks;
    },
    get chatTools() {
      return live().chatTools;
    },
    hasKey: id => live().hasKey(id),
    walkthroughDone: step => live().walkthroughDone(step),
    // The same folder for every composition: readable while reloading too.
    sharedDir: context.globalStorageUri.fsPath,
    get activationMs() {
      return live().activationMs;
    },
    reloadForTests,
  };
}

function compose(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, forTests: { listRefreshMs?: number } = {}): Composition {
  const started = performance.now();
  setDisplayLocale(vscode.env.language);
  const settings = new Settings();
  const applyNetworkSettings = () =>
    useNetworkSettings(() => settings.network(log), { log, globalFetchFollowsSettings: settings.globalFetchFollowsProxySettings() });
  applyNetworkSettings();
  // Every globalState read and write goes through one SteadyMemento (see there: VS Code can lose writes).
  const globalState = new SteadyMemento(context.globalState);
  const vault = new SecretKeyVault(context.secrets, globalState, log);
  // Once this composition is disposed its store must not write any more: a late answer to a request sent
  // before the dispose would otherwise overwrite what the next composition (after a reload) persists.
  let persisting = true;
  const storage: StateStorage = {
    get: key => globalState.get(key),
    update: (key, value) => (persisting ? globalState.update(key, value) : Promise.resolve()),
  };
  const service = createRunwatchService({
    storage,
    keys: vault,
    baseUrl: id => settings.baseUrl(id),
    log,
    scheduler: settings.scheduler(),
    staleAfterFailures: settings.staleAfterFailures(),
    sharedDir: context.globalStorageUri.fsPath,
    listRefreshMs: forTests.listRefreshMs,
    // Read when an adapter is (re)built, so a changed setting applies to the next one.
    get timeoutMs() {
      return settings.timeoutMs();
    },
    customProviders: () => settings.customProviders().declarations,
  });
  let declared = useCustomProviders(settings, log);

  const labels = new AccountLabels(globalState, log);
  const accountLabel = (run: Pick<Run, 'provider' | 'accountId'>) => labels.label(service, run.provider, run.accountId);
  const tree = new RunTreeProvider(service, {
    baseUrlOf: id => {
      const url = settings.baseUrl(id);
      return url.ok ? url.url : undefined;
    },
    accountLabel: (provider, accountId) => labels.label(service, provider, accountId),
    showProvidersWithoutKey: () => settings.showProvidersWithoutKey(),
  });
  const view = vscode.window.createTreeView<RunwatchNode>(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  tree.attach(view);
  const statusBar = new RunStatusBar(service, accountLabel);
  const documents = new RunDocuments(service, accountLabel);
  const notifier = new Notifier({
    service,
    settings: settings.notifications(),
    viewFocused: () => view.visible && vscode.window.state.focused,
    describe: run => runTitle(run, accountLabel(run), kind => service.provider(run.provider).kindLabel?.(kind)),
    reveal: key => tree.reveal(key, { focus: true, expand: true }),
    log,
  });

  const walkthrough = new WalkthroughProgress(service, view, listener => notifier.onDidNotify(listener));
  const runTasks = registerRunTasks({ service, vault, log, accountLabel });
  const chatTools = registerLmTools({ service, vault, log, accountLabel });

  const syncKeyContext = () => {
    void vscode.commands.executeCommand('setContext', 'runwatch.hasAnyKey', vault.keyedProviders().length > 0);
    // Per provider, for commands only one provider can carry out (Create Data Product needs a Talonic key).
    for (const id of service.providerIds()) void vscode.commands.executeCommand('setContext', `runwatch.hasKey.${id}`, vault.hasKey(id));
  };
  syncKeyContext();

  const subscriptions: vscode.Disposable[] = [
    settings,
    vault,
    tree,
    view,
    statusBar,
    documents,
    notifier,
    walkthrough,
    new RateLimitWaits(service, view),
    { dispose: () => service.dispose() },
    ...registerCommands({ service, vault, tree, statusBar, documents, log, accountLabel, walkthrough, presets: new StartPresets(globalState) }),
    ...runTasks.disposables,
    ...chatTools.disposables,
    vault.onDidChangeKeys(change => {
      syncKeyContext();
      // This window's own key commands reset the provider themselves; other windows' changes land here.
      if (change.external) void service.keyChanged(change.id).then(() => tree.resetProvider(change.id));
    }),
    new vscode.Disposable(service.onDidChangeProvider(id => labels.learn(service, id)).dispose),
    settings.onDidChange(change => {
      if (change.scheduler) service.updateSchedulerOptions(settings.scheduler());
      if (change.staleAfterFailures) service.store.staleAfterFailures = settings.staleAfterFailures();
      if (change.notifications) notifier.updateSettings(settings.notifications());
      if (change.treeProviders) tree.resetRoot();
      if (change.customProviders) {
        // Old and new declarations alike get fresh adapters (another path, pointer or key header), as a key change does.
        const before = declared;
        declared = useCustomProviders(settings, log);
        for (const id of new Set([...before, ...declared])) void service.keyChanged(id);
        syncKeyContext();
        tree.resetRoot();
      }
      // Every provider reads the dispatcher per request: the next one goes the new way, no reset needed.
      if (change.network) applyNetworkSettings();
      // A new base URL or timeout means new adapters: reset those providers as a key change does.
      const reset = new Set(change.baseUrls);
      if (change.timeout) for (const id of service.providerIds()) if (service.hasKey(id)) reset.add(id);
      for (const id of reset) void service.keyChanged(id).then(() => tree.resetProvider(id));
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

  const activationMs = performance.now() - started;
  log.info(`Runwatch activated in ${activationMs.toFixed(1)} ms`);

  const api: Composition['api'] = {
    service,
    tree,
    treeView: view,
    statusBar: {
      get visible() {
        return statusBar.state.visible;
      },
      get text() {
        return statusBar.state.text;
      },
      get tooltip() {
        return statusBar.state.tooltip;
      },
      get accessibilityLabel() {
        return statusBar.state.accessibilityLabel;
      },
      get backgroundColor() {
        return statusBar.state.backgroundColor;
      },
      get command() {
        return statusBar.state.command;
      },
      update: () => statusBar.update(),
    },
    notifier: {
      get shown() {
        return notifier.shown;
      },
      get last() {
        return notifier.shown[notifier.shown.length - 1];
      },
      flush: () => notifier.flush(),
    },
    documents: {
      get opened() {
        return documents.opened;
      },
      get last() {
        return documents.opened[documents.opened.length - 1];
      },
    },
    tasks: { transcripts: runTasks.provider.transcripts },
    chatTools: { registered: chatTools.disposables.length > 0, prepared: chatTools.tools.prepared, tools: chatTools.tools.tools },
    hasKey: id => vault.hasKey(id),
    walkthroughDone: step => walkthrough.has(step),
    sharedDir: context.globalStorageUri.fsPath,
    activationMs,
  };

  let disposed: Promise<void> | undefined;
  return {
    service,
    api,
    dispose() {
      disposed ??= (async () => {
        for (const d of subscriptions) {
          try {
            d.dispose();
          } catch (e) {
            console.error('Runwatch: a disposable failed', e);
          }
        }
        // The service's dispose starts a flush; wait for the final state to be written.
        await service.store.flush();
        persisting = false;
        // Secrets leave memory with the composition. The next one (a reload for tests) starts as a new process
        // does, with none registered, so it has to register every stored secret itself.
        forgetAllSecrets();
      })();
      return disposed;
    },
  };
}

export async function deactivate(): Promise<void> {
  // Dispose everything and persist the last known state before the window goes.
  await current?.dispose();
  current = undefined;
}
