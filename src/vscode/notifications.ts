// Shows what the notification policy (core/notifyPolicy.ts) decides: finished, failed, cancelled and stuck
// runs, batched and summarised, with "Show Error" / "Re-run" / "Open"; quiet batches go to the status bar
// only; one warning per provider whose key was rejected; a "while you were away" summary on return.
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import { AwayTracker, hasErrorsToShow, NotificationBatcher, notifyKindFor, type NotificationBatch, type NotifyEvent } from '../core/notifyPolicy';
import type { ProviderId, Run } from '../core/run';
import type { StoreChange } from '../core/store';
import type { Logger } from '../core/http';
import { acknowledgeFailure } from './documents';
import { runActions } from './runActions';
import type { NotificationSettings } from './settings';
import { IsolatingEmitter } from './emitter';

export interface ShownNotification {
  severity: 'info' | 'warning' | 'error';
  message: string;
  actions: string[];
  /** Shown in the status bar only (the Runwatch view was visible and the window focused). */
  quiet: boolean;
  at: number;
}

export interface NotifierDeps {
  service: RunwatchService;
  settings: NotificationSettings;
  /** The Runwatch view is visible and the window focused. */
  viewFocused(): boolean;
  describe(run: Run): string;
  reveal(key: string): Promise<unknown>;
  log: Pick<Logger, 'info' | 'error'>;
  /** Batch window; tests shorten it. */
  batchWindowMs?: number;
  /** An absence longer than this gets a "while you were away" summary. */
  awayAfterMs?: number;
}

// Getters: the buttons are translated when shown (the l10n bundle may load after this module), and a choice
// compares against the same text.
const ACTIONS = {
  get showError() {
    return vscode.l10n.t('Show Error');
  },
  get rerun() {
    return vscode.l10n.t('Re-run');
  },
  get open() {
    return vscode.l10n.t('Open');
  },
  get cancelAndRerun() {
    return vscode.l10n.t('Cancel and Re-run');
  },
  get cancel() {
    return vscode.l10n.t('Cancel Run');
  },
  get setKey() {
    return vscode.l10n.t('Set API Key');
  },
};

export class Notifier implements vscode.Disposable {
  private readonly batcher: NotificationBatcher;
  private readonly away: AwayTracker;
  private readonly authWarned = new Set<ProviderId>();
  private readonly disposables: vscode.Disposable[] = [];
  private settings: NotificationSettings;
  /** Batches that came while the window was unfocused: shown on return, or folded into one summary. */
  private deferred: NotificationBatch[] = [];
  private focused = true;
  private readonly notified: IsolatingEmitter<void>;
  private readonly showings: IsolatingEmitter<ShownNotification>;
  /** The user was told about runs (a toast, a status bar message or the "while you were away" summary). */
  readonly onDidNotify: vscode.Event<void>;
  /** A notification was shown, or went to the status bar only (quiet): what the extension tests read. */
  readonly onDidShow: vscode.Event<ShownNotification>;

  constructor(private readonly deps: NotifierDeps) {
    this.settings = deps.settings;
    this.notified = new IsolatingEmitter('notified', deps.log);
    this.showings = new IsolatingEmitter('notification shown', deps.log);
    this.onDidNotify = this.notified.event;
    this.onDidShow = this.showings.event;
    this.batcher = new NotificationBatcher({
      policy: deps.settings,
      batchWindowMs: deps.batchWindowMs,
      quiet: () => this.settings.quietWhenViewFocused && deps.viewFocused(),
      describe: deps.describe,
      log: deps.log,
    });
    this.away = new AwayTracker({ awayAfterMs: deps.awayAfterMs ?? 5 * 60_000 });
    const { service } = deps;
    this.disposables.push(
      this.notified,
      this.showings,
      toVscode(this.batcher),
      toVscode(this.batcher.onFlush(batch => void this.show(batch))),
      toVscode(service.store.onDidChange(change => this.onStoreChange(change))),
      toVscode(service.onDidBecomeStuck(key => this.onStuck(key))),
      toVscode(service.onDidChangeProvider(id => this.onProviderChanged(id))),
    );
  }

  updateSettings(settings: NotificationSettings): void {
    this.settings = settings;
    this.batcher.updatePolicy(settings);
  }

  /** Window focus changed: after a long absence, one summary of what happened meanwhile. */
  setFocused(focused: boolean): void {
    this.focused = focused;
    const summary = this.away.setFocused(focused);
    if (!focused) return;
    const deferred = this.deferred;
    this.deferred = [];
    if (summary) {
      this.toldAboutRuns();
      // A long absence: one summary instead of a pile of toasts.
      const failed = deferred.flatMap(b => b.events).find(e => e.kind === 'failed');
      this.toast(failed ? 'error' : 'info', summary, failed ? [ACTIONS.showError, ACTIONS.open] : [ACTIONS.open], choice => {
        if (choice === ACTIONS.showError && failed) void vscode.commands.executeCommand('runwatch.showError', failed.key);
        if (choice === ACTIONS.open) void vscode.commands.executeCommand('workbench.view.extension.runwatch');
      });
      return;
    }
    for (const batch of deferred) this.show(batch);
  }

