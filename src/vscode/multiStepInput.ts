// One quick input that walks through several steps ("2/4"), with a Back button that returns to the step
// before and keeps what was typed there. The idea is the one of VS Code's quickinput sample (a flow is a chain
// of steps, each returning the next), written for Runwatch: a step may load its items first (the quick pick is
// shown `busy` meanwhile) and may be taken without asking (one account, one kind), and Back then skips it.
import * as vscode from 'vscode';

/** The user pressed Escape (or the quick input was closed): the flow ends and nothing happens. */
export class FlowCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** The user pressed Back: the runner returns to the last step that asked something. */
class BackPressed extends Error {
  constructor() {
    super('back');
  }
}

/** One step: asks through `input` (or decides without asking) and returns the step after it, or nothing at the end. */
export type Step<S> = (input: MultiStepInput, state: S) => Promise<Step<S> | undefined>;

export type Validation = string | vscode.InputBoxValidationMessage | undefined;

export interface PickOptions<T extends vscode.QuickPickItem> {
  title: string;
  /** Steps still to come after this one, as far as they are known now. */
  remaining: number;
  placeholder?: string;
  /** The items, or their loading: the quick pick is shown busy (and disabled) until they arrive. */
  items: readonly T[] | Thenable<readonly T[]>;
  /** The item highlighted when the step opens (the last choice, a preset). */
  active?: (items: readonly T[]) => T | undefined;
  /** An item to take without asking (the only account): the step then counts as not shown, and Back skips it. */
  auto?: (items: readonly T[]) => T | undefined;
  /** Says what is wrong with accepting this item (the quick pick stays open), or nothing. */
  validateAccept?: (item: T) => string | undefined | Thenable<string | undefined>;
  /** Called with the quick pick once it is shown, to update its items live; disposed when the step ends. */
  live?: (pick: vscode.QuickPick<T>) => vscode.Disposable | undefined;
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
}

export interface InputOptions {
  title: string;
  remaining: number;
  value?: string;
  prompt?: string;
  placeholder?: string;
  password?: boolean;
  /** Checked live as the user types, and again on Enter: an error keeps the box open. */
  validate?: (value: string) => Validation;
  /** Extra title-bar buttons ("Edit in a JSON editor…"). */
  buttons?: vscode.QuickInputButton[];
  /** What was in the box when the user pressed Back, to keep it for the way forward again. */
  onBack?: (typed: string) => void;
}

/** What the user did in an input box: typed a value, or pressed one of the extra buttons with this text in the box. */
export type InputAnswer = { value: string } | { button: vscode.QuickInputButton; value: string };

interface Entry<S> {
  step: Step<S>;
  /** The step asked the user something (Back returns to it); false when it decided without asking. */
  shown: boolean;
}

export class MultiStepInput {
  private current?: vscode.QuickInput;
  private entries: Entry<unknown>[] = [];

  /**
   * Runs the flow from `start`; true when it ran to its end, false when the user pressed Escape. Other errors
   * (a failed load) are thrown after the quick input is closed.
   */
  static async run<S>(start: Step<S>, state: S): Promise<boolean> {
    const flow = new MultiStepInput();
    try {
      return await flow.stepThrough(start, state);
    } finally {
      flow.current?.dispose();
    }
  }

  private async stepThrough<S>(start: Step<S>, state: S): Promise<boolean> {
    const entries = this.entries as Entry<S>[];
    let next: Step<S> | undefined = start;
    while (next) {
      entries.push({ step: next, shown: false });
      try {
        next = await next(this, state);
      } catch (e) {
        if (e instanceof FlowCancelled) return false;
        if (!(e instanceof BackPressed)) throw e;
        entries.pop();
        while (entries.length && !entries[entries.length - 1].shown) entries.pop();
        next = entries.pop()?.step ?? start;
      }
    }
    return true;
  }

  /** This step's number: the steps before it that asked something, plus one. */
  private stepNumber(): number {
    return this.entries.slice(0, -1).filter(e => e.shown).length + 1;
  }

  private markShown(): void {
    const entry = this.entries[this.entries.length - 1];
    if (entry) entry.shown = true;
  }

  private present(input: vscode.QuickInput, title: string, remaining: number): number {
    const step = this.stepNumber();
    input.title = title;
    input.step = step;
    input.totalSteps = step + Math.max(0, remaining);
    input.ignoreFocusOut = true;
    const previous = this.current;
    this.current = input;
    input.show();
    // Disposed after the next one shows, so the widget does not blink closed between steps.
    previous?.dispose();
    return step;
  }

