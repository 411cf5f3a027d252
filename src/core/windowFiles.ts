// The folder the windows share (the extension's global storage): the heartbeat the lease and the shared state
// both keep, and how their files are read and written.
import * as fs from 'node:fs';

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
