// Helpers for extension tests that run inside the real VS Code extension host: the simulator in-process,
// settings pointed at it, keys stored through the real command (and so the real SecretStorage), polling
// waits, and snapshots of what the tree and the status bar show.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { PROVIDER_IDS, type ProviderId } from '../../src/core/run';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import type { SimulatorOptions } from '../simulator/server';
import type { RunwatchApi } from '../../src/vscode/api';

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

export interface UiScript {
  /** Answers for showQuickPick, in order: a label to pick (or a function choosing from the offered items). */
  quickPicks?: Array<string | ((items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined)>;
  /** Answers for showInputBox, in order (undefined = the user pressed Escape). */
  inputs?: Array<string | undefined>;
  /** Which button to press on a message that offers buttons (by title); default: dismiss. */
  messageChoice?: (message: ShownMessage) => string | undefined;
}

export interface UiRecord {
  messages: ShownMessage[];
  quickPickTitles: string[];
  inputPrompts: Array<{ prompt?: string; password?: boolean; title?: string }>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Runs `body` with vscode.window's quick picks, input boxes and messages answered from `script` and recorded.
 * The extension shares this `vscode` object with the tests (same extension), so it sees the stubs.
 */
export async function withScriptedUi<T>(script: UiScript, body: (record: UiRecord) => Promise<T>): Promise<T> {
  const window = vscode.window as Mutable<typeof vscode.window>;
  const saved = {
    showQuickPick: window.showQuickPick,
    showInputBox: window.showInputBox,
    showInformationMessage: window.showInformationMessage,
    showWarningMessage: window.showWarningMessage,
    showErrorMessage: window.showErrorMessage,
  };
  const picks = [...(script.quickPicks ?? [])];
  const inputs = [...(script.inputs ?? [])];
  const record: UiRecord = { messages: [], quickPickTitles: [], inputPrompts: [] };
  const labelOf = (item: unknown): string => (typeof item === 'string' ? item : (item as vscode.QuickPickItem).label);

  (window as { showQuickPick: unknown }).showQuickPick = async (items: unknown, options?: vscode.QuickPickOptions) => {
    const resolved = (await items) as readonly (string | vscode.QuickPickItem)[];
    record.quickPickTitles.push(options?.title ?? options?.placeHolder ?? '');
    const answer = picks.shift();
    if (answer === undefined) return undefined;
    const asItems = resolved.map(i => (typeof i === 'string' ? { label: i } : i));
    const chosen =
      typeof answer === 'function'
        ? answer(asItems)
        : asItems.find(i => i.label === answer) ?? asItems.find(i => i.label.replace(/\$\([^)]*\)\s*/g, '').trim() === answer);
    assert.ok(chosen, `quick pick "${options?.title ?? options?.placeHolder ?? ''}" offers no "${String(answer)}" (offered: ${asItems.map(labelOf).join(', ')})`);
    const index = asItems.indexOf(chosen);
    return index >= 0 ? resolved[index] : chosen;
  };
  (window as { showInputBox: unknown }).showInputBox = async (options?: vscode.InputBoxOptions) => {
    record.inputPrompts.push({ prompt: options?.prompt, password: options?.password, title: options?.title });
    const value = inputs.shift();
    if (value !== undefined && options?.validateInput) {
      const problem = await options.validateInput(value);
      const text = typeof problem === 'string' ? problem : problem?.message;
      if (text && (typeof problem === 'string' || problem?.severity === vscode.InputBoxValidationSeverity.Error)) {
        throw new Error(`input box "${options.prompt ?? options.title ?? ''}" rejected the scripted value: ${text}`);
      }
    }
    return value;
  };
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
  try {
    return await body(record);
  } finally {
    Object.assign(window, saved);
  }
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
