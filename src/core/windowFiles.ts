// The folder the windows share (the extension's global storage): the heartbeat the lease and the shared state
// both keep, and how their files are read and written. Every write replaces a file whole (a temporary file
// renamed over it), so a reader in any window, and a window that crashed mid-write, leave the old file or the
// new one, never half of one.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';

/** How often a window renews its lease and looks at what the others wrote. */
export const DEFAULT_HEARTBEAT_MS = 2000;

/** Write to a temporary file, then rename over the target: readers see the old file or the new one, never half. */
export function writeAtomically(file: string, text: string, writerId: string): void {
  const tmp = `${file}.${writerId}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/** Reads a file asynchronously; undefined when there is none. */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

interface WriteWaiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Writes one file asynchronously, atomically (as writeAtomically) and one write at a time: a text asked for
 * while a write is in flight waits, and replaces any text already waiting, so the last state wins and a burst
 * of writes costs two. One writer per file and window: its temporary file is its own.
 */
export class AtomicFileWriter {
  private queued: { text: string; waiters: WriteWaiter[] } | undefined;
  private writing: Promise<void> | undefined;
  /** Raised by discard(): a write begun before it does not replace the file. */
  private generation = 0;

  constructor(
    readonly file: string,
    private readonly tmpFile: string,
  ) {}

  /** True while a write is in flight or waiting. */
  get busy(): boolean {
    return this.writing !== undefined;
  }

  /**
   * Resolves once the file holds this text or a later one that replaced it while it waited (or the text was
   * discarded); rejects when the write that was to carry it failed.
   */
  write(text: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.queued) {
        this.queued.text = text;
        this.queued.waiters.push({ resolve, reject });
      } else {
        this.queued = { text, waiters: [{ resolve, reject }] };
      }
      this.writing ??= this.drain();
    });
  }

  /** Forgets the text waiting, and keeps the write in flight from replacing the file if it has not yet. */
  discard(): void {
    this.generation++;
    const waiters = this.queued?.waiters ?? [];
    this.queued = undefined;
    for (const waiter of waiters) waiter.resolve();
  }

  /** Settles once nothing is being written or waiting to be. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queued) {
      const { text, waiters } = this.queued;
      this.queued = undefined;
      const generation = this.generation;
      try {
        await this.replace(text, () => generation === this.generation);
        for (const waiter of waiters) waiter.resolve();
      } catch (e) {
        for (const waiter of waiters) waiter.reject(e);
      }
    }
    this.writing = undefined;
  }

  private async replace(text: string, stillWanted: () => boolean): Promise<void> {
    let renamed = false;
    try {
      await fsp.writeFile(this.tmpFile, text);
      if (stillWanted()) {
        await fsp.rename(this.tmpFile, this.file);
        renamed = true;
      }
    } finally {
      // A discarded or failed write leaves no temporary file behind.
      if (!renamed) await fsp.rm(this.tmpFile, { force: true }).catch(() => undefined);
    }
  }
}
