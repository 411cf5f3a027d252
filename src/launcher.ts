// What VS Code loads (dist/extension.js, the package's "main"): it runs Runwatch itself (dist/runwatch.js, built
// from src/extension.ts) through V8's code cache kept in the extension's global storage folder (codeCache.ts),
// so a start after the first does not compile the bundle again, and hands activate() and deactivate() over.
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { requireWithCodeCache, type LaunchFigures } from './codeCache';
import type * as Runwatch from './extension';

/** The cache is written this long after a start that had none: by then it holds what the start compiled. */
const SAVE_CACHE_AFTER_MS = 10_000;

let runwatch: typeof Runwatch | undefined;
let saveCache: (() => Promise<string | undefined>) | undefined;

export function activate(context: vscode.ExtensionContext): ReturnType<typeof Runwatch.activate> {
  const launch: LaunchFigures = { activateStart: performance.now() };
  (globalThis as { __runwatchLaunch?: LaunchFigures }).__runwatchLaunch = launch;
  // A remote or virtual global storage has no path for node:fs: no cache there, a plain compile.
  const cacheDir = context.globalStorageUri.scheme === 'file' ? path.join(context.globalStorageUri.fsPath, 'code-cache') : undefined;
  const loaded = requireWithCodeCache<typeof Runwatch>(path.join(__dirname, 'runwatch.js'), require, cacheDir);
  launch.codeCache = loaded.codeCache;
  launch.compileMs = loaded.compileMs;
  runwatch = loaded.exports;
  saveCache = loaded.saveCache;
  const timer = setTimeout(() => void loaded.saveCache(), SAVE_CACHE_AFTER_MS);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  return runwatch.activate(context);
}

export async function deactivate(): Promise<void> {
  // A window closed within the first seconds still leaves a cache for the next start.
  await Promise.all([runwatch?.deactivate(), saveCache?.()]);
}
