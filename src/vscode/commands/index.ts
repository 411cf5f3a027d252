// Every command Runwatch registers, one file each.
import type * as vscode from 'vscode';
import { registerAddAccount } from './addAccount';
import { registerCancelAndRerun } from './cancelAndRerun';
import { registerCancelRun } from './cancelRun';
import { registerClearApiKey } from './clearApiKey';
import type { CommandContext } from './context';
import { registerCopyRunId } from './copyRunId';
import { registerCreateDataProduct } from './createDataProduct';
import { registerLoadMore } from './loadMore';
import { registerOpenInDashboard } from './openInDashboard';
import { registerOpenLink } from './openLink';
import { registerRefresh } from './refresh';
import { registerRefreshNode } from './refreshNode';
import { registerRemoveAccount } from './removeAccount';
import { registerRerun } from './rerun';
import { registerSetApiKey } from './setApiKey';
import { registerShowActiveRuns } from './showActiveRuns';
import { registerShowError } from './showError';
import { registerShowLog } from './showLog';
import { registerShowResult } from './showResult';
import { registerStartRun } from './startRun';
import { registerTrackRun } from './trackRun';
import { registerUntrackRun } from './untrackRun';

export type { CommandContext } from './context';

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerSetApiKey,
    registerClearApiKey,
    registerStartRun,
    registerCancelRun,
    registerRerun,
    registerCancelAndRerun,
    registerTrackRun,
    registerUntrackRun,
    registerShowError,
    registerShowResult,
    registerOpenLink,
    registerCopyRunId,
    registerOpenInDashboard,
    registerRefresh,
    registerRefreshNode,
    registerAddAccount,
    registerRemoveAccount,
    registerLoadMore,
    registerCreateDataProduct,
    registerShowLog,
    registerShowActiveRuns,
  ].map(register => register(ctx));
}
