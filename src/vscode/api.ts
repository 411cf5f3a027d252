// What `activate()` returns to the extension tests, and only to them (ExtensionMode.Test, see testApi.ts): the
// live pieces, so they can read the tree, the status bar, notifications and documents through the real VS Code
// API plus this object. Other extensions get nothing: Runwatch has no public API.
import type * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import type { ProviderId } from '../core/run';
import type { DocumentKind } from './documents';
import type { PreparedRecord, ToolName } from './lmTools';
import type { ShownNotification } from './notifications';
import type { RunwatchNode } from './tree/node';
import type { RunTreeProvider } from './tree/runTreeProvider';

export interface StatusBarApi {
  readonly visible: boolean;
  /** As shown, codicons included: `$(sync~spin) acme.com · evidence_collection 4/6`; '' when hidden. */
  readonly text: string;
  /** Markdown source of the tooltip. */
  readonly tooltip: string;
  /** What a screen reader says for the item. */
  readonly accessibilityLabel: string;
  /** `statusBarItem.errorBackground` while a failure is unseen, else undefined. */
  readonly backgroundColor: string | undefined;
  readonly command: string;
  /** Recomputes now instead of after the short debounce. */
  update(): void;
}

export interface NotifierApi {
  /** Every notification shown, oldest first (quiet ones went to the status bar only). */
  readonly shown: readonly ShownNotification[];
  readonly last: ShownNotification | undefined;
  /** Shows whatever is waiting in the batch window now. */
  flush(): void;
}

export interface OpenedDocument {
  kind: DocumentKind;
  key: string;
  uri: string;
  /** The text as opened. */
  content: string;
}

/** What one task terminal wrote and how it ended (a terminal's text cannot be read back). */
export interface TaskTranscript {
  readonly name: string;
  readonly definition: vscode.TaskDefinition;
  /** Every line written, without its time prefix. */
  readonly lines: string[];
  /** The run the task started or follows (`provider:runId`), once known. */
  runKey?: string;
  exitCode?: number;
}

export interface DocumentsApi {
  /** Documents opened by Show Error / Show Result / Create Data Product, oldest first. */
  readonly opened: readonly OpenedDocument[];
  readonly last: OpenedDocument | undefined;
}

export interface TasksApi {
  /** What each run task's terminal wrote and its exit code, oldest first (a terminal's text cannot be read back). */
  readonly transcripts: readonly TaskTranscript[];
}

export interface ChatToolsApi {
  /** Whether this VS Code has vscode.lm.registerTool, so the tools were registered. */
  readonly registered: boolean;
  /** What prepareInvocation answered, oldest first: the confirmation VS Code asked the user for. */
  readonly prepared: readonly PreparedRecord[];
  /** The tools' implementations, for a VS Code without vscode.lm.invokeTool. */
  readonly tools: Readonly<Record<ToolName, vscode.LanguageModelTool<Record<string, unknown>>>>;
}

export interface RunwatchApi {
  readonly service: RunwatchService;
  /** The Runs view's TreeDataProvider (getChildren / getTreeItem / resolveTreeItem, plus reveal and stats). */
  readonly tree: RunTreeProvider;
  readonly treeView: vscode.TreeView<RunwatchNode>;
  readonly statusBar: StatusBarApi;
  readonly notifier: NotifierApi;
  readonly documents: DocumentsApi;
  readonly tasks: TasksApi;
  readonly chatTools: ChatToolsApi;
  /** Which providers have a key (kept in sync with SecretStorage, across windows). */
  hasKey(id: ProviderId): boolean;
  /** Whether the walkthrough step's real event happened in this session (its context key is set). */
  walkthroughDone(step: import('./walkthrough').WalkthroughStep): boolean;
  /** The folder the windows share their lease and state through (globalStorageUri), for two-window tests. */
  readonly sharedDir: string;
  /** How long activate() took, ms. */
  readonly activationMs: number;
  /**
   * For extension tests: what a window reload does to Runwatch, inside one extension host. Disposes
   * everything (the store's last state is flushed to globalState), runs `whileClosed` (say, finish runs in
   * a simulator, or leave globalState as a downgrade or a hand edit would), then activates again with the
   * same ExtensionContext. This object stays valid and reads the new composition; references taken from it
   * before (service, tree, …) belong to the old one.
   */
  reloadForTests(options?: { whileClosed?: (globalState: vscode.Memento) => unknown; listRefreshMs?: number }): Promise<void>;
}
