// Runs as VS Code tasks: `"type": "runwatch"` in tasks.json starts a run (or follows one by id) in a task
// terminal, writes a line per state change and ends with exit code 0 on a clean success, 1 otherwise, so a
// preLaunchTask or a dependsOn chain waits for it. The task shares the engine: the run is started by the
// service's exactly-once startRun (or trackRun), polled by the scheduler like any other, and the terminal only
// listens to the store's changes; it never polls.
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import { isProviderError, redact } from '../core/errors';
import { isWaitCancelled } from '../core/gate';
import { clockTime } from '../core/intl';
import { runLabel } from '../core/labels';
import { isActive, keyOf, type Run } from '../core/run';
import { describeStart, isStartInDoubt } from '../core/starts';
import type { InputField, PipelineKind } from '../core/ports';
import { IsolatingEmitter } from './emitter';
import { describeProviderError } from './errors';
import { parseTaskSpec, resolveProvider, resolveStart, requireKey, watchAccountId, type SecretSource, type TaskSpec } from './runSpec';
import type { SecretKeyVault } from './secrets';
import { taskErrorLines, taskOutcome, taskStateLine } from './taskText';
import { statusWord } from './tree/format';

export const TASK_TYPE = 'runwatch';

export interface RunTaskDeps {
  readonly service: RunwatchService;
  readonly vault: SecretKeyVault;
  readonly log: vscode.LogOutputChannel;
  accountLabel(run: Pick<Run, 'provider' | 'accountId'>): string;
}

/**
 * What a task terminal did, for observers (the extension tests: a terminal's text cannot be read back).
 * `terminal` tells one terminal's events from another's.
 */
export type TaskTerminalEvent = { readonly terminal: number } & (
  | { readonly opened: { readonly name: string; readonly definition: vscode.TaskDefinition } }
  /** A line written, without its time prefix. */
  | { readonly line: string }
  /** The run the task started or follows (`provider:runId`). */
  | { readonly runKey: string }
  | { readonly exitCode: number }
);

/** The password box Start Run shows for a pipeline's own secret (a third-party key), stored in the OS keychain. */
export function askSecretInBox(field: InputField, kind: PipelineKind): Promise<string | undefined> {
  return Promise.resolve(
    vscode.window.showInputBox({
      title: `${kind.label}: ${field.label}`,
      prompt: vscode.l10n.t('{0} — stored in the OS keychain and reused', field.description ?? field.label),
      password: true,
      ignoreFocusOut: true,
      validateInput: v => (field.required && !v.trim() ? vscode.l10n.t('{0} is required', field.label) : undefined),
    }),
  );
}

export class RunTaskProvider implements vscode.TaskProvider, vscode.Disposable {
  private readonly terminals = new Set<RunTaskTerminal>();
  private readonly terminalEvents: IsolatingEmitter<TaskTerminalEvent>;
  readonly onDidChangeTerminal: vscode.Event<TaskTerminalEvent>;
  private openedTerminals = 0;

  constructor(private readonly deps: RunTaskDeps) {
    this.terminalEvents = new IsolatingEmitter('task terminal', deps.log);
    this.onDidChangeTerminal = this.terminalEvents.event;
  }

  /** "Run Task → runwatch" offers to follow each active run Runwatch tracks; starts are written in tasks.json. */
  provideTasks(): vscode.Task[] {
    const { service } = this.deps;
    return service.store
      .active()
      .filter(t => !t.gone)
      .map(t => {
        const definition = { type: TASK_TYPE, provider: t.run.provider, account: t.run.accountId, runId: t.run.id };
        return this.task(definition, vscode.l10n.t('Watch {0} on {1} ({2})', this.label(t.run), this.deps.accountLabel(t.run), service.displayName(t.run.provider)), vscode.TaskScope.Workspace);
      });
  }

