// The context keys the "Get started with Runwatch" walkthrough completes on. Each is set when the thing really
// happened, not when a command was merely run: a key is only "set" once a provider answered with it, runs are
// only "seen" once the Runs view showed some, a run is only "started" once one Runwatch started is in the store.
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import type { ProviderId } from '../core/run';

/** The walkthrough's completion context keys (package.json `completionEvents: onContext:<key>`). */
export const WALKTHROUGH_CONTEXT = {
  /** A provider answered an authenticated request with the stored key. */
  keyWorks: 'runwatch.keyWorks',
  /** The Runs view was visible with at least one run in it. */
  hasRuns: 'runwatch.hasRuns',
  /** A run started from Runwatch (Start Run, Re-run) is tracked. */
  startedRun: 'runwatch.startedRun',
  /** Runwatch told the user about a run: a notification, or its status bar message. */
  notified: 'runwatch.notified',
} as const;

export type WalkthroughStep = keyof typeof WALKTHROUGH_CONTEXT;

/** Set Context once per step and session; VS Code remembers a completed step itself. */
export class WalkthroughProgress implements vscode.Disposable {
  private readonly done = new Set<WalkthroughStep>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly service: RunwatchService,
    view: vscode.TreeView<unknown>,
    notified: (listener: () => void) => vscode.Disposable,
  ) {
    const seeRuns = () => {
      if (view.visible && service.store.size > 0) this.complete('hasRuns');
    };
    this.disposables.push(
      service.store.onDidChange(change => {
        for (const key of change.keys) {
          const t = service.store.get(key);
          if (!t) continue;
          if (t.lastConfirmedAt !== undefined && service.hasKey(t.run.provider)) this.complete('keyWorks');
          if (t.run.input) this.complete('startedRun');
        }
        seeRuns();
      }),
      new vscode.Disposable(service.onDidChangeProvider(id => this.checkAccounts(id)).dispose),
      view.onDidChangeVisibility(seeRuns),
      notified(() => this.complete('notified')),
    );
    // What an earlier session left: runs started from Runwatch, runs in the view already.
    if (service.store.all().some(t => t.run.input)) this.complete('startedRun');
    seeRuns();
  }

  /** Whether the step's event happened in this session (for tests). */
  has(step: WalkthroughStep): boolean {
    return this.done.has(step);
  }

  /** A provider listed its accounts with the key: the key works. */
  private checkAccounts(id: ProviderId): void {
    const { service } = this;
    if (!service.hasKey(id) || service.health(id).state !== 'ok') return;
    if (!service.provider(id).capabilities.listAccounts) return;
    if (service.accounts(id) !== undefined && !service.accountsError(id)) this.complete('keyWorks');
  }

  /** The Set API Key check passed: the provider accepted the key. */
  keyWorks(): void {
    this.complete('keyWorks');
  }

  private complete(step: WalkthroughStep): void {
    if (this.done.has(step)) return;
    this.done.add(step);
    void vscode.commands.executeCommand('setContext', WALKTHROUGH_CONTEXT[step], true);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
