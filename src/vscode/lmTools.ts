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
import { IsolatingEmitter } from './emitter';
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

/** What a tool's prepareInvocation answered. */
export interface PreparedRecord {
  tool: ToolName;
  input: unknown;
  invocationMessage?: string;
  confirmation?: { title: string; message: string };
}

const STATUS_FILTERS = ['active', 'failed', 'succeeded', 'cancelled', 'queued', 'running', 'finished', 'any'] as const;

const text = () => z.string().check(z.trim(), z.minLength(1));
// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const listInput = z.lazy(() => z.object({
  provider: z.optional(text()),
  account: z.optional(text()),
  status: z.optional(z.enum(STATUS_FILTERS)),
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
}));
const runRefInput = z.lazy(() => z.object({ runId: text(), provider: z.optional(text()) }));

type Tool = vscode.LanguageModelTool<Record<string, unknown>>;

export class RunwatchLmTools implements vscode.Disposable {
  private readonly preparations: IsolatingEmitter<PreparedRecord>;
  /** A tool's prepareInvocation answered (what the extension tests read: proof that a confirmation was asked for). */
  readonly onDidPrepare: vscode.Event<PreparedRecord>;
  readonly tools: Record<ToolName, Tool>;

  constructor(private readonly deps: LmToolDeps) {
    this.preparations = new IsolatingEmitter('chat tool prepared', deps.log);
    this.onDidPrepare = this.preparations.event;
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
    if (isStartInDoubt(e)) return vscode.l10n.t('{0} Do not start it again; ask the user to check {1} or track the run by id.', redact(e.message), e.doubt.providerName);
    if (isWaitCancelled(e)) return vscode.l10n.t('The wait for a rate limit was cancelled: nothing was sent.');
    if (e instanceof RunSpecError) return e.message;
    if (isProviderError(e)) return vscode.l10n.t('Runwatch could not do it: {0}', describeProviderError(e));
    return vscode.l10n.t('Runwatch could not do it: {0}', redact(e instanceof Error ? e.message : String(e)));
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
    this.preparations.fire({
      tool,
      input,
      invocationMessage: text(prepared.invocationMessage),
      confirmation: prepared.confirmationMessages && { title: prepared.confirmationMessages.title, message: text(prepared.confirmationMessages.message) ?? '' },
    });
    return prepared;
  }

