// globalState that keeps what this window writes. VS Code's extension-host Memento keeps every key of an
// extension in one object and replaces that whole object whenever the main thread echoes a change back
// (its own earlier writes included). An echo of an earlier write that lands between update(k) and the
// flush of k replaces k's new value with the old one, which is then flushed: update() resolves and the
// value is lost (microsoft/vscode#171827). Runwatch writes globalState often (the run store every second
// while runs change), so a workflow added by id could be forgotten. This wrapper answers reads of a key
// being written with the value being written, and writes again until the read-back matches.
import type * as vscode from 'vscode';

/** Writes of one key are retried this many times before giving up (each retry is one more round trip). */
const MAX_WRITES = 5;

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

export class SteadyMemento implements vscode.Memento {
  /** Values being written, by key: the newest write of a key wins over what the inner Memento says. */
  private readonly writing = new Map<string, { value: unknown }>();
  /** Every update() not yet finished, so that a composition going away can wait for its writes to land. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly inner: vscode.Memento) {}

  keys(): readonly string[] {
    const keys = new Set(this.inner.keys());
    for (const [key, entry] of this.writing) {
      if (entry.value === undefined) keys.delete(key);
      else keys.add(key);
    }
    return [...keys];
  }

  get<T>(key: string): T | undefined;
  get<T>(key: string, defaultValue: T): T;
  get<T>(key: string, defaultValue?: T): T | undefined {
    const entry = this.writing.get(key);
    if (entry) return entry.value === undefined ? defaultValue : (entry.value as T);
    return this.inner.get<T>(key) ?? defaultValue;
  }

  update(key: string, value: unknown): Promise<void> {
    const write = this.write(key, value);
    this.inFlight.add(write);
    const forget = () => this.inFlight.delete(write);
    write.then(forget, forget);
    return write;
  }

  /** Resolves once every write begun so far has landed or given up (never rejects). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async write(key: string, value: unknown): Promise<void> {
    const entry = { value };
    this.writing.set(key, entry);
    try {
      for (let write = 0; write < MAX_WRITES; write++) {
        await this.inner.update(key, value);
        // A newer write of the same key took over; it checks its own value.
        if (this.writing.get(key) !== entry) return;
        // The main thread's echo of this write has arrived by the time update() resolves, so a value read
        // back now is what was stored.
        if (sameValue(this.inner.get(key), value)) return;
      }
    } finally {
      if (this.writing.get(key) === entry) this.writing.delete(key);
    }
  }
}
