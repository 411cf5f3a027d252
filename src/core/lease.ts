// Cross-window coordination, so that runs are polled once however many VS Code windows are open: the windows
// elect a leader through one small JSON file in the extension's global storage directory. The leader renews
// its heartbeat; the others check it and take over when it is missing, stale, released, or held by a process
// that no longer exists. What the leader publishes to the others is the shared state (sharedState.ts).
//
// File operations are synchronous on purpose (unlike the shared state's, which carry the whole store): the
// lease file is a hundred bytes, a lease decision holds the lock no longer than it takes and must not interleave
// with another window's or with this window's own next beat, the lease is released before dispose() returns,
// and the timers stay deterministic under fake clocks in tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { Emitter, type Disposable } from './emitter';
import type { Logger } from './http';
import { DEFAULT_HEARTBEAT_MS, readIfExists, unref, writeAtomically } from './windowFiles';

export { DEFAULT_HEARTBEAT_MS } from './windowFiles';
// The shared state lived in this file before it had its own; what imported it from here still finds it here.
export {
  REQUEST_TIMEOUT_MS,
  STATE_FILE,
  SharedStateFile,
  type SharedLists,
  type SharedReply,
  type SharedRequest,
  type SharedRole,
  type SharedSnapshot,
  type SharedStateOptions,
} from './sharedState';

export const LEASE_FILE = 'runwatch-lease.json';
const LOCK_SUFFIX = '.lock';

export interface LeaseRecord {
  holderId: string;
  pid: number;
  hostname?: string;
  heartbeatAt: number;
}

export interface FileLeaseOptions {
  heartbeatMs?: number;
  /** A heartbeat older than this means the holder is gone (default 3 × heartbeat). */
  staleAfterMs?: number;
  /** This window's id (default: a random UUID). */
  id?: string;
  now?: () => number;
  log?: Logger;
}

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const leaseSchema = z.lazy(() => z.looseObject({
  holderId: z.string(),
  pid: z.number(),
  hostname: z.optional(z.string()),
  heartbeatAt: z.number(),
}));

export class FileLease implements Disposable {
  readonly id: string;
  readonly path: string;
  readonly heartbeatMs: number;
  readonly staleAfterMs: number;
  private readonly now: () => number;
  private readonly leadership: Emitter<boolean>;
  private timer: ReturnType<typeof setInterval> | undefined;
  private leader = false;
  private disposed = false;
  private failedBeats = 0;
  /** Another window's heartbeat seen ahead of our clock, and since when (our time) it has not moved. */
  private futureBeat: { holderId: string; heartbeatAt: number; since: number } | undefined;