  /** Shows whatever is batched now (tests, deactivation). */
  flush(): void {
    this.batcher.flush();
  }

  private push(event: NotifyEvent): void {
    if (this.batcher.push(event)) this.away.record(event);
  }

  private onStoreChange(change: StoreChange): void {
    // Every window sees every transition (followers copy the polling window's state): only one tells.
    if (!this.deps.service.isPollingWindow()) return;
    for (const t of change.transitions) {
      const kind = notifyKindFor(t.to);
      if (kind) this.push({ key: t.key, kind, run: t.run });
    }
  }

  private onStuck(key: string): void {
    if (!this.deps.service.isPollingWindow()) return;
    const t = this.deps.service.store.get(key);
    if (t) this.push({ key, kind: 'stuck', run: t.run });
  }

  /** One warning per provider whose key stops working; said again only after it worked in between. */
  private onProviderChanged(id: ProviderId): void {
    const { service } = this.deps;
    const health = service.health(id);
    if (health.state !== 'authFailed') {
      if (health.state === 'ok' || health.state === 'noKey') this.authWarned.delete(id);
      return;
    }
    if (this.authWarned.has(id)) return;
    this.authWarned.add(id);
    const name = service.displayName(id);
    this.toast('warning', vscode.l10n.t('{0} rejected the API key, so Runwatch stopped polling {0}. {1}', name, health.message), [ACTIONS.setKey], choice => {
      if (choice === ACTIONS.setKey) void vscode.commands.executeCommand('runwatch.setApiKey', id);
    });
  }

  private show(batch: NotificationBatch): void {
    if (!this.focused && !batch.quiet) {
      this.deferred.push(batch);
      return;
    }
    this.toldAboutRuns();
    const failed = batch.events.filter(e => e.kind === 'failed');
    // Runs that finished with document errors are offered by Show Error too, with a warning.
    const withErrors = batch.events.filter(hasErrorsToShow);
    const severity: ShownNotification['severity'] = failed.length ? 'error' : withErrors.length || batch.events.some(e => e.kind === 'stuck') ? 'warning' : 'info';
    this.deps.log.info(`Notify${batch.quiet ? ' (quiet)' : ''}: ${batch.summary}`);
    if (batch.quiet) {
      this.record({ severity, message: batch.summary, actions: [], quiet: true, at: batch.at });
      const icon = severity === 'error' ? '$(error)' : severity === 'warning' ? '$(warning)' : '$(bell)';
      vscode.window.setStatusBarMessage(`${icon} ${batch.summary}`, 10_000);
      return;
    }
    const first = batch.events[0];
    const single = batch.events.length === 1;
    const actions: string[] = [];
    if (withErrors.length) actions.push(ACTIONS.showError);
    // Offered only where they can work: Re-run where the inputs are known, cancelling where the provider can.
    const tracked = single ? this.deps.service.store.get(first.key) : undefined;
    const can = tracked ? runActions(this.deps.service, tracked) : undefined;
    if (can?.rerun && (first.kind === 'failed' || first.kind === 'cancelled')) actions.push(ACTIONS.rerun);
    if (single && first.kind === 'stuck') {
      if (can?.cancelAndRerun) actions.push(ACTIONS.cancelAndRerun);
      else if (can?.cancel) actions.push(ACTIONS.cancel);
    }
    actions.push(ACTIONS.open);
    const errorKey = (failed[0] ?? withErrors[0] ?? first).key;
    this.toast(severity, batch.summary, actions, choice => {
      switch (choice) {
        case ACTIONS.showError:
          void vscode.commands.executeCommand('runwatch.showError', errorKey);
          break;
        case ACTIONS.rerun:
          void vscode.commands.executeCommand('runwatch.rerun', first.key);
          break;
        case ACTIONS.cancelAndRerun:
          void vscode.commands.executeCommand('runwatch.cancelAndRerun', first.key);
          break;
        case ACTIONS.cancel:
          void vscode.commands.executeCommand('runwatch.cancelRun', first.key);
          break;
        case ACTIONS.open:
          acknowledgeFailure(this.deps.service, errorKey);
          void this.deps.reveal(errorKey);
          break;
        default:
          break;
      }
    }, batch.at);
  }

  private toldAboutRuns(): void {
    this.notified.fire();
  }

  private toast(severity: ShownNotification['severity'], message: string, actions: string[], act: (choice: string | undefined) => void, at = Date.now()): void {
    this.record({ severity, message, actions, quiet: false, at });
    const shown =
      severity === 'error'
        ? vscode.window.showErrorMessage(message, ...actions)
        : severity === 'warning'
          ? vscode.window.showWarningMessage(message, ...actions)
          : vscode.window.showInformationMessage(message, ...actions);
    void Promise.resolve(shown).then(act, () => undefined);
  }

  private record(n: ShownNotification): void {
    this.showings.fire(n);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function toVscode(d: { dispose(): void }): vscode.Disposable {
  return new vscode.Disposable(() => d.dispose());
}