  /** A tasks.json entry of type runwatch gets its terminal here (the definition is checked when it runs, in the terminal). */
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    if (task.definition.type !== TASK_TYPE) return undefined;
    return this.task(task.definition, task.name, task.scope ?? vscode.TaskScope.Workspace);
  }

  private task(definition: vscode.TaskDefinition, name: string, scope: vscode.WorkspaceFolder | vscode.TaskScope): vscode.Task {
    const task = new vscode.Task(
      definition,
      scope,
      name,
      TASK_TYPE,
      // The callback gets the definition with ${input:…}/${env:…} variables already substituted.
      new vscode.CustomExecution(async resolved => this.open(name, resolved)),
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, echo: false };
    return task;
  }

  private open(name: string, definition: vscode.TaskDefinition): vscode.Pseudoterminal {
    const id = ++this.openedTerminals;
    const tell = (event: DistributiveOmit<TaskTerminalEvent, 'terminal'>) => this.terminalEvents.fire({ terminal: id, ...event });
    tell({ opened: { name, definition: { ...definition } } });
    const terminal = new RunTaskTerminal(this.deps, name, definition, tell, () => this.terminals.delete(terminal));
    this.terminals.add(terminal);
    return terminal;
  }

  label(run: Run): string {
    return runLabel(run, this.deps.accountLabel(run), kind => this.deps.service.provider(run.provider).kindLabel?.(kind));
  }

  dispose(): void {
    // Runwatch is going (a reload, a shutdown): each task stops watching; its run goes on at the provider.
    for (const terminal of [...this.terminals]) terminal.detach(vscode.l10n.t('Runwatch stopped (reload or shutdown)'));
    this.terminals.clear();
    this.terminalEvents.dispose();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class RunTaskTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;

  private spec: TaskSpec | undefined;
  private key: string | undefined;
  private label = vscode.l10n.t('The run');
  private storeSubscription: { dispose(): void } | undefined;
  private lastStateLine: string | undefined;
  private lastErrorText: string | undefined;
  private finished = false;
  /** Ctrl-C or a closed terminal arrived: acted on once the run is known. */
  private interrupted = false;
  private interrupting = false;

  constructor(
    private readonly deps: RunTaskDeps,
    private readonly name: string,
    private readonly definition: vscode.TaskDefinition,
    private readonly tell: (event: DistributiveOmit<TaskTerminalEvent, 'terminal'>) => void,
    private readonly onEnd: () => void,
  ) {}

  open(): void {
    void this.run();
  }

  /** The terminal was closed or the task terminated: treated as Ctrl-C. */
  close(): void {
    this.interrupt();
  }

  handleInput(data: string): void {
    if (data.includes('\x03')) this.interrupt();
  }

  private get service(): RunwatchService {
    return this.deps.service;
  }

  private async run(): Promise<void> {
    try {
      this.spec = parseTaskSpec(this.definition);
      const provider = resolveProvider(this.service, this.spec.provider);
      const name = this.service.displayName(provider);
      requireKey(this.service, provider);
      let run: Run;
      if (this.spec.mode === 'watch') {
        this.write(vscode.l10n.t('Runwatch: following {0} run {1}…', name, this.spec.runId));
        const accountId = await watchAccountId(this.service, provider, this.spec);
        run = await this.service.asUserAction(() => this.service.trackRun(provider, accountId, (this.spec as { runId: string }).runId));
      } else {
        const secrets: SecretSource = { vault: this.deps.vault, ask: askSecretInBox };
        const start = await this.service.asUserAction(() => resolveStart(this.service, this.spec as TaskSpec & { mode: 'start' }, secrets));
        const what = describeStart(start.kind, start.account, name);
        if (this.interrupted) return this.finish(1, vscode.l10n.t('Stopped before starting {0}: nothing was sent.', what));
        this.write(vscode.l10n.t('Runwatch: starting {0}…', what));
        const result = await this.service.asUserAction(() => this.service.startRun(start.provider, start.account, start.kind, start.input));
        run = result.run;
        if (result.message) this.write(redact(result.message));
        else if (result.adopted) this.write(vscode.l10n.t('A run was already going: Runwatch follows it instead of starting another.'));
      }
      this.key = keyOf(run);
      this.tell({ runKey: this.key });
      this.label = runLabel(run, this.deps.accountLabel(run), kind => this.service.provider(run.provider).kindLabel?.(kind));
      const adapter = this.service.provider(provider);
      const ctrlC =
        this.spec.mode === 'watch'
          ? vscode.l10n.t('Ctrl-C stops watching.')
          : adapter.capabilities.cancel && adapter.cancelRun
            ? vscode.l10n.t('Ctrl-C cancels it.')
            : vscode.l10n.t('Ctrl-C stops watching ({0} runs cannot be cancelled).', name);
      const what = this.spec.mode === 'watch' ? vscode.l10n.t('Following {0} on {1} ({2}, run id {3}).', this.label, this.deps.accountLabel(run), name, run.id) : vscode.l10n.t('Started {0} on {1} ({2}, run id {3}).', this.label, this.deps.accountLabel(run), name, run.id);
      this.write(`${what} ${ctrlC}`);
      this.storeSubscription = this.service.store.onDidChange(change => {
        if (change.keys.includes(this.key!)) this.update();
      });
      this.update();
      if (this.interrupted) await this.interruptNow();
    } catch (e) {
      this.fail(e);
    }
  }

  /** Writes what changed since the last line and ends the task once the run has finished. */
  private update(): void {
    if (this.finished || !this.key) return;
    const t = this.service.store.get(this.key);
    if (!t) return this.finish(1, vscode.l10n.t('{0} is no longer tracked (Stop Tracking): the task cannot tell how it ends.', this.label));
    const line = taskStateLine(t, this.label);
    if (line !== this.lastStateLine) {
      this.lastStateLine = line;
      this.write(line);
    }
    const errors = taskErrorLines(t.run);
    const errorText = errors.join('\n');
    if (errorText && errorText !== this.lastErrorText) errors.forEach(l => this.write(l));
    this.lastErrorText = errorText;
    const outcome = taskOutcome(t, this.label);
    if (outcome) this.finish(outcome.exitCode, outcome.text);
  }

  private interrupt(): void {
    if (this.finished || this.interrupted) return;
    this.interrupted = true;
    // Before the run is known (inputs being asked, the start in flight) the start itself decides: see run().
    if (this.key) void this.interruptNow();
    else this.write(vscode.l10n.t('Ctrl-C: the task stops as soon as the start has been answered.'));
  }

  /**
   * Ctrl-C on a run the task started cancels it where the provider can, and says so where it cannot; on a run
   * it only follows, the task stops following (the run belongs to whoever started it). Either way the task ends
   * with exit code 1; the run stays in the Runs view.
   */
  private async interruptNow(): Promise<void> {
    if (this.finished || this.interrupting || !this.key) return;
    this.interrupting = true;
    const t = this.service.store.get(this.key);
    const name = t ? this.service.displayName(t.run.provider) : vscode.l10n.t('the provider');
    if (!t || !isActive(t.run.status)) return this.update();
    if (this.spec?.mode === 'watch') return this.detach(vscode.l10n.t('Ctrl-C: stopped following'));
    const adapter = this.service.provider(t.run.provider);
    if (!adapter.capabilities.cancel || !adapter.cancelRun) {
      const why = adapter.capabilities.cancelUnavailableReason ?? vscode.l10n.t('the {0} API has no cancel operation.', name);
      return this.detach(vscode.l10n.t('Ctrl-C: {0} runs cannot be cancelled from Runwatch ({1})', name, why.replace(/\.$/, '')));
    }
    this.write(vscode.l10n.t('Ctrl-C: cancelling {0} on {1}…', this.label, name));
    try {
      const run = await this.service.asUserAction(() => this.service.cancelRun(this.key!));
      this.finish(1, vscode.l10n.t('Cancelled {0}: {1} reports it {2}.', this.label, name, statusWord(run.status)));
    } catch (e) {
      this.detach(vscode.l10n.t('Runwatch could not cancel {0} ({1})', this.label, this.errorText(e)));
    }
  }

  /** Ends the task without ending the run. */
  detach(why: string): void {
    const t = this.key ? this.service.store.get(this.key) : undefined;
    const name = t ? this.service.displayName(t.run.provider) : vscode.l10n.t('the provider');
    this.finish(1, vscode.l10n.t('{0}. The run continues on {1}; Runwatch keeps following it in the Runs view.', why, name));
  }

  private fail(e: unknown): void {
    if (isStartInDoubt(e)) {
      const { provider } = e.doubt;
      this.write(redact(e.message));
      return this.finish(
        1,
        vscode.l10n.t(
          'Runwatch did not send the start again. If it did start, follow it with a task of {0}, or with "Runwatch: Track Run by ID".',
          `{"type": "runwatch", "provider": "${provider}", "account": "${e.doubt.account.id}", "runId": "<run id>"}`,
        ),
      );
    }
    if (isWaitCancelled(e)) return this.finish(1, vscode.l10n.t('The wait for a rate limit was cancelled: nothing was sent.'));
    this.finish(1, this.errorText(e));
  }

  private errorText(e: unknown): string {
    return isProviderError(e) ? describeProviderError(e) : redact(e instanceof Error ? e.message : String(e));
  }

  private finish(exitCode: number, text: string): void {
    if (this.finished) return;
    this.finished = true;
    this.storeSubscription?.dispose();
    this.write(text);
    this.write(vscode.l10n.t('Exit code {0}.', exitCode === 0 ? 0 : 1));
    this.tell({ exitCode });
    this.deps.log.info(`Task "${this.name}": ${text} (exit code ${exitCode})`);
    this.onEnd();
    this.closer.fire(exitCode);
  }

  private write(line: string): void {
    this.tell({ line });
    this.writer.fire(`[${clockTime(Date.now())}] ${line.replace(/\r?\n/g, '\r\n')}\r\n`);
  }
}

/** Registers the `runwatch` task type; the test API follows the returned provider's terminals. */
export function registerRunTasks(deps: RunTaskDeps): { provider: RunTaskProvider; disposables: vscode.Disposable[] } {
  const provider = new RunTaskProvider(deps);
  return { provider, disposables: [provider, vscode.tasks.registerTaskProvider(TASK_TYPE, provider)] };
}