  dispose(): void {
    this.preparations.dispose();
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
      const none = scope ? vscode.l10n.t('No runs ({0}).', scope) : vscode.l10n.t('No runs.');
      const tracks = all.length === 1 ? vscode.l10n.t('Runwatch tracks 1 run; providers with a key: {0}.', keyed.join(', ') || vscode.l10n.t('none')) : vscode.l10n.t('Runwatch tracks {0} runs; providers with a key: {1}.', all.length, keyed.join(', ') || vscode.l10n.t('none'));
      return `${none} ${tracks}`;
    }
    const shown = runs.slice(0, limit);
    const counted = `${runs.length === 1 ? vscode.l10n.t('1 run') : vscode.l10n.t('{0} runs', runs.length)}${scope ? ` (${scope})` : ''}`;
    const header = runs.length > shown.length ? vscode.l10n.t('{0}, active first, then failed, then the rest, newest first; showing {1}:', counted, shown.length) : vscode.l10n.t('{0}, active first, then failed, then the rest, newest first:', counted);
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
    const what = account && kind ? describeStart(kind, account, name) : vscode.l10n.t('{0} on {1} ({2})', spec.kind ?? vscode.l10n.t('a run'), spec.account ?? vscode.l10n.t('the {0} account', name), name);
    const given = spec.inputs && Object.keys(spec.inputs).length ? `\n\n${vscode.l10n.t('Inputs: {0}', redact(JSON.stringify(spec.inputs)).slice(0, 500))}` : '';
    return {
      invocationMessage: vscode.l10n.t('Starting {0}', what),
      confirmationMessages: {
        title: vscode.l10n.t('Start {0}?', what),
        message: `${vscode.l10n.t('Runwatch will start {0}. The run is real: it may take a long time and cost credits.', what)}${given}`,
      },
    };
  }

  private async startRun(raw: unknown): Promise<string> {
    const spec = parseWith(startSpecSchema, raw, 'runwatch_startRun input');
    const start = await resolveStart(this.service, spec, { vault: this.deps.vault, ask: askSecretInBox });
    const result = await this.service.startRun(start.provider, start.account, start.kind, start.input);
    const what = describeStart(start.kind, start.account, this.service.displayName(start.provider));
    const t = this.service.store.get(keyOf(result.run));
    const said = result.message ? `${result.message} ` : result.adopted ? `${vscode.l10n.t('A run was already going: Runwatch follows it instead of starting another.')} ` : '';
    const detail = t ? `\n\n${runDetailText(t, this.textContext())}` : '';
    const started = vscode.l10n.t(
      'Started {0}: run {1} ({2}). Runwatch follows it in the Runs view; read it again with runwatch_getRun {3}.',
      what,
      result.run.id,
      result.run.status,
      `{"runId": "${result.run.id}", "provider": "${result.run.provider}"}`,
    );
    return `${said}${started}${detail}`;
  }

  private prepareCancel(raw: unknown): vscode.PreparedToolInvocation {
    const input = parseWith(runRefInput, raw, 'runwatch_cancelRun input');
    const t = findTrackedRun(this.service, input.runId, input.provider);
    const name = this.service.displayName(t.run.provider);
    const adapter = this.service.provider(t.run.provider);
    const title = runTitle(t.run, this.deps.accountLabel(t.run), kind => adapter.kindLabel?.(kind));
    // Nothing would be sent: no confirmation, invoke explains why.
    if (!isActive(t.run.status) || !adapter.capabilities.cancel || !adapter.cancelRun) return { invocationMessage: vscode.l10n.t('Checking {0}', title) };
    return {
      invocationMessage: vscode.l10n.t('Cancelling {0} on {1}', title, name),
      confirmationMessages: {
        title: vscode.l10n.t('Cancel {0}?', title),
        message: vscode.l10n.t('Runwatch will ask {0} to cancel run {1} (now {2}). Work it has not finished is lost.', name, t.run.id, t.run.status),
      },
    };
  }

  private async cancelRun(raw: unknown): Promise<string> {
    const input = parseWith(runRefInput, raw, 'runwatch_cancelRun input');
    const t = findTrackedRun(this.service, input.runId, input.provider);
    const name = this.service.displayName(t.run.provider);
    const title = runTitle(t.run, this.deps.accountLabel(t.run), kind => this.service.provider(t.run.provider).kindLabel?.(kind));
    if (!isActive(t.run.status)) return vscode.l10n.t('{0} (run {1}) has already {2}: nothing to cancel.', title, t.run.id, t.run.status === 'succeeded' ? 'finished' : t.run.status);
    const adapter = this.service.provider(t.run.provider);
    if (!adapter.capabilities.cancel || !adapter.cancelRun) {
      return vscode.l10n.t('{0} runs cannot be cancelled from Runwatch: {1} The run continues.', name, adapter.capabilities.cancelUnavailableReason ?? vscode.l10n.t('the {0} API has no cancel operation.', name));
    }
    const run = await this.service.cancelRun(t.key);
    return vscode.l10n.t('Asked {0} to cancel {1} (run {2}): it is now {3}.', name, title, run.id, run.status);
  }
}

/** The narrow slice of vscode.lm this needs; absent in a VS Code without language-model tools. */
interface LmNamespace {
  registerTool?: (name: string, tool: Tool) => vscode.Disposable;
}

/** Registers the four tools where vscode.lm.registerTool exists (`registered`: at least one was). */
export function registerLmTools(deps: LmToolDeps): { tools: RunwatchLmTools; registered: boolean; disposables: vscode.Disposable[] } {
  const tools = new RunwatchLmTools(deps);
  const lm = (vscode as { lm?: LmNamespace }).lm;
  if (typeof lm?.registerTool !== 'function' || typeof vscode.LanguageModelToolResult !== 'function') {
    deps.log.info('This VS Code has no language-model tools API: the Runwatch chat tools are not registered.');
    return { tools, registered: false, disposables: [tools] };
  }
  const disposables: vscode.Disposable[] = [tools];
  for (const name of TOOL_NAMES) {
    try {
      disposables.push(lm.registerTool(name, tools.tools[name]));
    } catch (e) {
      deps.log.warn(`Runwatch could not register the chat tool ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { tools, registered: disposables.length > 1, disposables };
}
