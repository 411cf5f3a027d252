// Composition root: builds the pieces and wires them to VS Code; how they react to changes is the controller's
// (src/vscode/controller.ts). Nothing here blocks on the network or the keychain: keys known from the last
// session are trusted at once and checked in the background.
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { forgetAllSecrets } from './core/errors';
import { createRunwatchService } from './core/service';
import type { Run } from './core/run';
import type { StateStorage } from './core/store';
import { AccountLabels } from './vscode/accountLabels';
import { StartPresets } from './vscode/startPresets';
import type { RunwatchApi } from './vscode/api';
import { registerCommands } from './vscode/commands';
import { RunwatchController } from './vscode/controller';
import { DeclaredProviders } from './vscode/declaredProviders';
import { RunDocuments } from './vscode/documents';
import { Notifier } from './vscode/notifications';
import { SecretKeyVault } from './vscode/secrets';
import { contributedSettingKeys, Settings } from './vscode/settings';
import { SteadyMemento } from './vscode/steadyMemento';
import { RunStatusBar } from './vscode/statusBar';
import { RateLimitWaits } from './vscode/rateLimitWaits';
import { redactingLog } from './vscode/redactingLog';
import { createTestApi, type TestablePieces } from './vscode/testApi';
import { WalkthroughProgress } from './vscode/walkthrough';
import { registerRunTasks } from './vscode/tasks';
import { registerLmTools } from './vscode/lmTools';
import type { RunwatchNode } from './vscode/tree/node';
import { RunTreeProvider } from './vscode/tree/runTreeProvider';
import { runTitle } from './core/labels';
import { setDisplayLocale } from './core/intl';
import { useNetworkSettings } from './core/network';
import { createDefaultServiceDeps } from './serviceDeps';
import type { LaunchFigures } from './codeCache';

export type { RunwatchApi } from './vscode/api';

const VIEW_ID = 'runwatch.runs';

/** How long dist/runwatch.js's top level ran (esbuild.js's banner and footer); absent when not run from the bundle. */
const bundleTopLevel = (globalThis as { __runwatchBundleTopLevel?: { start: number; end?: number } }).__runwatchBundleTopLevel;

/** One composition of Runwatch: what activate() builds, and how to take it down again. */
interface Composition {
  readonly pieces: TestablePieces;
  /** Disposes every piece and writes the store's last state to globalState. */
  dispose(): Promise<void>;
}

let current: Composition | undefined;

/** Returns the test API in ExtensionMode.Test only (see src/vscode/testApi.ts); nothing otherwise. */
export function activate(context: vscode.ExtensionContext): RunwatchApi | undefined {
  // One log channel for the extension's lifetime: a reload for tests keeps it, as the Output view would.
  const log = redactingLog(vscode.window.createOutputChannel('Runwatch', { log: true }));
  current = compose(context, log);
  // VS Code disposes these at deactivation: whichever composition is live then, and the log after it.
  context.subscriptions.push({ dispose: () => void current?.dispose() }, log);
  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return createTestApi({
    sharedDir: context.globalStorageUri.fsPath,
    live: () => current?.pieces,
    // What a window reload does, inside one extension host: the same ExtensionContext (globalState,
    // SecretStorage, global storage folder) for the next composition.
    async reload({ whileClosed, listRefreshMs } = {}) {
      const old = current;
      current = undefined;
      await old?.dispose();
      await whileClosed?.(context.globalState);
      current = compose(context, log, { listRefreshMs });
      return current.pieces;
    },
  });
}

function compose(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, forTests: { listRefreshMs?: number } = {}): Composition {
  const started = performance.now();
  setDisplayLocale(vscode.env.language);
  // Code free of `vscode` (src/core, the pure formatters) translates through @vscode/l10n: same bundle, same language.
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  // The built-in providers, the scheduler and the window lease: what the service is built from.
  const deps = createDefaultServiceDeps();
  const settings = new Settings(deps.providers, log, contributedSettingKeys(context.extension.packageJSON));
  // Before the vault and the store read anything: a declared provider's key and saved runs load like a built-in's.
  const declared = new DeclaredProviders(settings, deps.providers, log);
  declared.apply();
  const applyNetworkSettings = () =>
    useNetworkSettings(() => settings.network(log), { log, globalFetchFollowsSettings: settings.globalFetchFollowsProxySettings() });
  applyNetworkSettings();
  // Every globalState read and write goes through one SteadyMemento (see there: VS Code can lose writes).
  const globalState = new SteadyMemento(context.globalState);
  const vault = new SecretKeyVault(context.secrets, globalState, log, () => deps.providers.ids());
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
  }, deps);

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
  const documents = new RunDocuments(service, accountLabel, log);
  const notifier = new Notifier({
    service,
    settings: settings.notifications(),
    viewFocused: () => view.visible && vscode.window.state.focused,
    describe: run => runTitle(run, accountLabel(run), kind => service.provider(run.provider).kindLabel?.(kind)),
    reveal: key => tree.reveal(key, { focus: true, expand: true }),
    log,
  });

  const walkthrough = new WalkthroughProgress(service, view, notifier.onDidNotify);
  const runTasks = registerRunTasks({ service, vault, log, accountLabel });
  const chatTools = registerLmTools({ service, vault, log, accountLabel });

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
    new RunwatchController({ service, settings, vault, tree, view, notifier, labels, declared, applyNetworkSettings }),
  ];

  const activationMs = performance.now() - started;
  // Loading the bundle costs reading and compiling the file plus running its top level (both in the host's figure).
  const topLevel = bundleTopLevel?.end === undefined ? '' : ` (the bundle's top level ran ${(bundleTopLevel.end - bundleTopLevel.start).toFixed(1)} ms)`;
  // How the launcher (src/launcher.ts) loaded the bundle, and the whole activate() call so far.
  const launch = (globalThis as { __runwatchLaunch?: LaunchFigures }).__runwatchLaunch;
  const compiled =
    launch?.compileMs === undefined
      ? ''
      : ` (read and compiled in ${launch.compileMs.toFixed(1)} ms, code cache ${launch.codeCache}; ${(performance.now() - launch.activateStart).toFixed(1)} ms since the launcher's activate() began)`;
  log.info(`Runwatch activated in ${activationMs.toFixed(1)} ms${topLevel}${compiled}`);

  let disposed: Promise<void> | undefined;
  return {
    pieces: {
      service,
      tree,
      view,
      statusBar,
      notifier,
      documents,
      tasks: runTasks.provider,
      chatTools,
      hasKey: id => vault.hasKey(id),
      walkthroughDone: step => walkthrough.has(step),
      activationMs,
    },
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
        // And for every other globalState write (account labels, presets, keyed providers): the next composition
        // (a reload for tests) reads globalState afresh, so a write still in flight would look lost to it.
        await globalState.settled();
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
