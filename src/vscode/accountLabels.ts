// Account labels (brand domains, workflow names) remembered across reloads, so the status bar can say
// `acme.com` for a persisted run before any account list has been fetched again. Labels only, no secrets.
import type * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import type { ProviderId } from '../core/run';
import type { Logger } from '../core/http';

const STATE_KEY = 'runwatch.accountLabels.v1';
/** Enough for every account a user plausibly has; oldest entries drop first. */
const MAX_LABELS = 500;

export class AccountLabels {
  private readonly labels: Map<string, string>;

  constructor(
    private readonly state: vscode.Memento,
    private readonly log?: Logger,
  ) {
    // Parsed, not trusted: only string labels of an object count (a downgrade or a hand edit may leave anything).
    const saved = state.get<unknown>(STATE_KEY);
    const entries = saved && typeof saved === 'object' && !Array.isArray(saved) ? Object.entries(saved) : [];
    this.labels = new Map(entries.filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  /** Learns the labels of a provider's loaded accounts. */
  learn(service: RunwatchService, id: ProviderId): void {
    let changed = false;
    for (const account of service.accounts(id) ?? []) {
      const key = `${id}:${account.id}`;
      if (account.label && account.label !== account.id && this.labels.get(key) !== account.label) {
        this.labels.delete(key);
        this.labels.set(key, account.label);
        changed = true;
      }
    }
    if (!changed) return;
    while (this.labels.size > MAX_LABELS) this.labels.delete(this.labels.keys().next().value!);
    this.state.update(STATE_KEY, Object.fromEntries(this.labels)).then(undefined, e => this.log?.warn(`Runwatch could not save account labels: ${e instanceof Error ? e.message : String(e)}`));
  }

  label(service: RunwatchService, id: ProviderId, accountId: string): string {
    const live = service.accounts(id)?.find(a => a.id === accountId)?.label;
    return live || this.labels.get(`${id}:${accountId}`) || accountId;
  }
}
