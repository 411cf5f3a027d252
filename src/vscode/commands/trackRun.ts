// "Track Run by ID": follow a run started elsewhere (a script, the dashboard, another machine).
import * as vscode from 'vscode';
import { accountOf, providerOf } from './args';
import { registerCommand, withProvider, type CommandContext } from './context';
import { pickAccount, pickProvider } from './pickers';

export function registerTrackRun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.trackRun',
    'track the run',
    async (arg?: unknown, runIdArg?: unknown) => {
      const fromAccount = accountOf(arg);
      const provider = fromAccount?.provider ?? providerOf(arg) ?? (await pickProvider(ctx, { title: 'Track Run by ID', keyed: true }));
      if (!provider) return undefined;
      try {
        const account = fromAccount?.account ?? (await pickAccount(ctx, provider, { title: 'Track Run by ID', allowTyped: true }));
        if (!account) return undefined;
        const runId =
          typeof runIdArg === 'string'
            ? runIdArg
            : await vscode.window.showInputBox({
                title: `Track Run by ID on ${account.label}`,
                prompt: `${ctx.service.displayName(provider)} run id`,
                ignoreFocusOut: true,
                validateInput: v => (v.trim() ? undefined : 'Enter the run id'),
              });
        if (!runId?.trim()) return undefined;
        const run = await ctx.service.trackRun(provider, account.id, runId.trim());
        ctx.log.info(`Tracking ${ctx.service.displayName(provider)} run ${run.id}`);
        await ctx.tree.reveal(`${run.provider}:${run.id}`, { expand: true });
        return run;
      } catch (e) {
        throw withProvider(e, provider);
      }
    },
    providerOf,
  );
}
