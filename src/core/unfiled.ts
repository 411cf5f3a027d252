// Runs tracked by id without an account: where a provider's status call needs no account (GloriaMundo,
// Automindz, Adlyse), Track Run by ID may leave the run unfiled. Such runs live under this one account id,
// shown as "Tracked by ID", which is no account anything can be started on. Pure, free of `vscode`.
import * as l10n from '@vscode/l10n';
import type { ProviderId } from './run';
import type { Account } from './ports';

/** Not an id any provider gives (theirs are UUIDs, `agent_…`, `wf_…`, slugs): no clash with a real account. */
export const UNFILED_ACCOUNT_ID = '~unfiled';

export const UNFILED_LABEL = 'Tracked by ID';

export function unfiledAccount(provider: ProviderId): Account {
  return { provider, id: UNFILED_ACCOUNT_ID, label: l10n.t('Tracked by ID'), description: l10n.t('runs tracked by id, filed under no account') };
}

export function isUnfiled(accountId: string): boolean {
  return accountId === UNFILED_ACCOUNT_ID;
}
