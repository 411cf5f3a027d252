// "Runwatch: Start Run": provider → account → kind → its inputs → "Start …?", then start and reveal the run.
// A run the provider says is already going (Boring Marketing 409) is adopted and revealed instead; a start
// whose answer never came is reported as "may have started", with Track Run by ID.
import * as vscode from 'vscode';
import type { ProviderId } from '../../core/run';
import { redact } from '../../core/errors';
import { describeStart, isStartInDoubt, type StartInDoubtError } from '../../core/starts';
import type { Account, InputField, PipelineKind, StartResult } from '../../providers/provider';
import { accountOf, providerOf } from './args';
import { registerCommand, withProvider, type CommandContext } from './context';
import { pickAccount, pickProvider } from './pickers';

/** The user pressed Escape somewhere in the flow. */
const CANCELLED = Symbol('cancelled');

export function parseJsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  if (!text.trim()) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'Enter a JSON object, e.g. {"topic": "pricing"}' };
  return { ok: true, value: value as Record<string, unknown> };
}

function title(field: InputField): string {
  return `${field.label}${field.required ? '' : ' (optional)'}`;
}

function defaultText(field: InputField): string | undefined {
  if (field.default === undefined || field.default === null) return undefined;
  if (Array.isArray(field.default)) return field.default.join(', ');
  if (typeof field.default === 'object') return JSON.stringify(field.default);
  return String(field.default);
}

/** Asks for one input; returns undefined to leave an optional field out, CANCELLED on Escape. */
async function askField(ctx: CommandContext, provider: ProviderId, kind: PipelineKind, field: InputField): Promise<unknown> {
  const boxTitle = `${kind.label}: ${title(field)}`;
  if (field.secret) {
    // Secrets go to SecretStorage once; the adapter reads them from there, so they never enter Run.input.
    if (await ctx.vault.getSecret(provider, field.name)) return undefined;
    const value = await vscode.window.showInputBox({
      title: boxTitle,
      prompt: `${field.description ?? field.label} — stored in the OS keychain and reused`,
      password: true,
      ignoreFocusOut: true,
      validateInput: v => (field.required && !v.trim() ? `${field.label} is required` : undefined),
    });
    if (value === undefined) return CANCELLED;
    if (value.trim()) await ctx.vault.setSecret(provider, field.name, value.trim());
    return undefined;
  }
  if (field.options?.length) {
    const items: vscode.QuickPickItem[] = field.options.map(o => ({ label: o, description: o === field.default ? 'default' : undefined }));
    if (!field.required) items.push({ label: '(leave empty)' });
    const picked = await vscode.window.showQuickPick(items, { title: boxTitle, placeHolder: field.description, ignoreFocusOut: true });
    if (!picked) return CANCELLED;
    return picked.label === '(leave empty)' ? undefined : picked.label;
  }
  if (field.type === 'boolean') {
    const yesFirst = field.default !== false;
    const items = yesFirst ? ['Yes', 'No'] : ['No', 'Yes'];
    if (!field.required) items.push('(leave empty)');
    const picked = await vscode.window.showQuickPick(items, { title: boxTitle, placeHolder: field.description, ignoreFocusOut: true });
    if (!picked) return CANCELLED;
    return picked === '(leave empty)' ? undefined : picked === 'Yes';
  }
  const value = await vscode.window.showInputBox({
    title: boxTitle,
    prompt: field.description ?? field.label,
    placeHolder: field.placeholder ?? (field.type === 'string[]' ? 'comma-separated' : field.type === 'json' ? (field.jsonShape === 'array' ? '[{"key": "value"}]' : '{"key": "value"}') : undefined),
    value: defaultText(field),
    ignoreFocusOut: true,
    validateInput: v => validateField(field, v),
  });
  if (value === undefined) return CANCELLED;
  const problem = validateField(field, value);
  if (problem) throw new Error(problem);
  return convertField(field, value);
}

export function parseJsonArray(text: string): { ok: true; value: unknown[] } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!Array.isArray(value)) return { ok: false, reason: 'Enter a JSON list, e.g. [{"start": 11, "end": 50}]' };
  return { ok: true, value };
}

/** A `json` field's text as the value it declares: an object, or an array where the field says so. */
function parseJsonField(field: InputField, text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  return field.jsonShape === 'array' ? parseJsonArray(text) : parseJsonObject(text);
}

