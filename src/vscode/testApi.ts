// The API activate() returns in ExtensionMode.Test only (src/vscode/api.ts says what it holds). What the tests
// read that production keeps no record of (notifications shown, documents opened, task terminals' text, chat
// tool confirmations) is recorded here, from the pieces' events, and only here.
//
// Why ExtensionMode.Test reaches the Runwatch under test: VS Code gives an extension that mode only when it is
// the one under development (--extensionDevelopmentPath) in a host started with --extensionTestsPath.
// scripts/runTest.js installs the packaged .vsix and passes the folder it was installed to as the development
// path, so the tested Runwatch is both the .vsix's content and in Test mode; the UI smoke test and users run an
// installed Runwatch in Production mode and get nothing.
import type * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import type { ProviderId } from '../core/run';
import type { NotifierApi, OpenedDocument, RunwatchApi, TaskTranscript } from './api';
import type { RunDocuments } from './documents';
import type { PreparedRecord, RunwatchLmTools } from './lmTools';
import type { Notifier, ShownNotification } from './notifications';
import type { RunStatusBar } from './statusBar';
import type { RunTaskProvider } from './tasks';
import type { RunwatchNode } from './tree/node';
import type { RunTreeProvider } from './tree/runTreeProvider';
import type { WalkthroughStep } from './walkthrough';

/** The pieces of one composition the tests read. */
export interface TestablePieces {
  readonly service: RunwatchService;
  readonly tree: RunTreeProvider;
  readonly view: vscode.TreeView<RunwatchNode>;
  readonly statusBar: RunStatusBar;
  readonly notifier: Notifier;
  readonly documents: RunDocuments;
  readonly tasks: RunTaskProvider;
  readonly chatTools: { readonly registered: boolean; readonly tools: RunwatchLmTools };
  hasKey(id: ProviderId): boolean;
  walkthroughDone(step: WalkthroughStep): boolean;
  readonly activationMs: number;
}

export type ReloadOptions = Parameters<RunwatchApi['reloadForTests']>[0];

/** How many of each record are kept: enough for any one test. */
const KEEP = 50;

function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEEP) list.shift();
}

/** Records one composition's events from the moment it is built; its subscriptions end with the pieces. */
class Recorder {
  readonly shown: ShownNotification[] = [];
  readonly opened: OpenedDocument[] = [];
  readonly transcripts: TaskTranscript[] = [];
  readonly prepared: PreparedRecord[] = [];

  constructor(pieces: TestablePieces) {
    pieces.notifier.onDidShow(n => keep(this.shown, n));
    pieces.documents.onDidOpenDocument(({ kind, key, document }) => keep(this.opened, { kind, key, uri: document.uri.toString(), content: document.getText() }));
    pieces.chatTools.tools.onDidPrepare(p => keep(this.prepared, p));
    const byTerminal = new Map<number, TaskTranscript>();
    pieces.tasks.onDidChangeTerminal(event => {
      if ('opened' in event) {
        const transcript: TaskTranscript = { ...event.opened, lines: [] };
        byTerminal.set(event.terminal, transcript);
        keep(this.transcripts, transcript);
        return;
      }
      const transcript = byTerminal.get(event.terminal);
      if (!transcript) return;
      if ('line' in event) transcript.lines.push(event.line);
      else if ('runKey' in event) transcript.runKey = event.runKey;
      else {
        transcript.exitCode = event.exitCode;
        byTerminal.delete(event.terminal);
      }
    });
  }
}

/**
 * The test API over whichever composition is live: `live()` gives its pieces (undefined while reloading), `reload`
 * disposes it, runs `whileClosed` and builds the next, returning its pieces.
 */
export function createTestApi(options: {
  sharedDir: string;
  live(): TestablePieces | undefined;
  reload(options: ReloadOptions): Promise<TestablePieces>;
}): RunwatchApi {
  let recorded = { pieces: options.live(), recorder: undefined as Recorder | undefined };
  if (recorded.pieces) recorded.recorder = new Recorder(recorded.pieces);
  let reloading: Promise<void> | undefined;

  const live = (): { pieces: TestablePieces; recorder: Recorder } => {
    const pieces = options.live();
    if (!pieces || !recorded.recorder || recorded.pieces !== pieces) throw new Error('Runwatch is not active (reloading or deactivated)');
    return { pieces, recorder: recorded.recorder };
  };
  const statusBar = () => live().pieces.statusBar;
  const notifier: NotifierApi = {
    get shown() {
      return live().recorder.shown;
    },
    get last() {
      const { shown } = live().recorder;
      return shown[shown.length - 1];
    },
    flush: () => live().pieces.notifier.flush(),
  };

  return {
    get service() {
      return live().pieces.service;
    },
    get tree() {
      return live().pieces.tree;
    },
    get treeView() {
      return live().pieces.view;
    },
    statusBar: {
      get visible() {
        return statusBar().state.visible;
      },
      get text() {
        return statusBar().state.text;
      },
      get tooltip() {
        return statusBar().state.tooltip;
      },
      get accessibilityLabel() {
        return statusBar().state.accessibilityLabel;
      },
      get backgroundColor() {
        return statusBar().state.backgroundColor;
      },
      get command() {
        return statusBar().state.command;
      },
      update: () => statusBar().update(),
    },
    notifier,
    documents: {
      get opened() {
        return live().recorder.opened;
      },
      get last() {
        const { opened } = live().recorder;
        return opened[opened.length - 1];
      },
    },
    tasks: {
      get transcripts() {
        return live().recorder.transcripts;
      },
    },
    chatTools: {
      get registered() {
        return live().pieces.chatTools.registered;
      },
      get prepared() {
        return live().recorder.prepared;
      },
      get tools() {
        return live().pieces.chatTools.tools.tools;
      },
    },
    hasKey: id => live().pieces.hasKey(id),
    walkthroughDone: step => live().pieces.walkthroughDone(step),
    // The same folder for every composition: readable while reloading too.
    sharedDir: options.sharedDir,
    get activationMs() {
      return live().pieces.activationMs;
    },
    async reloadForTests(reloadOptions = {}) {
      if (reloading) throw new Error('Runwatch is already reloading');
      reloading = (async () => {
        recorded = { pieces: undefined, recorder: undefined };
        const pieces = await options.reload(reloadOptions);
        recorded = { pieces, recorder: new Recorder(pieces) };
      })();
      try {
        await reloading;
      } finally {
        reloading = undefined;
      }
    },
  };
}
