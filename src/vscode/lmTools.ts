// Language-model tools: chat and agent mode can list runs, read one, start one and cancel one. Starting and
// cancelling go through prepareInvocation's confirmation (VS Code asks the user before invoke runs). Every text
// goes out redacted (lmToolText.ts). Registered only where this VS Code has vscode.lm.registerTool: elsewhere
// Runwatch activates without them.
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import { isProviderError, redact } from '../core/errors';
import { isWaitCancelled } from '../core/gate';
import { runTitle } from '../core/labels';
import { isActive, keyOf, type Run } from '../core/run';
import { describeStart, isStartInDoubt } from '../core/starts';
import * as z from 'zod/mini';
import { describeProviderError } from './errors';
import { listOrder, matchesStatus, runDetailText, runListLine, type RunTextContext, type StatusFilter } from './lmToolText';
import { findKnownAccount, findTrackedRun, parseWith, resolveAccount, resolveInputs, resolveProvider, resolveStart, RunSpecError, startSpecSchema } from './runSpec';
import type { SecretKeyVault } from './secrets';
import { askSecretInBox } from './tasks';

export const TOOL_NAMES = ['runwatch_listRuns', 'runwatch_getRun', 'runwatch_startRun', 'runwatch_cancelRun'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export interface LmToolDeps {
  readonly service: RunwatchService;
  readonly vault: SecretKeyVault;
  readonly log: vscode.LogOutputChannel;
  accountLabel(run: Pick<Run, 'provider' | 'accountId'>): string;
}

/** What a tool's prepareInvocation answered, for the extension tests: proof that a confirmation was asked for. */
export interface PreparedRecord {
  tool: ToolName;
  input: unknown;
  invocationMessage?: string;
  confirmation?: { title: string; message: string };
}

const STATUS_FILTERS = ['active', 'failed', 'succeeded', 'cancelled', 'queued', 'running', 'finished', 'any'] as const;

const text = () => z.string().check(z.trim(), z.minLength(1));
const listInput = z.object({
  provider: z.optional(text()),
  account: z.optional(text()),
  status: z.optional(z.enum(STATUS_FILTERS)),
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
});
const runRefInput = z.object({ runId: text(), provider: z.optional(text()) });

type Tool = vscode.LanguageModelTool<Record<string, unknown>>;

export class RunwatchLmTools {
  readonly prepared: PreparedRecord[] = [];
  readonly tools: Record<ToolName, Tool>;

  constructor(private readonly deps: LmToolDeps) {
    this.tools = {
      runwatch_listRuns: { invoke: options => this.result(() => this.listRuns(options.input)) },
      runwatch_getRun: { invoke: options => this.result(() => this.getRun(options.input)) },
      runwatch_startRun: {
        prepareInvocation: options => this.record('runwatch_startRun', options.input, () => this.prepareStart(options.input)),
        invoke: options => this.result(() => this.startRun(options.input)),
      },
      runwatch_cancelRun: {
        prepareInvocation: options => this.record('runwatch_cancelRun', options.input, () => this.prepareCancel(options.input)),
        invoke: options => this.result(() => this.cancelRun(options.input)),
      },
    };
  }

  private get service(): RunwatchService {
    return this.deps.service;
  }

  private textContext(): RunTextContext {
    return {
      now: Date.now(),
      providerName: id => this.service.displayName(id),
      accountLabel: run => this.deps.accountLabel(run),
      kindLabel: (provider, kind) => this.service.provider(provider).kindLabel?.(kind),
    };
  }

  /** Every tool answers with one text part; a failure is text too, so the model can tell the user what went wrong. */
  private async result(body: () => Promise<string> | string): Promise<vscode.LanguageModelToolResult> {
    let text: string;
    try {
      text = await this.service.asUserAction(body);
    } catch (e) {
      text = this.errorText(e);
      this.deps.log.warn(`Chat tool failed: ${text}`);
    }
    return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(redact(text))]);
  }

  private errorText(e: unknown): string {
    if (isStartInDoubt(e)) return `${redact(e.message)} Do not start it again; ask the user to check ${e.doubt.providerName} or track the run by id.`;
    if (isWaitCancelled(e)) return 'The wait for a rate limit was cancelled: nothing was sent.';
    if (e instanceof RunSpecError) return e.message;
    if (isProviderError(e)) return `Runwatch could not do it: ${describeProviderError(e)}`;
    return `Runwatch could not do it: ${redact(e instanceof Error ? e.message : String(e))}`;
  }

  private async record(tool: ToolName, input: unknown, prepare: () => Promise<vscode.PreparedToolInvocation> | vscode.PreparedToolInvocation): Promise<vscode.PreparedToolInvocation> {
    let prepared: vscode.PreparedToolInvocation;
    try {
      prepared = await prepare();
    } catch (e) {
      // Invalid input: no confirmation needed, invoke says what is wrong without sending anything.
      prepared = { invocationMessage: this.errorText(e) };
    }
    const text = (m: string | vscode.MarkdownString | undefined) => (typeof m === 'string' ? m : m?.value);
    this.prepared.push({
      tool,
      input,
      invocationMessage: text(prepared.invocationMessage),
      confirmation: prepared.confirmationMessages && { title: prepared.confirmationMessages.title, message: text(prepared.confirmationMessages.message) ?? '' },
    });
    if (this.prepared.length > 50) this.prepared.shift();
    return prepared;
  }

  private async listRuns(raw: unknown): Promise<string> {
    const input = parseWith(listInput, raw ?? {}, 'runwatch_listRuns input');
    const provider = input.provider === undefined ? undefined : resolveProvider(this.service, input.provider);
    let accountId: string | undefined;
    if (input.account !== undefined) {
      const matches = this.service.store.all().filter(t => (!provider || t.run.provider === provider) && (t.run.accountId === input.account || this.deps.accountLabel(t.run).toLowerCase() === input.account!.toLowerCase()));
      accountId = matches[0]?.run.accountId ?? (provider ? (await resolveAccount(this.service, provider, input.account)).id : input.account);
    }
    const filter: StatusFilter = input.status ?? 'any';
    const all = this.service.store.all();
    const runs = all
      .filter(t => (!provider || t.run.provider === provider) && (!accountId || t.run.accountId === accountId) && matchesStatus(t.run, filter))
      .sort(listOrder);
    const limit = input.limit ?? 20;
    const ctx = this.textContext();
    const scope = [provider && this.service.displayName(provider), input.account, filter !== 'any' && filter].filter(Boolean).join(', ');
    if (!runs.length) {
      const keyed = this.service.providerIds().filter(id => this.service.hasKey(id)).map(id => this.service.displayName(id));
      return `No runs${scope ? ` (${scope})` : ''}. Runwatch tracks ${all.length} run${all.length === 1 ? '' : 's'}; providers with a key: ${keyed.join(', ') || 'none'}.`;
    }
    const shown = runs.slice(0, limit);
    const header = `${runs.length} run${runs.length === 1 ? '' : 's'}${scope ? ` (${scope})` : ''}, active first, then failed, then the rest, newest first${runs.length > shown.length ? `; showing ${shown.length}` : ''}:`;
    return [header, ...shown.map(t => runListLine(t, ctx))].join('\n');
  }

  private getRun(raw: unknown): string {
    const input = parseWith(runRefInput, raw, 'runwatch_getRun input');
    return runDetailText(findTrackedRun(this.service, input.runId, input.provider), this.textContext());
  }

  private async prepareStart(raw: unknown): Promise<vscode.PreparedToolInvocation> {
    const spec = parseWith(startSpecSchema, raw, 'runwatch_startRun input');
    const provider = resolveProvider(this.service, spec.provider);
    const name = this.service.displayName(provider);
    // Named as Start Run names it where the account and kind are already known; prepareInvocation must not add or create anything.
    const known = this.service.accounts(provider) ?? [];
    const account = spec.account === undefined ? (known.length === 1 ? known[0] : undefined) : findKnownAccount(known, spec.account);
    const kinds = account ? await this.service.kinds(provider, account).catch(() => []) : [];
    const kind = spec.kind === undefined ? (kinds.length === 1 ? kinds[0] : undefined) : kinds.find(k => k.id === spec.kind || k.label.toLowerCase() === spec.kind!.toLowerCase());
    // Inputs that would be refused (a secret, a missing field) need no confirmation: invoke says what is wrong, sending nothing.
    if (kind) resolveInputs(kind, spec.inputs);
    const what = account && kind ? describeStart(kind, account, name) : `${spec.kind ?? 'a run'} on ${spec.account ?? `the ${name} account`} (${name})`;
    const given = spec.inputs && Object.keys(spec.inputs).length ? `\n\nInputs: ${redact(JSON.stringify(spec.inputs)).slice(0, 500)}` : '';
    return {
      invocationMessage: `Starting ${what}`,
      confirmationMessages: {
        title: `Start ${what}?`,
        message: `Runwatch will start ${what}. The run is real: it may take a long time and cost credits.${given}`,
      },
    };
  }

  private async startRun(raw: unknown): Promise<string> {
    const spec = parseWith(startSpecSchema, raw, 'runwatch_startRun input');
    const start = await resolveStart(this.service, spec, { vault: this.deps.vault, ask: askSecretInBox });
    const result = await this.service.startRun(start.provider, start.account, start.kind, start.input);
    const what = describeStart(start.kind, start.account, this.service.displayName(start.provider));
    const t = this.service.store.get(keyOf(result.run));
    const said = result.message ? `${result.message} ` : result.adopted ? 'A run was already going: Runwatch follows it instead of starting another. ' : '';
    const detail = t ? `\n\n${runDetailText(t, this.textContext())}` : '';
    return `${said}Started ${what}: run ${result.run.id} (${result.run.status}). Runwatch follows it in the Runs view; read it again with runwatch_getRun {"runId": "${result.run.id}", "provider": "${result.run.provider}"}.${detail}`;
  }

  private prepareCancel(raw: unknown): vscode.PreparedToolInvocation {
    const input = parseWith(runRefInput, raw, 'runwatch_cancelRun input');
    const t = findTrackedRun(this.service, input.runId, input.provider);
    const name = this.service.displayName(t.run.provider);
    const adapter = this.service.provider(t.run.provider);
    const title = runTitle(t.run, this.deps.accountLabel(t.run), kind => adapter.kindLabel?.(kind));
    // Nothing would be sent: no confirmation, invoke explains why.
    if (!isActive(t.run.status) || !adapter.capabilities.cancel || !adapter.cancelRun) return { invocationMessage: `Checking ${title}` };
    return {
      invocationMessage: `Cancelling ${title} on ${name}`,
      confirmationMessages: {
        title: `Cancel ${title}?`,
        message: `Runwatch will ask ${name} to cancel run ${t.run.id} (now ${t.run.status}). Work it has not finished is lost.`,
      },
    };
  }

  private async cancelRun(raw: unknown): Promise<string> {
    const input = parseWith(runRefInput, raw, 'runwatch_cancelRun input');
    const t = findTrackedRun(this.service, input.runId, input.provider);
    const name = this.service.displayName(t.run.provider);
    const title = runTitle(t.run, this.deps.accountLabel(t.run), kind => this.service.provider(t.run.provider).kindLabel?.(kind));
    if (!isActive(t.run.status)) return `${title} (run ${t.run.id}) has already ${t.run.status === 'succeeded' ? 'finished' : t.run.status}: nothing to cancel.`;
    const adapter = this.service.provider(t.run.provider);
    if (!adapter.capabilities.cancel || !adapter.cancelRun) {
      return `${name} runs cannot be cancelled from Runwatch: ${adapter.capabilities.cancelUnavailableReason ?? `the ${name} API has no cancel operation.`} The run continues.`;
    }
    const run = await this.service.cancelRun(t.key);
    return `Asked ${name} to cancel ${title} (run ${run.id}): it is now ${run.status}.`;
  }
}

/** The narrow slice of vscode.lm this needs; absent in a VS Code without language-model tools. */
interface LmNamespace {
  registerTool?: (name: string, tool: Tool) => vscode.Disposable;
}

/** Registers the four tools where vscode.lm.registerTool exists; returns what the test API reads (or undefined). */
export function registerLmTools(deps: LmToolDeps): { tools: RunwatchLmTools; disposables: vscode.Disposable[] } {
  const tools = new RunwatchLmTools(deps);
  const lm = (vscode as { lm?: LmNamespace }).lm;
  if (typeof lm?.registerTool !== 'function' || typeof vscode.LanguageModelToolResult !== 'function') {
    deps.log.info('This VS Code has no language-model tools API: the Runwatch chat tools are not registered.');
    return { tools, disposables: [] };
  }
  const disposables: vscode.Disposable[] = [];
  for (const name of TOOL_NAMES) {
    try {
      disposables.push(lm.registerTool(name, tools.tools[name]));
    } catch (e) {
      deps.log.warn(`Runwatch could not register the chat tool ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { tools, disposables };
}