export function validateField(field: InputField, raw: string): string | undefined {
  const v = raw.trim();
  if (!v) return field.required ? `${field.label} is required` : undefined;
  if (field.type === 'number' && !Number.isFinite(Number(v))) return `${field.label} must be a number`;
  if (field.type === 'json') {
    const parsed = parseJsonField(field, v);
    if (!parsed.ok) return parsed.reason;
  }
  return undefined;
}

export function convertField(field: InputField, raw: string): unknown {
  const v = raw.trim();
  if (!v) return undefined;
  switch (field.type) {
    case 'number':
      return Number(v);
    case 'string[]':
      return v
        .split(',')
        .map(s => s.trim())
        .filter(Boolean);
    case 'json': {
      const parsed = parseJsonField(field, v);
      return parsed.ok ? parsed.value : undefined;
    }
    case 'boolean':
      return /^(true|yes|y|1)$/i.test(v);
    default:
      return v;
  }
}

/** Asks for every input the kind declares. Undefined when the user cancelled. */
export async function askInputs(ctx: CommandContext, provider: ProviderId, kind: PipelineKind): Promise<Record<string, unknown> | undefined> {
  const input: Record<string, unknown> = {};
  for (const field of kind.inputs) {
    const value = await askField(ctx, provider, kind, field);
    if (value === CANCELLED) return undefined;
    if (value !== undefined) input[field.name] = value;
  }
  return input;
}

const START = 'Start';
const TRACK_RUN_BY_ID = 'Track Run by ID';

/** The last step of Start Run: nothing is sent (or paid for) before the user says Start. */
async function confirmStart(what: string, input: Record<string, unknown>): Promise<boolean> {
  const given = Object.keys(input).length ? truncate(redact(JSON.stringify(input)), 200) : undefined;
  const picked = await vscode.window.showQuickPick([{ label: START, detail: given }, { label: 'Cancel' }], { title: `Start ${what}?`, ignoreFocusOut: true });
  return picked?.label === START;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

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
  const choice = await vscode.window.showWarningMessage(error.message, TRACK_RUN_BY_ID);
  if (choice === TRACK_RUN_BY_ID) await vscode.commands.executeCommand('runwatch.trackRun', { provider, account });
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
    const message = result.message ?? `A ${result.run.kind} run was already going on ${ctx.accountLabel(result.run)}: Runwatch is following it instead of starting another.`;
    ctx.log.info(message);
    void vscode.window.showInformationMessage(message);
    return;
  }
  ctx.log.info(`${what}: run ${result.run.id} (${result.run.status})`);
  if (result.message) void vscode.window.showWarningMessage(result.message);
}

export function registerStartRun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.startRun',
    'start the run',
    async (arg?: unknown) => {
      const fromAccount = accountOf(arg);
      const provider = fromAccount?.provider ?? providerOf(arg) ?? (await pickProvider(ctx, { title: 'Start Run', keyed: true }));
      if (!provider) return undefined;
      let account: Account | undefined = fromAccount?.account;
      try {
        account ??= await pickAccount(ctx, provider, { title: 'Start Run', allowAdd: true });
        if (!account) return undefined;
        const kinds = await ctx.service.kinds(provider, account);
        if (!kinds.length) {
          void vscode.window.showInformationMessage(`Nothing can be started on ${account.label}.`);
          return undefined;
        }
        const kind =
          kinds.length === 1
            ? kinds[0]
            : (
                await vscode.window.showQuickPick(
                  kinds.map(k => ({ label: k.label, description: k.label !== k.id ? k.id : undefined, detail: k.description, pipeline: k })),
                  { title: `Start Run on ${account.label}`, placeHolder: 'What to run', matchOnDetail: true, ignoreFocusOut: true },
                )
              )?.pipeline;
        if (!kind) return undefined;
        const input = await askInputs(ctx, provider, kind);
        if (!input) return undefined;
        const chosen = account;
        if (!(await confirmStart(describeStart(kind, chosen, ctx.service.displayName(provider)), input))) return undefined;
        const result = await startOrTellInDoubt(() =>
          vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${kind.label} on ${chosen.label}…` }, () =>
            ctx.service.startRun(provider, chosen, kind, input),
          ),
        );
        if (!result) return undefined;
        await announceStart(ctx, result, `Started ${kind.label} on ${chosen.label}`);
        return result.run;
      } catch (e) {
        throw withProvider(e, provider);
      }
    },
    providerOf,
  );
}
