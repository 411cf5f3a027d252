// "Runwatch: Start Run", one multi-step quick input: provider → account → kind → its required inputs →
// "Start …?" (with "Set optional fields…" where the kind has some), then start and reveal the run. Back keeps
// what was typed; the last values used for the kind on that account are the defaults (never secrets). A run
// the provider says is already going (Boring Marketing 409) is adopted and revealed instead; a start whose
// answer never came is reported as "may have started", with Track Run by ID.
import * as vscode from 'vscode';
import type { ProviderId } from '../../core/run';
import { redact } from '../../core/errors';
import { describeStart, isStartInDoubt, type StartInDoubtError } from '../../core/starts';
import { isUnfiled } from '../../core/unfiled';
import type { Account, InputField, PipelineKind, StartResult } from '../../core/ports';
import { FlowCancelled, MultiStepInput, type Step } from '../multiStepInput';
import { accountOf, providerOf } from './args';
import { registerCommand, withProvider, type CommandContext } from './context';
import { askAccount, askProvider, providerChoices } from './pickers';
import { askFieldText, convertField, fieldText } from './startFields';

export { convertField, parseJsonArray, parseJsonObject, validateField } from './startFields';

// Functions, not constants: the translation is read when they are shown (the bundle may load after this module).
const START = () => vscode.l10n.t('Start');
const TRACK_RUN_BY_ID = () => vscode.l10n.t('Track Run by ID');
const SET_OPTIONAL = () => vscode.l10n.t('Set optional fields…');
const CANCEL = () => vscode.l10n.t('Cancel');
const TITLE = () => vscode.l10n.t('Start Run');

/**
 * Runs a start. One whose answer never came may have happened: the user is told so, with Track Run by ID for
 * the provider and account, instead of an error that invites starting it again. Undefined in that case.
 */
export async function startOrTellInDoubt(start: () => Thenable<StartResult>): Promise<StartResult | undefined> {
  try {
    return await start();
  } catch (e) {
    if (!isStartInDoubt(e)) throw e;
    await tellInDoubt(e);
    return undefined;
  }
}

async function tellInDoubt(error: StartInDoubtError): Promise<void> {
  const { provider, account } = error.doubt;
  const choice = await vscode.window.showWarningMessage(error.message, TRACK_RUN_BY_ID());
  if (choice === TRACK_RUN_BY_ID()) await vscode.commands.executeCommand('runwatch.trackRun', { provider, account });
}

/** Says what happened and shows the run in the tree. */
export async function announceStart(ctx: CommandContext, result: StartResult, what: string): Promise<void> {
  const key = `${result.run.provider}:${result.run.id}`;
  await ctx.tree.reveal(key, { expand: true });
  if (result.recovered && result.message) {
    ctx.log.info(result.message);
    void vscode.window.showInformationMessage(result.message);
    return;
  }
  if (result.adopted) {
    const message = result.message ?? vscode.l10n.t('A {0} run was already going on {1}: Runwatch is following it instead of starting another.', result.run.kind ?? '', ctx.accountLabel(result.run));
    ctx.log.info(message);
    void vscode.window.showInformationMessage(message);
    return;
  }
  ctx.log.info(`${what}: run ${result.run.id} (${result.run.status})`);
  if (result.message) void vscode.window.showWarningMessage(result.message);
}

interface StartState {
  provider?: ProviderId;
  account?: Account;
  kind?: PipelineKind;
  /** The values last used for this kind on this account. */
  preset?: Record<string, unknown>;
  /** What is in each field's box or pick, by field name, kept when the user goes back. */
  typed: Map<string, string>;
  /** Secret fields SecretStorage does not hold yet: only those are asked. */
  missingSecrets: Set<string>;
  /** The user chose "Set optional fields…". */
  withOptional: boolean;
  confirmed: boolean;
}

/** The fields a secret-aware step asks: a stored secret is not asked again. */
function askable(s: StartState, field: InputField): boolean {
  return !field.secret || s.missingSecrets.has(field.name);
}

/**
 * A kind whose one input is optional (a GloriaMundo workflow's JSON object, an Adlyse workflow's JSON) asks it
 * straight away: "Set optional fields…" would only lead to that one box.
 */
function optionalAskedDirectly(kind: PipelineKind): boolean {
  return kind.inputs.length === 1 && !kind.inputs[0].required;
}

function requiredFields(s: StartState): InputField[] {
  const kind = s.kind!;
  return kind.inputs.filter(f => askable(s, f) && (f.required || optionalAskedDirectly(kind)));
}

function optionalFields(s: StartState): InputField[] {
  const kind = s.kind!;
  return optionalAskedDirectly(kind) ? [] : kind.inputs.filter(f => askable(s, f) && !f.required);
}

/** The fields asked so far on the way to "Start": the required ones, and the optional ones once chosen. */
function askedFields(s: StartState): InputField[] {
  return [...requiredFields(s), ...(s.withOptional ? optionalFields(s) : [])];
}

/** The input to send: every asked, non-secret field that was given, converted to what it declares. */
function collectInput(s: StartState): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of askedFields(s)) {
    if (field.secret) continue;
    const value = convertField(field, s.typed.get(field.name) ?? '');
    if (value !== undefined) input[field.name] = value;
  }
  return input;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The steps of Start Run, from what the command was given (an account row, a provider, nothing). */
