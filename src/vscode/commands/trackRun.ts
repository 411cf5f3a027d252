// "Track Run by ID": follow a run started elsewhere (a script, the dashboard, another machine). One multi-step
// quick input: provider → account → run id where the provider's status call needs the account (Boring
// Marketing, Talonic); provider → run id → "file it under…" (optional) where it does not (GloriaMundo,
// Automindz, Adlyse). The lookup shows progress while it waits.
import * as vscode from 'vscode';
import type { ProviderId } from '../../core/run';
import { UNFILED_ACCOUNT_ID } from '../../core/unfiled';
import type { Account } from '../../core/ports';
import { MultiStepInput, type Step } from '../multiStepInput';
import { accountOf, providerOf } from './args';
import { registerCommand, withProvider, type CommandContext } from './context';
import { askAccount, askProvider, providerChoices } from './pickers';

// A function, not a constant: the translation is read when it is shown (the bundle may load after this module).
const TITLE = () => vscode.l10n.t('Track Run by ID');

interface TrackState {
  provider?: ProviderId;
  /** The account to file the run under; UNFILED_ACCOUNT_ID when the user filed it under none. */
  accountId?: string;
  account?: Account;
  runId?: string;
  typedRunId?: string;
}

interface FileItem extends vscode.QuickPickItem {
  account?: Account;
}

function trackFlow(
  ctx: CommandContext,
  providers: ProviderId[] | undefined,
  runIdGiven: boolean,
): { providerStep: Step<TrackState>; afterProvider: Step<TrackState>; runIdStep: (remaining: number, after: Step<TrackState> | undefined) => Step<TrackState> } {
  const { service } = ctx;
  const withoutAccount = (id: ProviderId) => !!service.provider(id).capabilities.trackWithoutAccount;

  const runIdStep =
    (remaining: number, after: Step<TrackState> | undefined): Step<TrackState> =>
    async (input, s) => {
      if (runIdGiven) return after;
      const answer = await input.input({
        title: s.account ? vscode.l10n.t('Track Run by ID on {0}', s.account.label) : TITLE(),
        remaining,
        prompt: vscode.l10n.t('{0} run id', service.displayName(s.provider!)),
        value: s.typedRunId,
        validate: v => (v.trim() ? undefined : vscode.l10n.t('Enter the run id')),
        onBack: typed => (s.typedRunId = typed),
      });
      s.typedRunId = answer.value;
      s.runId = answer.value.trim();
      return after;
    };

  // Optional: the status call needs no account, so this only decides where the run is listed.
  const fileUnderStep: Step<TrackState> = async (input, s) => {
    const provider = s.provider!;
    const noun = service.providers.facts(provider).accountNoun;
    const none: FileItem = { label: `$(circle-slash) ${vscode.l10n.t('Under no {0}', noun)}`, description: vscode.l10n.t('listed as "{0}"', vscode.l10n.t('Tracked by ID')) };
    const load = async (): Promise<FileItem[]> => {
      const accounts = (service.accounts(provider) ?? (await service.refreshAccounts(provider).catch(() => []))).filter(a => a.id !== UNFILED_ACCOUNT_ID);
      return [none, ...accounts.map(a => ({ label: a.label || a.id, description: a.label && a.label !== a.id ? a.id : undefined, account: a }))];
    };
    const picked = await input.pick({
      title: TITLE(),
      remaining: 0,
      placeholder: vscode.l10n.t('File the run under a {0} (optional)', noun),
      items: load(),
      active: items => items.find(i => i.account?.id === s.accountId),
      // Nothing to file it under: no question.
      auto: items => (items.length === 1 ? items[0] : undefined),
    });
    s.account = picked.account;
    s.accountId = picked.account?.id ?? UNFILED_ACCOUNT_ID;
    return undefined;
  };

  const accountStep: Step<TrackState> = async (input, s) => {
    const account = await askAccount(input, ctx, s.provider!, { title: TITLE(), allowTyped: true, remaining: 1, current: s.account });
    s.account = account;
    s.accountId = account.id;
    return runIdStep(0, undefined);
  };

  const afterProvider: Step<TrackState> = async (_input, s) => (withoutAccount(s.provider!) ? runIdStep(1, fileUnderStep) : accountStep);

  const providerStep: Step<TrackState> = async (input, s) => {
    const provider = await askProvider(input, ctx, providers ?? [], { title: TITLE(), keyed: true, remaining: 2, current: s.provider });
    if (provider !== s.provider) s.account = undefined;
    s.provider = provider;
    return afterProvider;
  };

  return { providerStep, afterProvider, runIdStep };
}

export function registerTrackRun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.trackRun',
    vscode.l10n.t('track the run'),
    async (arg?: unknown, runIdArg?: unknown) => {
      const fromAccount = accountOf(arg, ctx.service.providers);
      const fixedProvider = fromAccount?.provider ?? providerOf(arg, ctx.service.providers);
      const providers = fixedProvider ? undefined : await providerChoices(ctx, { title: TITLE(), keyed: true });
      if (!fixedProvider && !providers) return undefined;
      const runIdGiven = typeof runIdArg === 'string' && !!runIdArg.trim();
      const state: TrackState = { provider: fixedProvider, account: fromAccount?.account, accountId: fromAccount?.account.id, runId: runIdGiven ? (runIdArg as string).trim() : undefined };
      const { providerStep, afterProvider, runIdStep } = trackFlow(ctx, providers, runIdGiven);
      try {
        // Opened on an account (as "may have started" does): straight to the run id.
        const first = fromAccount ? runIdStep(0, undefined) : fixedProvider ? afterProvider : providerStep;
        if (!(await MultiStepInput.run(first, state))) return undefined;
        const provider = state.provider!;
        const runId = state.runId;
        if (!runId || !state.accountId) return undefined;
        const name = ctx.service.displayName(provider);
        const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Looking up {0} run {1}…', name, runId) }, () =>
          ctx.service.trackRun(provider, state.accountId!, runId),
        );
        ctx.log.info(`Tracking ${name} run ${run.id}`);
        await ctx.tree.reveal(`${run.provider}:${run.id}`, { expand: true });
        return run;
      } catch (e) {
        throw state.provider ? withProvider(e, state.provider) : e;
      }
    },
    providerOf,
  );
}
