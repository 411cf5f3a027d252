// Starts cost money, so each one happens once from the user's side: a second identical start while the first
// is in flight joins it, and a start whose answer never came is reported as "may have started", never
// forgotten and never sent again by itself. The pieces the service uses for that, free of any vscode import.
import * as l10n from '@vscode/l10n';
import { ProviderError } from './errors';
import type { ProviderId, Run } from './run';
import type { Account, PipelineKind } from './ports';

/** JSON with object keys sorted at every level, so equal inputs give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v as Record<string, unknown>).sort().map(k => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

/** One start in flight per (provider, account, kind, input). */
export function startKey(provider: ProviderId, accountId: string, kindId: string, input: Record<string, unknown>): string {
  return canonicalJson([provider, accountId, kindId, input]);
}

/**
 * Whether a failed request may still have been carried out by the provider: it may have reached it and no
 * answer saying otherwise came back (a timeout, a reset, a 5xx, a success the client could not read). A
 * connection that was never made, or an answer that refused (4xx, a tool error), means nothing happened.
 */
export function mayHaveBeenCarriedOut(error: ProviderError): boolean {
  if (error.notSent) return false;
  switch (error.kind) {
    case 'timeout':
    case 'network':
      return true;
    case 'server':
      // An HTTP 5xx; a provider's own "could not start" answer (an MCP tool error) has no HTTP status.
      return error.status !== undefined && error.status >= 500;
    case 'badResponse':
      return error.status === undefined || error.status < 400 || error.status >= 500;
    default:
      return false;
  }
}

/** "Weekly ads report on Adlyse", "Analyze (full pipeline) on Acme (Boring Marketing)": what a start starts. */
export function describeStart(kind: Pick<PipelineKind, 'label'>, account: Pick<Account, 'label'>, providerName: string): string {
  const label = kind.label.trim();
  const accountLabel = account.label.trim();
  // Where the kind is the account itself (an Adlyse workflow, Automindz's one pipeline), say it once.
  if (label.toLowerCase() === accountLabel.toLowerCase() || label.toLowerCase() === `run ${accountLabel.toLowerCase()}`) return l10n.t('{0} on {1}', accountLabel, providerName);
  return l10n.t('{0} on {1} ({2})', label, accountLabel, providerName);
}

/** What Runwatch could find out about a start whose answer never came. */
export type StartCheck =
  /** The provider cannot list runs: nothing to look at. */
  | 'cannotList'
  /** The account's run list shows no run that this start could have created (yet). */
  | 'notListed'
  /** Several new runs could be this one: Runwatch does not guess. */
  | 'ambiguous'
  /** The run list could not be read either. */
  | 'listFailed';

/** What is known about a start whose answer never came. */
export interface StartInDoubt {
  provider: ProviderId;
  providerName: string;
  account: Account;
  kindId: string;
  /** "Weekly ads report on Adlyse" (describeStart). */
  what: string;
  /** When the start request was handed to the provider (ms since the epoch). */
  sentAt: number;
  check: StartCheck;
  /** Why the answer did not arrive. */
  cause: ProviderError;
}

/** A start that may have happened: the request may have reached the provider, but its answer did not arrive. */
export class StartInDoubtError extends ProviderError {
  readonly doubt: StartInDoubt;

  constructor(doubt: StartInDoubt) {
    // The cause's kind, so that everything that reads kinds (transient, stopsProvider) sees what happened.
    super(doubt.cause.kind, inDoubtMessage(doubt), { status: doubt.cause.status, requestId: doubt.cause.requestId });
    this.name = 'StartInDoubtError';
    this.doubt = doubt;
  }
}

export function isStartInDoubt(e: unknown): e is StartInDoubtError {
  return e instanceof StartInDoubtError;
}

function inDoubtMessage({ what, providerName, check, cause }: StartInDoubt): string {
  const why = cause.message.replace(/\.$/, '');
  const found: Record<StartCheck, string> = {
    cannotList: l10n.t('{0} cannot list runs, so Runwatch cannot check: look there before starting it again.', providerName),
    notListed: l10n.t("Runwatch found no new run in {0}'s run list yet: look again before starting it again.", providerName),
    ambiguous: l10n.t("Several new runs in {0}'s run list could be this one, so Runwatch follows none of them.", providerName),
    listFailed: l10n.t("Runwatch could not read {0}'s run list to check: look there before starting it again.", providerName),
  };
  return l10n.t('{0} may have started: the answer did not arrive ({1}). {2}', what, why, found[check]);
}

/** How far a provider's clock may be behind ours when telling a run started by us from an older one. */
export const START_CLOCK_SKEW_MS = 30_000;

/**
 * The run a start whose answer never came created, from the account's run list: one that Runwatch did not
 * know before the start, that started after the request was sent, and is of the kind asked for. Undefined
 * when none is; 'ambiguous' when several are.
 */
export function findStartedRun(
  listed: Run[],
  wanted: { kind: PipelineKind; onlyKind: boolean; input: Record<string, unknown>; sentAt: number; knownBefore: ReadonlySet<string> },
): Run | 'ambiguous' | undefined {
  const name = typeof wanted.input.name === 'string' ? wanted.input.name.trim() : undefined;
  const candidates = listed.filter(run => {
    if (wanted.knownBefore.has(run.id)) return false;
    const started = run.startedAt ? Date.parse(run.startedAt) : NaN;
    if (!(started >= wanted.sentAt - START_CLOCK_SKEW_MS)) return false;
    return wanted.onlyKind || run.kind === wanted.kind.id || run.kind === wanted.kind.label || (!!name && run.kind === name);
  });
  if (candidates.length > 1) return 'ambiguous';
  return candidates[0];
}