  constructor(
    readonly dir: string,
    private readonly options: FileLeaseOptions = {},
  ) {
    this.id = options.id ?? randomUUID();
    this.path = path.join(dir, LEASE_FILE);
    this.heartbeatMs = Math.max(10, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.staleAfterMs = options.staleAfterMs ?? 3 * this.heartbeatMs;
    this.now = options.now ?? (() => Date.now());
    this.leadership = new Emitter('window leadership', options.log);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Decides leadership at once, then keeps checking (and renewing) every heartbeat. */
  start(): void {
    if (this.disposed || this.timer) return;
    fs.mkdirSync(this.dir, { recursive: true });
    this.beat();
    this.timer = setInterval(() => this.beat(), this.heartbeatMs);
    unref(this.timer);
  }

  onDidChangeLeadership(listener: (isLeader: boolean) => void): Disposable {
    return this.leadership.event(listener);
  }

  /** Stops heart-beating without releasing the lease, as a crashed or frozen window would. For tests. */
  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops, and releases the lease if held so another window takes over at its next check. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopHeartbeat();
    if (this.leader) {
      // No lock needed: while our heartbeat is fresh no other window writes the lease.
      try {
        if (this.read()?.holderId === this.id) fs.rmSync(this.path, { force: true });
      } catch (e) {
        this.options.log?.warn(`Runwatch could not release the window lease: ${(e as Error).message}`);
      }
    }
    this.leader = false;
    this.leadership.dispose();
  }

  /** One heartbeat: renew if ours, take over if free or stale, else follow. */
  private beat(): void {
    if (this.disposed) return;
    try {
      const decided = this.withLock(() => {
        const now = this.now();
        const current = this.read();
        if (current?.holderId === this.id || this.isFree(current, now)) {
          writeAtomically(this.path, JSON.stringify({ holderId: this.id, pid: process.pid, hostname: os.hostname(), heartbeatAt: now } satisfies LeaseRecord), this.id);
          return true;
        }
        return false;
      });
      // Lock busy: another window is deciding right now; keep our role until the next beat.
      if (decided !== undefined) this.setLeader(decided);
      this.failedBeats = 0;
    } catch (e) {
      // A passing error (a file held open on Windows) costs one beat. A storage directory that stays
      // unusable must not leave every window waiting for a leader: then this window polls on its own.
      if (++this.failedBeats >= 3 && !this.leader) {
        this.options.log?.warn(`Runwatch could not use the window lease (${(e as Error).message}); this window polls on its own.`);
        this.setLeader(true);
      }
    }
  }

  private isFree(current: LeaseRecord | undefined, now: number): boolean {
    if (!current) return true;
    const age = now - current.heartbeatAt;
    if (age > this.staleAfterMs) return true;
    if (age < 0 && this.stoppedInFuture(current, now)) return true;
    // Same machine, other process: if that process is gone, no need to wait for the heartbeat to go stale.
    if ((current.hostname === undefined || current.hostname === os.hostname()) && current.pid !== process.pid && !processExists(current.pid)) return true;
    return false;
  }

  /**
   * A heartbeat ahead of our clock (the holder's clock runs ahead, or ours was set back) is the holder's.
   * Taking it over as stale made two leaders: each then saw the other's heartbeat as stale, from either side
   * of the skew. Its age says nothing about whether the holder lives, its movement does: a live holder
   * rewrites it every beat. So it counts as stale once it has not moved for staleAfterMs of our own time,
   * however far ahead it is. That bounds the wait for any heartbeat from the future (one absurdly far ahead,
   * a clock set years wrong or a hand edit, included) to what a crashed holder costs anyway, while a live
   * leader with a fast clock keeps the lease.
   */
  private stoppedInFuture(current: LeaseRecord, now: number): boolean {
    const seen = this.futureBeat;
    if (seen?.holderId !== current.holderId || seen.heartbeatAt !== current.heartbeatAt) {
      this.futureBeat = { holderId: current.holderId, heartbeatAt: current.heartbeatAt, since: now };
      return false;
    }
    return now - seen.since > this.staleAfterMs;
  }

  private read(): LeaseRecord | undefined {
    const text = readIfExists(this.path);
    if (text === undefined) return undefined;
    try {
      const parsed = leaseSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // unreadable lease: treated as missing
    }
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.leadership.fire(leader);
  }

  /**
   * Runs `fn` holding the lease's lock file (so two windows never decide at the same moment). Returns
   * undefined when another window holds the lock. The lock is created complete (written, then hard-linked),
   * so a half-written lock is never seen; one left by a crash is broken once older than the stale time.
   */
  private withLock<T>(fn: () => T): T | undefined {
    const lockPath = this.path + LOCK_SUFFIX;
    const mine = this.acquireLock(lockPath);
    if (mine === undefined) return undefined;
    try {
      return fn();
    } finally {
      // Only our own lock: had ours been broken meanwhile (this process frozen past the stale time), the
      // lock there now is another window's.
      if (readIfExists(lockPath) === mine) fs.rmSync(lockPath, { force: true });
    }
  }

  /** Takes the lock; returns its content (ours alone: window id and time) or undefined when it is held. */
  private acquireLock(lockPath: string): string | undefined {
    const tmp = `${lockPath}.${this.id}.tmp`;
    const mine = JSON.stringify({ holderId: this.id, at: this.now(), nonce: randomUUID() });
    fs.writeFileSync(tmp, mine);
    try {
      if (linkIfAbsent(tmp, lockPath)) return mine;
      if (!this.breakStaleLock(lockPath)) return undefined;
      return linkIfAbsent(tmp, lockPath) ? mine : undefined;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /**
   * Breaks the lock if it is stale; true when the caller may try to take it. Checking and then removing let
   * two windows both break one stale lock, the second removing the fresh lock the first had taken meanwhile,
   * and both went on holding "the" lock. Renaming it to a name of our own first is atomic: of the windows
   * that judged it stale, only the one whose rename succeeds goes on. If what it renamed is not the lock it
   * judged (another window broke that one and took a new lock in between), it puts that lock back. Only a
   * window taking the lock in the microseconds before it is back could then decide alongside its holder;
   * every window re-reads the lease at its next heartbeat, which settles that.
   */
  private breakStaleLock(lockPath: string): boolean {
    const judged = readIfExists(lockPath);
    if (judged === undefined) return true; // released meanwhile
    if (!this.lockTextIsStale(judged)) return false;
    const aside = `${lockPath}.${this.id}.${randomUUID()}.broken`;
    try {
      fs.renameSync(lockPath, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // another window broke it first
      throw e;
    }
    try {
      if (readIfExists(aside) === judged) return true;
      linkIfAbsent(aside, lockPath);
      return false;
    } finally {
      fs.rmSync(aside, { force: true });
    }
  }

  private lockTextIsStale(text: string): boolean {
    try {
      const at = Number((JSON.parse(text) as { at?: unknown }).at);
      // A lock is held for the few milliseconds of one decision: one older (or newer) than the stale time is left over.
      return !Number.isFinite(at) || Math.abs(this.now() - at) > this.staleAfterMs;
    } catch {
      return true;
    }
  }
}

/** Creates `target` as a hard link to `source`, atomically; false when `target` exists already. */
function linkIfAbsent(source: string, target: string): boolean {
  try {
    fs.linkSync(source, target);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true; // cannot tell: rely on the heartbeat
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