  async pick<T extends vscode.QuickPickItem>(options: PickOptions<T>): Promise<T> {
    const loading = isThenable<readonly T[]>(options.items);
    if (!isThenable<readonly T[]>(options.items)) {
      const auto = options.auto?.(options.items);
      if (auto) return auto;
    }
    const disposables: vscode.Disposable[] = [];
    const pick = vscode.window.createQuickPick<T>();
    try {
      return await new Promise<T>((resolve, reject) => {
        let settled = false;
        const settle = (action: () => void) => {
          if (settled) return;
          settled = true;
          action();
        };
        pick.placeholder = options.placeholder;
        pick.matchOnDescription = !!options.matchOnDescription;
        pick.matchOnDetail = !!options.matchOnDetail;
        // Busy from the moment it shows, so the list never flashes empty and nothing can be accepted while it loads.
        pick.busy = loading;
        pick.enabled = !loading;
        const step = this.present(pick, options.title, options.remaining);
        pick.buttons = step > 1 ? [vscode.QuickInputButtons.Back] : [];
        disposables.push(
          pick.onDidTriggerButton(button => {
            if (button === vscode.QuickInputButtons.Back) settle(() => reject(new BackPressed()));
          }),
          pick.onDidAccept(async () => {
            const item = pick.selectedItems[0] ?? pick.activeItems[0];
            if (!item || pick.busy || !pick.enabled) return;
            const problem = await options.validateAccept?.(item);
            if (problem) {
              pick.placeholder = problem;
              return;
            }
            settle(() => resolve(item));
          }),
          pick.onDidHide(() => settle(() => reject(new FlowCancelled()))),
        );
        const offer = (items: readonly T[]) => {
          pick.items = items;
          const active = options.active?.(items);
          if (active) pick.activeItems = [active];
          pick.busy = false;
          pick.enabled = true;
        };
        if (isThenable<readonly T[]>(options.items)) {
          options.items.then(
            items => {
              if (settled) return;
              const auto = options.auto?.(items);
              if (auto) return settle(() => resolve(auto));
              offer(items);
              this.markShown();
              const live = options.live?.(pick);
              if (live) disposables.push(live);
            },
            e => settle(() => reject(e)),
          );
        } else {
          offer(options.items);
          this.markShown();
          const live = options.live?.(pick);
          if (live) disposables.push(live);
        }
      });
    } finally {
      for (const d of disposables) d.dispose();
    }
  }

  async input(options: InputOptions): Promise<InputAnswer> {
    const disposables: vscode.Disposable[] = [];
    const box = vscode.window.createInputBox();
    try {
      return await new Promise<InputAnswer>((resolve, reject) => {
        let settled = false;
        const settle = (action: () => void) => {
          if (settled) return;
          settled = true;
          action();
        };
        box.value = options.value ?? '';
        box.prompt = options.prompt;
        box.placeholder = options.placeholder;
        box.password = !!options.password;
        const step = this.present(box, options.title, options.remaining);
        this.markShown();
        box.buttons = [...(step > 1 ? [vscode.QuickInputButtons.Back] : []), ...(options.buttons ?? [])];
        const check = (value: string): boolean => {
          const problem = options.validate?.(value);
          box.validationMessage = problem || undefined;
          return !isError(problem);
        };
        if (box.value) check(box.value);
        disposables.push(
          box.onDidChangeValue(value => check(value)),
          box.onDidTriggerButton(button => {
            if (button === vscode.QuickInputButtons.Back) {
              options.onBack?.(box.value);
              settle(() => reject(new BackPressed()));
            } else {
              settle(() => resolve({ button, value: box.value }));
            }
          }),
          box.onDidAccept(() => {
            if (box.busy || !box.enabled || !check(box.value)) return;
            settle(() => resolve({ value: box.value }));
          }),
          box.onDidHide(() => settle(() => reject(new FlowCancelled()))),
        );
      });
    } finally {
      for (const d of disposables) d.dispose();
    }
  }
}

/** A validation result that blocks Enter: a plain message, or one with Error severity (warnings let it through). */
export function isError(problem: Validation): boolean {
  if (!problem) return false;
  return typeof problem === 'string' || problem.severity === vscode.InputBoxValidationSeverity.Error;
}

function isThenable<T>(value: unknown): value is Thenable<T> {
  return !!value && typeof (value as Thenable<T>).then === 'function';
}
