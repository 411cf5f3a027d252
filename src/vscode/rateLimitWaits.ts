// Shows a user action that waits for a provider's Retry-After window, so that it is never silently sent
// late or silently dropped: "Rate-limited by Boring Marketing, retrying in 12 s" as the Runs view's message
// and as a progress notification whose Cancel gives up the wait (nothing is sent then).
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import type { GateWait } from '../core/gate';
import type { ProviderId } from '../core/run';

function retryingIn(wait: GateWait, now: number): string {
  return vscode.l10n.t('retrying in {0} s', Math.max(1, Math.ceil((wait.until - now) / 1000)));
}

export function waitText(service: RunwatchService, wait: GateWait, now = Date.now()): string {
  return vscode.l10n.t('Rate-limited by {0}, {1}', service.displayName(wait.provider), retryingIn(wait, now));
}

export class RateLimitWaits implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  /** One notification per provider while its user requests wait; resolved when they no longer do. */
  private readonly shown = new Map<ProviderId, { progress?: vscode.Progress<{ message?: string }>; done: () => void }>();
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** What the view's message says now ('' when nothing waits), for tests. */
  text = '';

  constructor(
    private readonly service: RunwatchService,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    this.subscription = service.onDidChangeWaits(() => this.update());
  }

  private update(): void {
    const waits = this.service.userWaits();
    for (const wait of waits) if (!this.shown.has(wait.provider)) this.show(wait);
    for (const [id, entry] of this.shown) {
      if (waits.some(w => w.provider === id)) continue;
      this.shown.delete(id);
      entry.done();
    }
    this.render();
    if (waits.length && !this.ticker) this.ticker = setInterval(() => this.render(), 1000);
    if (!waits.length && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  /** Counts the seconds down; a wait whose time is up goes as soon as its gate lets it (update() follows). */
  private render(): void {
    const now = Date.now();
    const waits = this.service.userWaits();
    for (const wait of waits) this.shown.get(wait.provider)?.progress?.report({ message: retryingIn(wait, now) });
    this.text = waits.map(w => waitText(this.service, w, now)).join(' · ');
    this.view.message = this.text || undefined;
  }

  private show(wait: GateWait): void {
    let done!: () => void;
    const finished = new Promise<void>(resolve => (done = resolve));
    const entry: { progress?: vscode.Progress<{ message?: string }>; done: () => void } = { done };
    this.shown.set(wait.provider, entry);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Rate-limited by {0}', this.service.displayName(wait.provider)), cancellable: true },
      (progress, token) => {
        entry.progress = progress;
        progress.report({ message: retryingIn(wait, Date.now()) });
        token.onCancellationRequested(() => this.service.cancelWaits(wait.provider));
        return finished;
      },
    );
  }

  dispose(): void {
    this.subscription.dispose();
    if (this.ticker) clearInterval(this.ticker);
    for (const entry of this.shown.values()) entry.done();
    this.shown.clear();
  }
}