function startFlow(ctx: CommandContext, providers: ProviderId[] | undefined): { providerStep: Step<StartState>; accountStep: Step<StartState>; kindStep: Step<StartState> } {
  const { service } = ctx;

  const fieldStep =
    (fields: InputField[], index: number, after: Step<StartState>): Step<StartState> =>
    async (input, s) => {
      const field = fields[index];
      await askFieldText(input, {
        kind: s.kind!,
        field,
        text: s.typed.get(field.name) ?? (field.secret ? undefined : fieldText(field, s.preset?.[field.name])),
        remaining: fields.length - index,
        keep: text => s.typed.set(field.name, text),
      });
      return index + 1 < fields.length ? fieldStep(fields, index + 1, after) : after;
    };

  // The last step: nothing is sent (or paid for) before the user says Start.
  const confirmStep: Step<StartState> = async (input, s) => {
    const input_ = collectInput(s);
    const given = Object.keys(input_).length ? truncate(redact(JSON.stringify(input_)), 200) : undefined;
    const optional = optionalFields(s);
    const items: vscode.QuickPickItem[] = [{ label: START(), detail: given }];
    if (optional.length) {
      items.push({ label: SET_OPTIONAL(), description: truncate(optional.map(f => f.label).join(', '), 120) });
    }
    items.push({ label: CANCEL() });
    const picked = await input.pick({ title: vscode.l10n.t('Start {0}?', describeStart(s.kind!, s.account!, service.displayName(s.provider!))), remaining: 0, items });
    if (picked.label === SET_OPTIONAL()) {
      s.withOptional = true;
      return fieldStep(optional, 0, confirmStep);
    }
    s.confirmed = picked.label === START();
    return undefined;
  };

  const afterKind = (s: StartState): Step<StartState> => {
    const fields = requiredFields(s);
    return fields.length ? fieldStep(fields, 0, confirmStep) : confirmStep;
  };

  const kindStep: Step<StartState> = async (input, s) => {
    const provider = s.provider!;
    const account = s.account!;
    // Loading the kinds may take a while (Adlyse reads the workflow's input_schema over MCP): the pick is busy meanwhile.
    const load = async () => {
      const kinds = await service.kinds(provider, account);
      if (!kinds.length) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Nothing can be started on {0}.', account.label));
        throw new FlowCancelled();
      }
      return kinds.map(k => ({ label: k.label, description: k.label !== k.id ? k.id : undefined, detail: k.description, pipeline: k }));
    };
    const picked = await input.pick({
      title: vscode.l10n.t('Start Run on {0}', account.label),
      remaining: 1,
      placeholder: vscode.l10n.t('What to run'),
      items: load(),
      matchOnDetail: true,
      active: items => items.find(i => i.pipeline.id === s.kind?.id),
      auto: items => (items.length === 1 ? items[0] : undefined),
    });
    const kind = picked.pipeline;
    if (kind.id !== s.kind?.id) {
      s.typed.clear();
      s.withOptional = false;
    }
    s.kind = kind;
    s.preset = ctx.presets.get(provider, account.id, kind.id);
    s.missingSecrets = new Set();
    for (const field of kind.inputs) {
      if (field.secret && !(await ctx.vault.getSecret(provider, field.name))) s.missingSecrets.add(field.name);
    }
    return afterKind(s);
  };

  const accountStep: Step<StartState> = async (input, s) => {
    const account = await askAccount(input, ctx, s.provider!, { title: TITLE(), allowAdd: true, remaining: 2, current: s.account });
    if (account.id !== s.account?.id) s.kind = undefined;
    s.account = account;
    return kindStep;
  };

  const providerStep: Step<StartState> = async (input, s) => {
    const provider = await askProvider(input, ctx, providers ?? [], { title: TITLE(), keyed: true, remaining: 3, current: s.provider });
    if (provider !== s.provider) s.account = undefined;
    s.provider = provider;
    return accountStep;
  };

  return { providerStep, accountStep, kindStep };
}

export function registerStartRun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.startRun',
    vscode.l10n.t('start the run'),
    async (arg?: unknown) => {
      // Runs tracked without an account sit in a group of their own: nothing can be started there.
      const given = accountOf(arg, ctx.service.providers);
      const fromAccount = given && !isUnfiled(given.account.id) ? given : undefined;
      const fixedProvider = given?.provider ?? providerOf(arg, ctx.service.providers);
      const providers = fixedProvider ? undefined : await providerChoices(ctx, { title: TITLE(), keyed: true });
      if (!fixedProvider && !providers) return undefined;
      const state: StartState = { provider: fixedProvider, account: fromAccount?.account, typed: new Map(), missingSecrets: new Set(), withOptional: false, confirmed: false };
      const steps = startFlow(ctx, providers);
      const first = fromAccount ? steps.kindStep : fixedProvider ? steps.accountStep : steps.providerStep;
      try {
        if (!(await MultiStepInput.run(first, state)) || !state.confirmed) return undefined;
        const provider = state.provider!;
        const account = state.account!;
        const kind = state.kind!;
        // Secrets go to SecretStorage, once the user said Start; the adapter reads them from there, so they never enter Run.input.
        for (const field of askedFields(state)) {
          const text = state.typed.get(field.name)?.trim();
          if (field.secret && text) await ctx.vault.setSecret(provider, field.name, text);
        }
        const input = collectInput(state);
        await ctx.presets.remember(provider, account.id, kind, input);
        const result = await startOrTellInDoubt(() =>
          vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Starting {0} on {1}…', kind.label, account.label) }, () =>
            ctx.service.startRun(provider, account, kind, input),
          ),
        );
        if (!result) return undefined;
        await announceStart(ctx, result, `Started ${kind.label} on ${account.label}`);
        return result.run;
      } catch (e) {
        throw state.provider ? withProvider(e, state.provider) : e;
      }
    },
    providerOf,
  );
}
