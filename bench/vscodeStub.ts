// A stand-in for the `vscode` module, enough for Runwatch's activate() to run in plain Node (npm run
// bench:startup): events, tree items, a tree view, status bar, log channel, commands, settings (each setting's
// default, or a value given), secrets and mementos in memory. Anything not written out here answers every
// property and call with another stand-in, so a new API use costs no crash; the figure then leaves that part out.
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

type Listener<T> = (e: T) => unknown;

class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class Disposable {
  constructor(private readonly callOnDispose: () => unknown) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach(i => i.dispose()));
  }
  dispose(): void {
    this.callOnDispose();
  }
}

class TreeItem {
  [key: string]: unknown;
  constructor(
    public label: unknown,
    public collapsibleState = 0,
  ) {}
}

class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: unknown,
  ) {}
}

class ThemeColor {
  constructor(readonly id: string) {}
}

class MarkdownString {
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  constructor(public value = '') {}
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
    return this;
  }
  appendCodeblock(code: string): this {
    this.value += `\n\`\`\`\n${code}\n\`\`\`\n`;
    return this;
  }
}

class Uri {
  constructor(
    readonly scheme: string,
    readonly path: string,
    readonly query = '',
    readonly fragment = '',
    readonly authority = '',
  ) {}
  get fsPath(): string {
    return this.path;
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(value: string): Uri {
    const u = new URL(value);
    return new Uri(u.protocol.replace(/:$/, ''), u.pathname, u.search.replace(/^\?/, ''), u.hash.replace(/^#/, ''), u.host);
  }
  static from(parts: { scheme: string; path?: string; query?: string; fragment?: string; authority?: string }): Uri {
    return new Uri(parts.scheme, parts.path ?? '', parts.query, parts.fragment, parts.authority);
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, path.posix.join(base.path, ...segments));
  }
  with(change: Partial<{ scheme: string; path: string; query: string; fragment: string }>): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path, change.query ?? this.query, change.fragment ?? this.fragment, this.authority);
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}${this.query ? `?${this.query}` : ''}`;
  }
}

/** Answers any property and any call with another stand-in; never a thenable (await must not hang). */
function anything(): unknown {
  const target = function () {};
  return new Proxy(target, {
    get: (_t, prop) => (prop === 'then' ? undefined : prop === Symbol.toPrimitive ? () => '' : anything()),
    apply: () => anything(),
    construct: () => anything() as object,
  });
}

function event<T>() {
  return new EventEmitter<T>().event;
}

export function createVscodeStub(settings: Record<string, unknown> = {}): Record<string, unknown> {
  const api: Record<string, unknown> = {
    version: '1.96.0',
    EventEmitter,
    Disposable,
    TreeItem,
    ThemeIcon,
    ThemeColor,
    MarkdownString,
    Uri,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    InputBoxValidationSeverity: { Info: 1, Warning: 2, Error: 3 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    UIKind: { Desktop: 1, Web: 2 },
    ExtensionMode: { Production: 1, Development: 2, Test: 3 },
    LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
    env: { language: 'en', uiKind: 1, appHost: 'desktop', remoteName: undefined, clipboard: { writeText: async () => undefined }, openExternal: async () => true },
    window: {
      state: { focused: true, active: true },
      onDidChangeWindowState: event(),
      createOutputChannel: () => {
        const line = () => undefined;
        return { name: 'Runwatch', logLevel: 3, onDidChangeLogLevel: event(), trace: line, debug: line, info: line, warn: line, error: line, append: line, appendLine: line, replace: line, clear: line, show: line, hide: line, dispose: line };
      },
      createTreeView: () => ({
        visible: true,
        badge: undefined,
        message: undefined,
        description: undefined,
        selection: [],
        onDidChangeVisibility: event(),
        onDidExpandElement: event(),
        onDidCollapseElement: event(),
        onDidChangeSelection: event(),
        onDidChangeCheckboxState: event(),
        reveal: async () => undefined,
        dispose: () => undefined,
      }),
      createStatusBarItem: () => ({ text: '', tooltip: undefined, command: undefined, show: () => undefined, hide: () => undefined, dispose: () => undefined }),
      showInformationMessage: async () => undefined,
      showWarningMessage: async () => undefined,
      showErrorMessage: async () => undefined,
      showQuickPick: async () => undefined,
      showInputBox: async () => undefined,
      setStatusBarMessage: () => ({ dispose: () => undefined }),
      withProgress: (_o: unknown, task: (p: unknown, t: unknown) => unknown) => task({ report: () => undefined }, { isCancellationRequested: false, onCancellationRequested: event() }),
      showTextDocument: async () => undefined,
    },
    commands: { registerCommand: () => ({ dispose: () => undefined }), executeCommand: async () => undefined },
    workspace: {
      getConfiguration: (section?: string) => ({
        get: (key: string, fallback?: unknown) => {
          const full = section ? `${section}.${key}` : key;
          return full in settings ? settings[full] : fallback;
        },
        has: (key: string) => (section ? `${section}.${key}` : key) in settings,
        // Given values are user (global) settings: Runwatch reads its application-scoped ones from there only.
        inspect: (key: string) => {
          const full = section ? `${section}.${key}` : key;
          return full in settings ? { key: full, globalValue: settings[full] } : undefined;
        },
        update: async () => undefined,
      }),
      onDidChangeConfiguration: event(),
      onDidCloseTextDocument: event(),
      registerTextDocumentContentProvider: () => ({ dispose: () => undefined }),
      openTextDocument: async () => anything(),
      workspaceFolders: undefined,
      isTrusted: true,
    },
    extensions: { getExtension: () => undefined },
    // English: no bundle, and t() fills {0}-style placeholders as VS Code's does.
    l10n: {
      bundle: undefined,
      uri: undefined,
      t: (message: string | { message: string }, ...args: unknown[]) => {
        const text = typeof message === 'string' ? message : message.message;
        const values = args.length === 1 && args[0] && typeof args[0] === 'object' ? (args[0] as Record<string, unknown>) : args;
        return text.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String((values as Record<string, unknown>)[key]) : whole));
      },
    },
    tasks: { registerTaskProvider: () => new Disposable(() => undefined), onDidEndTaskProcess: event(), onDidStartTaskProcess: event() },
  };
  return new Proxy(api, { get: (t, prop: string) => (prop in t ? t[prop] : prop === 'then' ? undefined : anything()) });
}

class Memento {
  private readonly data = new Map<string, unknown>();
  get<T>(key: string, fallback?: T): T | undefined {
    return this.data.has(key) ? (this.data.get(key) as T) : fallback;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
  keys(): string[] {
    return [...this.data.keys()];
  }
  setKeysForSync(): void {}
}

/**
 * An ExtensionContext for the bundle in `extensionDir`; secrets from `secrets`. `storageDir` is the global storage
 * folder (where the launcher keeps its code cache); a new temporary one if absent.
 */
export function createContext(extensionDir: string, secrets: Record<string, string> = {}, globalState: Record<string, unknown> = {}, storageDir?: string): Record<string, unknown> {
  const storage = storageDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-startup-'));
  const state = new Memento();
  for (const [k, v] of Object.entries(globalState)) void state.update(k, v);
  const stored = new Map(Object.entries(secrets));
  const packageJSON = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8'));
  return {
    subscriptions: [],
    globalState: state,
    workspaceState: new Memento(),
    secrets: {
      get: async (name: string) => stored.get(name),
      store: async (name: string, value: string) => void stored.set(name, value),
      delete: async (name: string) => void stored.delete(name),
      onDidChange: event(),
    },
    extensionUri: Uri.file(extensionDir),
    extensionPath: extensionDir,
    globalStorageUri: Uri.file(storage),
    storageUri: undefined,
    logUri: Uri.file(storage),
    // Test (3): activate() returns its test API only then, and npm run bench:startup calls the service through it.
    extensionMode: 3,
    extension: { id: 'runwatch.runwatch', packageJSON, extensionUri: Uri.file(extensionDir) },
    asAbsolutePath: (p: string) => path.join(extensionDir, p),
    environmentVariableCollection: anything(),
    storagePath: undefined,
    globalStoragePath: storage,
    logPath: storage,
  };
}
