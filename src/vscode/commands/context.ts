// What every command may use, and the one way commands are registered: errors shown, never thrown at VS Code.
import * as vscode from 'vscode';
import type { RunwatchService } from '../../core/contracts';
import { isWaitCancelled } from '../../core/gate';
import { runLabel, runTitle } from '../../core/labels';
import type { ProviderId, Run } from '../../core/run';
import type { KnownProviders } from './args';
import type { RunDocuments } from '../documents';
import { reportError } from '../errors';
import type { SecretKeyVault } from '../secrets';
import type { StartPresets } from '../startPresets';
import type { RunStatusBar } from '../statusBar';
import type { RunTreeProvider } from '../tree/runTreeProvider';

export interface CommandContext {
  readonly service: RunwatchService;
  readonly vault: SecretKeyVault;
  readonly tree: RunTreeProvider;
  readonly statusBar: RunStatusBar;
  readonly documents: RunDocuments;
  readonly log: vscode.LogOutputChannel;
  /** The values last used to start each kind on each account, offered as Start Run's defaults. */
  readonly presets: StartPresets;
  /** The walkthrough's "set a key" step completes when a key check passes. */
  readonly walkthrough?: { keyWorks(): void };
  accountLabel(run: Pick<Run, 'provider' | 'accountId'>): string;
}

/**
 * Registers a command whose failures become a message (with "Set API Key" for auth errors) instead of an
 * unhandled rejection. `action` reads as "Runwatch could not <action>".
 */
export function registerCommand(
  ctx: CommandContext,
  id: string,
  action: string,
  handler: (...args: unknown[]) => Promise<unknown> | unknown,
  providerOf?: (arg: unknown, providers: KnownProviders) => ProviderId | undefined,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      // Every request a command causes is the user's: inside a Retry-After window it waits visibly and can be cancelled.
      return await ctx.service.asUserAction(() => handler(...args));
    } catch (e) {
      if (isWaitCancelled(e)) {
        ctx.log.info(`Runwatch did not ${action}: the wait for a rate limit was cancelled, nothing was sent.`);
        return undefined;
      }
      let provider: ProviderId | undefined;
      try {
        provider = providerOf?.(args[0], ctx.service.providers);
      } catch {
        provider = undefined;
      }
      await reportError(e, { log: ctx.log, action, provider: provider ?? providerFromError(e) });
      return undefined;
    }
  });
}

/** A run in a sentence: `Analyze on Acme`, or just `Daily digest` where the kind is the account. */
export function runTitleOf(ctx: CommandContext, run: Pick<Run, 'provider' | 'accountId' | 'kind'>): string {
  return runTitle(run, ctx.accountLabel(run), kind => ctx.service.provider(run.provider).kindLabel?.(kind));
}

/** Which run, as its tree row names it: `Analyze #4f9c21`, `Run #4f9c21`. */
export function runLabelOf(ctx: CommandContext, run: Pick<Run, 'provider' | 'accountId' | 'kind' | 'id'>): string {
  return runLabel(run, ctx.accountLabel(run), kind => ctx.service.provider(run.provider).kindLabel?.(kind));
}

/** Commands that fail inside a flow attach the provider they were talking to. */
export function withProvider(error: unknown, provider: ProviderId): unknown {
  if (error && typeof error === 'object') (error as { runwatchProvider?: ProviderId }).runwatchProvider = provider;
  return error;
}

function providerFromError(e: unknown): ProviderId | undefined {
  return e && typeof e === 'object' ? (e as { runwatchProvider?: ProviderId }).runwatchProvider : undefined;
}
