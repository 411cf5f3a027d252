// The VS Code layer's events: a vscode.EventEmitter whose listeners are each isolated. One that throws is logged
// to the Runwatch log and the others still hear the event, and the code that fired it goes on (a key change
// must reach the tree even when the walkthrough's listener is broken).
import * as vscode from 'vscode';
import type { Logger } from '../core/http';

export class IsolatingEmitter<T> implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<T>();

  /** `what` names the event in the log line ("settings change"). */
  constructor(
    private readonly what: string,
    private readonly log: Pick<Logger, 'error'>,
  ) {}

  readonly event: vscode.Event<T> = (listener, thisArgs, disposables) =>
    this.emitter.event(
      value => {
        try {
          listener.call(thisArgs, value);
        } catch (e) {
          this.log.error(`A listener of the ${this.what} event failed (the others still ran): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        }
      },
      undefined,
      disposables,
    );

  fire(value: T): void {
    this.emitter.fire(value);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
