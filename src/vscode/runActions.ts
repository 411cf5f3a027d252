// What can be done to a run, decided in one place for the tree's menus, the stuck row and the notifications:
// an action is offered only where it can work. Pure (no `vscode`).
import type { RunwatchService } from '../core/contracts';
import { isActive, isTerminal } from '../core/run';
import type { TrackedRun } from '../core/store';

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
  const adapter = service.provider(t.run.provider);
  const cancel = adapter.capabilities.cancel && !!adapter.cancelRun && isActive(t.run.status) && !t.gone;
  let withoutInput = false;
  try {
    withoutInput = !!adapter.rerunsWithoutInput?.(t.run);
  } catch {
    withoutInput = false;
  }
  const inputsKnown = !t.gone && (t.run.input !== undefined || withoutInput);
  return {
    cancel,
    inputsKnown,
    rerun: inputsKnown && isTerminal(t.run.status),
    cancelAndRerun: cancel && inputsKnown && t.stuck,
  };
}
