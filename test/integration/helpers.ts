// Helpers for extension tests that run inside the real VS Code extension host: the simulator in-process,
// settings pointed at it, keys stored through the real command (and so the real SecretStorage), polling
// waits, and snapshots of what the tree and the status bar show.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { BUILTIN_PROVIDER_IDS as PROVIDER_IDS, type BuiltinProviderId as ProviderId } from '../../src/providers';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import type { SimulatorOptions } from '../simulator/server';
import type { RunwatchApi } from '../../src/vscode/api';
import type { TrackedRun } from '../../src/core/store';

export const EXTENSION_ID = 'runwatch.runwatch';
export { SIM_KEYS, PROVIDER_IDS, type ProviderId };

export const DISPLAY_NAMES: Record<ProviderId, string> = {
  boringMarketing: 'Boring Marketing',
  gloriaMundo: 'GloriaMundo',
  automindz: 'Automindz',
  talonic: 'Talonic',
  adlyse: 'Adlyse',
};

export type { RunwatchApi };

export function extension(): vscode.Extension<RunwatchApi> {
  const ext = vscode.extensions.getExtension<RunwatchApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

/** Activates Runwatch (if needed) and returns the API its activate() returned. */
export async function runwatchApi(): Promise<RunwatchApi> {
  const ext = extension();
  const api = ext.isActive ? ext.exports : await ext.activate();
  assert.ok(api && typeof api === 'object', 'Runwatch exports no API from activate()');
  assert.ok(typeof api.tree?.getChildren === 'function' && typeof api.tree?.getTreeItem === 'function', "Runwatch's API has no tree data provider");
  return api;
}

/** Polls `predicate` until it returns something truthy; fails with `what` (and the last value) after `timeoutMs`. */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      last = await predicate();
      if (last) return last as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? `; last error: ${(lastError as Error).message}` : `; last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------------------
// The simulator and the settings that point at it

export interface SimulatorHandle {
  sim: Simulator;
  /** Stops the simulator and removes the base-URL settings again. */
  dispose(): Promise<void>;
}

function runwatchConfig(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('runwatch');
}

export async function setBaseUrl(id: ProviderId, url: string | undefined): Promise<void> {
  await runwatchConfig().update(`providers.${id}.baseUrl`, url, vscode.ConfigurationTarget.Global);
}

/**
 * Starts the simulator in this process (port 0) and points every runwatch.providers.<id>.baseUrl at it.
 * `seed: true` loads every provider's demo scenario (accounts and runs in progress); otherwise it starts empty.
 */
export async function startSimulator(options: SimulatorOptions & { seed?: boolean } = {}): Promise<SimulatorHandle> {
  const { seed, ...simOptions } = options;
  const sim = createSimulator({ port: 0, ...simOptions });
  await sim.start();
  if (seed) for (const id of PROVIDER_IDS) sim.provider(id).seedDemo?.();
  for (const id of PROVIDER_IDS) await setBaseUrl(id, sim.baseUrl(id));
  await waitFor(
    () => PROVIDER_IDS.every(id => runwatchConfig().get(`providers.${id}.baseUrl`) === sim.baseUrl(id)),
    5_000,
    'the base URL settings to take effect',
  );
  return {
    sim,
    async dispose() {
      for (const id of PROVIDER_IDS) await setBaseUrl(id, undefined);
      await sim.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Commands, with the UI they open answered by the test

interface PackageCommand {
  command: string;
  title: string;
  category?: string;
}

/** The commands Runwatch contributes in package.json. */
export function contributedCommands(): PackageCommand[] {
  return (extension().packageJSON?.contributes?.commands ?? []) as PackageCommand[];
}

/** The id of the contributed command with this title ("Set API Key"). */
export function commandId(title: string): string {
  const found = contributedCommands().find(c => c.title.toLowerCase() === title.toLowerCase());
  assert.ok(found, `Runwatch contributes no command titled "${title}"`);
  return found.command;
}

export interface ShownMessage {
  severity: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
}

/** A scripted answer that presses the Back button of a multi-step quick input. */
export const PRESS_BACK = Symbol('press Back');

/** A scripted answer that presses a title-bar button of an input box, by its tooltip ("Edit in a JSON editor…"). */
export interface PressButton {
  button: string;
}

/** A scripted answer that types this text into an input box, then presses Back instead of Enter. */
export interface TypeThenBack {
  typeThenBack: string;
}

/**
 * A scripted quick pick answer chosen by code: gets the items offered and a way to read them later (they may
 * change while it waits, as the JSON editor step's do); may take its time.
 */
export type PickAnswer = (items: readonly vscode.QuickPickItem[], current: () => readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined | Promise<vscode.QuickPickItem | undefined>;

export interface UiScript {
  /**
   * Answers for quick picks (showQuickPick and createQuickPick), in order: a label to pick, a function choosing
   * from the offered items, PRESS_BACK, or undefined (the user pressed Escape).
   */
  quickPicks?: Array<string | typeof PRESS_BACK | undefined | PickAnswer>;
  /** Answers for input boxes (showInputBox and createInputBox), in order (undefined = the user pressed Escape). */
  inputs?: Array<string | undefined | typeof PRESS_BACK | PressButton | TypeThenBack>;
  /** Which button to press on a message that offers buttons (by title); default: dismiss. */
  messageChoice?: (message: ShownMessage) => string | undefined;
}

/** One step of a multi-step quick input (createQuickPick/createInputBox) as the user saw it when answering. */
export interface QuickInputStep {
  type: 'pick' | 'input';
  title?: string;
  step?: number;
  totalSteps?: number;
  /** The step offered a Back button. */
  back: boolean;
  /** The step was shown busy (loading) before it could be answered. */
  wasBusy: boolean;
  /** Pick: the labels offered, and the one highlighted when it opened. */
  items?: string[];
  active?: string;
  /** Input box: the value it opened with, and what its validation said about the scripted answer. */
  value?: string;
  password?: boolean;
  validation?: InputValidation;
  /** Other title-bar buttons, by tooltip. */
  buttons?: string[];
  /** What the script answered: a label, a value, "Back", "Escape". */
  answer: string;
}

export interface UiRecord {
  messages: ShownMessage[];
  quickPickTitles: string[];
  inputPrompts: InputPrompt[];
  /** Every step of a createQuickPick/createInputBox flow that waited for an answer, in order. */
  steps: QuickInputStep[];
}

/** What an input box showed and said about the value typed into it. */
export interface InputPrompt {
  prompt?: string;
  password?: boolean;
  title?: string;
  /** The value the box opened with (a default). */
  value?: string;
  placeHolder?: string;
  /** What the box's validation said about the scripted value; undefined when it accepted it silently. */
  validation?: InputValidation;
  /** Runs the box's own validation on any other text, as if the user had typed it. */
  validate?: (value: string) => Promise<InputValidation | undefined>;
}

export interface InputValidation {
  message: string;
  severity: 'error' | 'warning' | 'info';
}

function readValidation(problem: string | vscode.InputBoxValidationMessage | null | undefined): InputValidation | undefined {
  if (!problem) return undefined;
  if (typeof problem === 'string') return { message: problem, severity: 'error' };
  const severity =
    problem.severity === vscode.InputBoxValidationSeverity.Error ? 'error' : problem.severity === vscode.InputBoxValidationSeverity.Warning ? 'warning' : 'info';
  return { message: problem.message, severity };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A minimal vscode.EventEmitter stand-in whose listeners the driver can read (to re-run a box's validation). */
class ScriptEvent<T> {
  readonly listeners = new Set<(e: T) => unknown>();
  readonly event = (listener: (e: T) => unknown): vscode.Disposable => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
}

/**
 * A QuickPick or InputBox that the script answers instead of a person: it records what the extension set on it
 * (title, step, totalSteps, busy, items, validationMessage) and fires the events a person's keys would.
 */
class ScriptedQuickInput {
  title?: string;
  step?: number;
  totalSteps?: number;
  enabled = true;
  ignoreFocusOut = false;
  buttons: readonly vscode.QuickInputButton[] = [];
  value = '';
  placeholder?: string;
  prompt?: string;
  password = false;
  validationMessage: string | vscode.InputBoxValidationMessage | undefined;
  items: readonly vscode.QuickPickItem[] = [];
  activeItems: readonly vscode.QuickPickItem[] = [];
  selectedItems: readonly vscode.QuickPickItem[] = [];
  canSelectMany = false;
  matchOnDescription = false;
  matchOnDetail = false;
  keepScrollPosition = false;
  valueSelection: readonly [number, number] | undefined;
  visible = false;
  disposed = false;
  wasBusy = false;
  private busyNow = false;
  readonly accept = new ScriptEvent<void>();
  readonly hidden = new ScriptEvent<void>();
  readonly button = new ScriptEvent<vscode.QuickInputButton>();
  readonly changeValue = new ScriptEvent<string>();
  readonly changeActive = new ScriptEvent<readonly vscode.QuickPickItem[]>();
  readonly changeSelection = new ScriptEvent<readonly vscode.QuickPickItem[]>();
  readonly itemButton = new ScriptEvent<vscode.QuickPickItemButtonEvent<vscode.QuickPickItem>>();
  readonly onDidAccept = this.accept.event;
  readonly onDidHide = this.hidden.event;
  readonly onDidTriggerButton = this.button.event;
  readonly onDidChangeValue = this.changeValue.event;
  readonly onDidChangeActive = this.changeActive.event;
  readonly onDidChangeSelection = this.changeSelection.event;
  readonly onDidTriggerItemButton = this.itemButton.event;

  constructor(
    readonly type: 'pick' | 'input',
    private readonly onShow: (input: ScriptedQuickInput) => void,
  ) {}

  get busy(): boolean {
    return this.busyNow;
  }
  set busy(value: boolean) {
    this.busyNow = value;
    if (value) this.wasBusy = true;
  }
  show(): void {
    if (this.visible || this.disposed) return;
    this.visible = true;
    this.onShow(this);
  }
  hide(): void {
    if (!this.visible) return;
    this.visible = false;
    this.hidden.fire();
  }
  dispose(): void {
    this.hide();
    this.disposed = true;
  }
}

const stripIcons = (label: string) => label.replace(/\$\([^)]*\)\s*/g, '').trim();

/**
 * Runs `body` with vscode.window's quick picks, input boxes and messages answered from `script` and recorded:
 * showQuickPick/showInputBox, and the quick inputs createQuickPick/createInputBox make (multi-step flows: answered
 * once they stop being busy, Back pressed with PRESS_BACK). The extension shares this `vscode` object with the
 * tests (same extension), so it sees the stubs. A scripted answer the UI cannot take (a label not offered, a
 * value the box refuses) fails the call once the body is done.
 */
export async function withScriptedUi<T>(script: UiScript, body: (record: UiRecord) => Promise<T>): Promise<T> {
  const window = vscode.window as Mutable<typeof vscode.window>;
  const saved = {
    showQuickPick: window.showQuickPick,
    showInputBox: window.showInputBox,
    createQuickPick: window.createQuickPick,
    createInputBox: window.createInputBox,
    showInformationMessage: window.showInformationMessage,
    showWarningMessage: window.showWarningMessage,
    showErrorMessage: window.showErrorMessage,
  };
  const picks = [...(script.quickPicks ?? [])];
  const inputs = [...(script.inputs ?? [])];
  const record: UiRecord = { messages: [], quickPickTitles: [], inputPrompts: [], steps: [] };
  const scriptErrors: string[] = [];
  const labelOf = (item: unknown): string => (typeof item === 'string' ? item : (item as vscode.QuickPickItem).label);
  const choose = async (answer: (typeof picks)[number], asItems: readonly vscode.QuickPickItem[], current: () => readonly vscode.QuickPickItem[] = () => asItems) =>
    typeof answer === 'function' ? answer(asItems, current) : asItems.find(i => i.label === answer) ?? asItems.find(i => stripIcons(i.label) === answer);

  (window as { showQuickPick: unknown }).showQuickPick = async (items: unknown, options?: vscode.QuickPickOptions) => {
    const resolved = (await items) as readonly (string | vscode.QuickPickItem)[];
    record.quickPickTitles.push(options?.title ?? options?.placeHolder ?? '');
    const answer = picks.shift();
    if (answer === undefined || answer === PRESS_BACK) return undefined;
    const asItems = resolved.map(i => (typeof i === 'string' ? { label: i } : i));
    const chosen = await choose(answer, asItems);
    assert.ok(chosen, `quick pick "${options?.title ?? options?.placeHolder ?? ''}" offers no "${String(answer)}" (offered: ${asItems.map(labelOf).join(', ')})`);
    const index = asItems.indexOf(chosen);
    return index >= 0 ? resolved[index] : chosen;
  };
  (window as { showInputBox: unknown }).showInputBox = async (options?: vscode.InputBoxOptions) => {
    const shown: InputPrompt = { prompt: options?.prompt, password: options?.password, title: options?.title, value: options?.value, placeHolder: options?.placeHolder };
    const validateInput = options?.validateInput;
    if (validateInput) shown.validate = async (text: string) => readValidation(await validateInput(text));
    record.inputPrompts.push(shown);
    const next = inputs.shift();
    const value = typeof next === 'string' ? next : undefined;
    if (value !== undefined && options?.validateInput) {
      const problem = await options.validateInput(value);
      shown.validation = readValidation(problem);
      const text = typeof problem === 'string' ? problem : problem?.message;
      if (text && (typeof problem === 'string' || problem?.severity === vscode.InputBoxValidationSeverity.Error)) {
        throw new Error(`input box "${options.prompt ?? options.title ?? ''}" rejected the scripted value: ${text}`);
      }
    }
    return value;
  };

  /** Answers a quick input once the extension is done loading it; one that is closed first (a step taken without asking) is left alone. */
  const answerQuickInput = async (qi: ScriptedQuickInput): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!qi.disposed && qi.visible && (qi.busy || !qi.enabled)) {
      if (Date.now() > deadline) {
        scriptErrors.push(`quick input "${qi.title ?? ''}" stayed busy for 30 s`);
        return qi.hide();
      }
      await new Promise(r => setTimeout(r, 5));
    }
    // Let the extension finish what it does right after showing (an item picked without asking, then the next step).
    await new Promise(r => setTimeout(r, 0));
    if (qi.disposed || !qi.visible) return;
    const back = qi.buttons.includes(vscode.QuickInputButtons.Back);
    const otherButtons = qi.buttons.filter(b => b !== vscode.QuickInputButtons.Back);
    const step: QuickInputStep = { type: qi.type, title: qi.title, step: qi.step, totalSteps: qi.totalSteps, back, wasBusy: qi.wasBusy, answer: '' };
    if (otherButtons.length) step.buttons = otherButtons.map(b => b.tooltip ?? '');
    record.steps.push(step);
    const pressBack = () => {
      step.answer = 'Back';
      if (!back) {
        scriptErrors.push(`"${qi.title ?? ''}" has no Back button`);
        return qi.hide();
      }
      qi.button.fire(vscode.QuickInputButtons.Back);
    };
    if (qi.type === 'pick') {
      record.quickPickTitles.push(qi.title ?? qi.placeholder ?? '');
      step.items = qi.items.map(i => i.label);
      step.active = qi.activeItems[0]?.label;
      const answer = picks.shift();
      if (answer === undefined) {
        step.answer = 'Escape';
        return qi.hide();
      }
      if (answer === PRESS_BACK) return pressBack();
      const picked = await choose(answer, qi.items, () => qi.items);
      // Items replaced while the answer was chosen: the one with that label now.
      const chosen = picked && (qi.items.includes(picked) ? picked : qi.items.find(i => i.label === picked.label));
      if (!chosen) {
        scriptErrors.push(`quick pick "${qi.title ?? qi.placeholder ?? ''}" offers no "${String(answer)}" (offered: ${qi.items.map(labelOf).join(', ')})`);
        step.answer = 'Escape';
        return qi.hide();
      }
      step.answer = chosen.label;
      qi.activeItems = [chosen];
      qi.selectedItems = [chosen];
      qi.changeSelection.fire([chosen]);
      qi.accept.fire();
      return;
    }
    // An empty box has no default: the same as showInputBox without a value.
    const shown: InputPrompt = { prompt: qi.prompt, password: qi.password, title: qi.title, value: qi.value || undefined, placeHolder: qi.placeholder };
    step.value = qi.value;
    step.password = qi.password;
    // The box's validation is what it does when the value changes: re-run its listeners on other text later.
    const validators = [...qi.changeValue.listeners];
    shown.validate = async (text: string) => {
      const before = qi.validationMessage;
      for (const v of validators) await v(text);
      const said = readValidation(qi.validationMessage);
      qi.validationMessage = before;
      return said;
    };
    record.inputPrompts.push(shown);
    const answer = inputs.shift();
    if (answer === undefined) {
      step.answer = 'Escape';
      return qi.hide();
    }
    if (answer === PRESS_BACK) return pressBack();
    if (typeof answer === 'object' && 'typeThenBack' in answer) {
      qi.value = answer.typeThenBack;
      qi.changeValue.fire(answer.typeThenBack);
      return pressBack();
    }
    if (typeof answer === 'object') {
      const button = otherButtons.find(b => b.tooltip === answer.button);
      if (!button) {
        scriptErrors.push(`input box "${qi.title ?? ''}" has no button "${answer.button}"`);
        return qi.hide();
      }
      step.answer = answer.button;
      qi.button.fire(button);
      return;
    }
    step.answer = answer;
    qi.value = answer;
    qi.changeValue.fire(answer);
    await new Promise(r => setTimeout(r, 0));
    shown.validation = step.validation = readValidation(qi.validationMessage);
    if (shown.validation?.severity === 'error') {
      scriptErrors.push(`input box "${qi.prompt ?? qi.title ?? ''}" rejected the scripted value: ${shown.validation.message}`);
      return qi.hide();
    }
    qi.accept.fire();
  };
  const scripted = (type: 'pick' | 'input') => () =>
    new ScriptedQuickInput(type, qi => {
      answerQuickInput(qi).catch(e => scriptErrors.push(String(e)));
    });
  (window as { createQuickPick: unknown }).createQuickPick = scripted('pick');
  (window as { createInputBox: unknown }).createInputBox = scripted('input');

  const messageStub = (severity: ShownMessage['severity']) =>
    async (message: string, ...rest: unknown[]) => {
      const items = rest.filter(r => typeof r === 'string' || (r && typeof r === 'object' && 'title' in r));
      const shown = { severity, message, items: items.map(i => (typeof i === 'string' ? i : (i as vscode.MessageItem).title)) };
      record.messages.push(shown);
      const choice = script.messageChoice?.(shown);
      return choice === undefined ? undefined : items.find(i => (typeof i === 'string' ? i : (i as vscode.MessageItem).title) === choice);
    };
  (window as { showInformationMessage: unknown }).showInformationMessage = messageStub('info');
  (window as { showWarningMessage: unknown }).showWarningMessage = messageStub('warning');
  (window as { showErrorMessage: unknown }).showErrorMessage = messageStub('error');
  let result: T;
  try {
    result = await body(record);
  } finally {
    Object.assign(window, saved);
  }
  assert.deepEqual(scriptErrors, [], `the scripted UI could not be answered as written; steps: ${JSON.stringify(record.steps.map(s => [s.title, s.answer]))}`);
  return result;
}

/** Stores a key the way a user does: "Runwatch: Set API Key" → provider → password box. Returns what was shown. */
export async function setKey(id: ProviderId, key: string = SIM_KEYS[id]): Promise<UiRecord> {
  return withScriptedUi({ quickPicks: [DISPLAY_NAMES[id]], inputs: [key] }, async record => {
    await vscode.commands.executeCommand(commandId('Set API Key'));
    assert.ok(record.inputPrompts.some(p => p.password), 'Set API Key did not ask for the key in a password box');
    return record;
  });
}

/** Sets the simulator's key for every provider. */
export async function setAllKeys(): Promise<void> {
  for (const id of PROVIDER_IDS) await setKey(id);
}

/** "Runwatch: Clear API Key" for one provider (confirmations answered with their first button). */
export async function clearKey(id: ProviderId): Promise<UiRecord> {
  return withScriptedUi({ quickPicks: [DISPLAY_NAMES[id]], messageChoice: m => m.items[0] }, async record => {
    await vscode.commands.executeCommand(commandId('Clear API Key'));
    return record;
  });
}

// ---------------------------------------------------------------------------------------------------------
// What the user sees

export interface TreeNodeSnapshot {
  label: string;
  description?: string;
  contextValue?: string;
  id?: string;
  icon?: string;
  collapsible: boolean;
  children?: TreeNodeSnapshot[];
  /** What clicking the row runs ("Add workflow…", a link, a per-document error). */
  command?: { command: string; title: string; arguments?: unknown[] };
  /** The row's tooltip when it is plain text (run rows resolve theirs on hover: see tooltipOf). */
  tooltip?: string;
}

export interface SnapshotOptions {
  /** How many levels to expand below the roots (default 4: provider → account → run → stage). */
  depth?: number;
  /** Expand only nodes this returns true for (default: every collapsible node). */
  expand?: (node: TreeNodeSnapshot, path: string[]) => boolean;
}

function labelText(label: string | vscode.TreeItemLabel | undefined): string {
  if (label === undefined) return '';
  return typeof label === 'string' ? label : label.label;
}

/** Walks the tree as the view would (getChildren → getTreeItem) and returns plain rows. */
export async function treeSnapshot(options: SnapshotOptions = {}): Promise<TreeNodeSnapshot[]> {
  const treeDataProvider: vscode.TreeDataProvider<unknown> = (await runwatchApi()).tree as vscode.TreeDataProvider<unknown>;
  const depth = options.depth ?? 4;
  const walk = async (element: unknown, level: number, path: string[]): Promise<TreeNodeSnapshot[]> => {
    const children = (await treeDataProvider.getChildren(element as never)) ?? [];
    const rows: TreeNodeSnapshot[] = [];
    for (const child of children) {
      const item = await treeDataProvider.getTreeItem(child as never);
      const label = labelText(item.label) || (item.resourceUri ? item.resourceUri.path : '');
      const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
      const row: TreeNodeSnapshot = {
        label,
        description: typeof item.description === 'string' ? item.description : undefined,
        contextValue: item.contextValue,
        id: item.id,
        icon,
        collapsible: item.collapsibleState !== undefined && item.collapsibleState !== vscode.TreeItemCollapsibleState.None,
      };
      if (item.command) row.command = { command: item.command.command, title: item.command.title, arguments: item.command.arguments };
      if (typeof item.tooltip === 'string') row.tooltip = item.tooltip;
      const here = [...path, label];
      if (row.collapsible && level < depth && (!options.expand || options.expand(row, here))) {
        row.children = await walk(child, level + 1, here);
      }
      rows.push(row);
    }
    return rows;
  };
  return walk(undefined, 1, []);
}

/** Finds a row by its label path ("Boring Marketing", "acme.com"); undefined when absent. */
export function findNode(tree: TreeNodeSnapshot[], ...labels: Array<string | RegExp>): TreeNodeSnapshot | undefined {
  let level: TreeNodeSnapshot[] | undefined = tree;
  let found: TreeNodeSnapshot | undefined;
  for (const label of labels) {
    found = level?.find(n => (typeof label === 'string' ? n.label === label : label.test(n.label)));
    if (!found) return undefined;
    level = found.children;
  }
  return found;
}

/** The tree as indented text ("label — description [contextValue]"), for failure messages. */
export function formatTree(tree: TreeNodeSnapshot[], indent = ''): string {
  return tree
    .map(n => `${indent}${n.label}${n.description ? ` — ${n.description}` : ''}${n.contextValue ? ` [${n.contextValue}]` : ''}\n${n.children ? formatTree(n.children, `${indent}  `) : ''}`)
    .join('');
}

/** The Runwatch status bar item's text as shown (codicons like $(sync~spin) included); '' when hidden. */
export async function statusBarText(): Promise<string> {
  const { statusBar } = await runwatchApi();
  statusBar.update(); // skip the debounce: the test wants what the item shows once it catches up
  return statusBar.visible ? statusBar.text : '';
}

/** The status bar tooltip's Markdown source. */
export async function statusBarTooltip(): Promise<string> {
  const { statusBar } = await runwatchApi();
  statusBar.update();
  return statusBar.tooltip;
}

// ---------------------------------------------------------------------------------------------------------
// Flows the provider tests share: commands with scripted answers, runs, rows, menus, the log

/** Runs the contributed command with this title, its quick picks, input boxes and messages answered from `script`. */
export async function runCommand<T = unknown>(title: string, script: UiScript, ...args: unknown[]): Promise<{ result: T | undefined; ui: UiRecord }> {
  return withScriptedUi(script, async ui => ({ result: await vscode.commands.executeCommand<T>(commandId(title), ...args), ui }));
}

/**
 * Back to a Runwatch with no key, no tracked run and no added account: every key (and the secrets kept with
 * it) cleared through "Clear API Key", every run untracked, every account added by id forgotten, the window
 * counted as focused. Tests call it before and after themselves.
 */
export async function resetRunwatch(): Promise<void> {
  const api = await runwatchApi();
  const { service } = api;
  // The headless window's focus is not the test's to decide: count it as focused, so polling runs at its cadence.
  service.setFocused(true);
  for (const id of PROVIDER_IDS) {
    if (!api.hasKey(id) || service.provider(id).capabilities.addAccount !== 'byId') continue;
    const accounts = service.accounts(id) ?? (await service.refreshAccounts(id).catch(() => []));
    for (const account of accounts) await service.removeAccount(id, account.id);
  }
  for (const id of PROVIDER_IDS) if (api.hasKey(id)) await clearKey(id);
  for (const t of service.store.all()) service.untrack(t.key);
  assert.deepEqual(PROVIDER_IDS.filter(id => api.hasKey(id)), [], 'a key survived "Clear API Key"');
}

/** The row id of a run (`run:<provider>:<runId>`). */
export function runRowId(key: string): string {
  return `run:${key}`;
}

/** Finds a row anywhere in a snapshot by its id. */
export function findNodeById(tree: TreeNodeSnapshot[], id: string): TreeNodeSnapshot | undefined {
  for (const node of tree) {
    if (node.id === id) return node;
    const below = node.children && findNodeById(node.children, id);
    if (below) return below;
  }
  return undefined;
}

/** A run's row (with its children) as the tree shows it now; fails with the whole tree when absent. */
export async function runRow(key: string): Promise<TreeNodeSnapshot> {
  const tree = await treeSnapshot();
  const row = findNodeById(tree, runRowId(key));
  assert.ok(row, `no row for run ${key} in the tree:\n${formatTree(tree)}`);
  return row;
}

/** "Refresh Item" on a run's row: Runwatch polls the run now instead of at its next turn. */
export async function pollRun(key: string): Promise<void> {
  await vscode.commands.executeCommand('runwatch.refreshNode', key);
}

/**
 * Polls the run as "Refresh Item" does until `predicate` holds for Runwatch's view of it (the simulator's
 * clock was moved on, so the next answer differs). Returns the run as tracked.
 */
export async function waitForRun(key: string, predicate: (t: TrackedRun) => boolean, what: string, timeoutMs = 10_000): Promise<TrackedRun> {
  const { service } = await runwatchApi();
  return waitFor(
    async () => {
      await pollRun(key);
      const t = service.store.get(key);
      return t && predicate(t) ? t : undefined;
    },
    timeoutMs,
    what,
    150,
  );
}

/** The Markdown of a row's tooltip, resolved as VS Code does on hover. */
export async function tooltipOf(id: string): Promise<string> {
  const { tree } = await runwatchApi();
  const provider = tree as vscode.TreeDataProvider<unknown>;
  const search = async (element: unknown): Promise<string | undefined> => {
    for (const child of (await provider.getChildren(element as never)) ?? []) {
      const item = await provider.getTreeItem(child as never);
      if (item.id === id) {
        const resolved = (await provider.resolveTreeItem?.(item, child as never, new vscode.CancellationTokenSource().token)) ?? item;
        const tip = resolved.tooltip;
        return typeof tip === 'string' ? tip : (tip?.value ?? '');
      }
      if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None) {
        const found = await search(child);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  const found = await search(undefined);
  assert.ok(found !== undefined, `no row ${id} in the tree`);
  return found;
}

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}

/** Evaluates the `when` clauses Runwatch's row menus use: `view == …`, `viewItem == …`, `viewItem =~ /…/`. */
function menuWhen(when: string | undefined, contextValue: string): boolean {
  if (!when) return true;
  return when.split('&&').every(raw => {
    const clause = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^view == (\S+)$/.exec(clause))) return m[1] === 'runwatch.runs';
    if ((m = /^viewItem == (\S+)$/.exec(clause))) return m[1] === contextValue;
    if ((m = /^viewItem =~ \/(.*)\/([a-z]*)$/.exec(clause))) return new RegExp(m[1], m[2]).test(contextValue);
    throw new Error(`rowActions cannot evaluate the when clause "${clause}"`);
  });
}

/**
 * The commands VS Code offers on a Runs row with this contextValue, from package.json's view/item/context
 * menus: `inline` = the buttons on the row itself, `context` = its right-click menu.
 */
export function rowActions(contextValue: string, where: 'inline' | 'context'): string[] {
  const entries = (extension().packageJSON?.contributes?.menus?.['view/item/context'] ?? []) as MenuEntry[];
  return entries
    .filter(e => (where === 'inline' ? e.group?.startsWith('inline') : !e.group?.startsWith('inline')))
    .filter(e => menuWhen(e.when, contextValue))
    .map(e => e.command);
}

/** The text of the "Runwatch" log channel, as "Runwatch: Show Log" shows it. */
export async function runwatchLogText(): Promise<string> {
  await vscode.commands.executeCommand('runwatch.showLog');
  const doc = await waitFor(
    () => vscode.workspace.textDocuments.find(d => d.uri.scheme === 'output' && /Runwatch/i.test(d.uri.path)),
    5_000,
    'the Runwatch log channel to be open',
  );
  return doc.getText();
}

/** The document Runwatch opened last (Show Error, Show Result, Create Data Product), with its editor state. */
export async function lastDocument(kind: 'error' | 'result' | 'dataProduct'): Promise<{ content: string; document: vscode.TextDocument }> {
  const { documents } = await runwatchApi();
  const last = documents.last;
  assert.ok(last, 'Runwatch opened no document');
  assert.equal(last.kind, kind, `the last document Runwatch opened is a ${last.kind} document, not ${kind}`);
  const document = vscode.workspace.textDocuments.find(d => d.uri.toString() === last.uri);
  assert.ok(document, `the ${kind} document ${last.uri} is not open in VS Code`);
  return { content: document.getText(), document };
}
