// What can be done to a run, decided in one place for the tree's menus, the stuck row and the notifications:
// an action is offered only where it can work. Pure (no `vscode`).
import type { RunwatchService } from '../core/contracts';
import { isActive, isTerminal, type Run } from '../core/run';
import type { TrackedRun } from '../core/store';
import type { Provider, ProviderCapabilities } from '../core/ports';

/**
 * What the UI asks of a provider's adapter while it draws, read from one adapter once: the tree keeps these per
 * provider, so a render never asks the service for an adapter (which builds a new one after a settings change).
 * The per-run questions never throw: a broken answer counts as "no".
 */
export interface AdapterCapabilities {
  readonly capabilities: ProviderCapabilities;
  /** The provider can cancel runs and the adapter implements it. */
  readonly cancel: boolean;
  dashboardUrl(run: Run): string | undefined;
  rerunsWithoutInput(run: Run): boolean;
  kindLabel(kind: string): string | undefined;
}

export function adapterCapabilities(adapter: Provider): AdapterCapabilities {
  const safely = <T>(ask: () => T, fallback: T): T => {
    try {
      return ask();
    } catch {
      return fallback;
    }
  };
  return {
    capabilities: adapter.capabilities,
    cancel: adapter.capabilities.cancel && !!adapter.cancelRun,
    dashboardUrl: run => safely(() => adapter.dashboardUrl?.(run), undefined),
    rerunsWithoutInput: run => safely(() => !!adapter.rerunsWithoutInput?.(run), false),
    kindLabel: kind => adapter.kindLabel?.(kind),
  };
}

export interface RunActions {
  /** The provider can cancel and the run is still going. */
  cancel: boolean;
  /** Re-run could repeat it: the inputs are recorded, or its kind takes none (whatever its status). */
  inputsKnown: boolean;
  /** Re-run is offered: the run has finished and its inputs are known. */
  rerun: boolean;
  /** "Cancel and Re-run" is offered: a stuck run the provider can cancel and Runwatch can start again. */
  cancelAndRerun: boolean;
}

export function runActions(service: Pick<RunwatchService, 'provider'>, t: TrackedRun): RunActions {
  return runActionsWith(adapterCapabilities(service.provider(t.run.provider)), t);
}

/** runActions() with the adapter's capabilities already at hand (the tree's). */
export function runActionsWith(adapter: AdapterCapabilities, t: TrackedRun): RunActions {
  const cancel = adapter.cancel && isActive(t.run.status) && !t.gone;
  const inputsKnown = !t.gone && (t.run.input !== undefined || adapter.rerunsWithoutInput(t.run));
  return {
    cancel,
    inputsKnown,
    rerun: inputsKnown && isTerminal(t.run.status),
    cancelAndRerun: cancel && inputsKnown && t.stuck,
  };
}
