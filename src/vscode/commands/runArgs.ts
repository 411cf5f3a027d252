// Resolving "which run" for run commands: the row's run, a key, or a pick from the palette.
import * as l10n from '@vscode/l10n';
import type { TrackedRun } from '../../core/store';
import { runKeyOf } from './args';
import type { CommandContext } from './context';
import { pickRun } from './pickers';

export async function resolveRun(
  ctx: CommandContext,
  arg: unknown,
  pick: { title: string; filter: (t: TrackedRun) => boolean; empty: string },
): Promise<TrackedRun | undefined> {
  const key = runKeyOf(arg, ctx.service.providers) ?? (arg === undefined ? await pickRun(ctx, pick) : undefined);
  if (!key) return undefined;
  const tracked = ctx.service.store.get(key);
  if (!tracked) throw new Error(l10n.t('Runwatch is not tracking that run any more'));
  return tracked;
}
