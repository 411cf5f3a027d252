// One small typed event emitter for the core (VS Code's EventEmitter stays at the edge). Each listener runs on
// its own: one that throws is logged and costs neither the listeners after it nor the code that fired.
import { redact } from './errors';
import type { Logger } from './http';

export interface Disposable {
  dispose(): void;
}

export type Listener<T> = (value: T) => void;

export class Emitter<T> implements Disposable {
  private readonly listeners = new Set<Listener<T>>();

  /**
   * @param what names the event in the log line of a failing listener ("run changes").
   * @param log where a failing listener is reported; console.error when none is given.
   */
  constructor(
    private readonly what: string,
    private readonly log?: Pick<Logger, 'error'>,
  ) {}

  /** Subscribes; the same function subscribed twice is called once. */
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  /** Calls every listener subscribed now (one that unsubscribes another mid-fire does not skip it). */
  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (e) {
        const message = `Runwatch: a listener of ${this.what} failed: ${redact(e instanceof Error ? e.message : String(e))}`;
        if (this.log) this.log.error(message);
        else console.error(message);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.listeners.clear();
  }
}
