// Cross-window coordination, so that runs are polled once however many VS Code windows are open.
//
// FileLease: the windows elect a leader through one small JSON file in the extension's global storage
// directory. The leader renews its heartbeat; the others check it and take over when it is missing, stale,
// released, or held by a process that no longer exists.
//
// SharedStateFile: the leader publishes its store (runs and provider health) to a second file; followers
// apply it to their own store. What a follower learns or does itself (a run it started, tracked, refreshed,
// stopped tracking) goes back to the leader through a per-window inbox file, so the leader polls it too.
//
// File operations are synchronous on purpose: the files are small, a lease decision must not interleave
// with another window's, and the timers stay deterministic under fake clocks in tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import type { Disposable, ProviderHealth } from './contracts';
import type { Logger } from './http';
import { isProviderId, type ProviderId } from './run';
import type { RunStore, StoreChange, TrackedRun } from './store';
import { parseAccountsByProvider, parseStoredRuns } from './storedRun';
import type { Account } from '../providers/provider';

export const DEFAULT_HEARTBEAT_MS = 2000;
export const LEASE_FILE = 'runwatch-lease.json';
export const STATE_FILE = 'runwatch-state.json';
const LOCK_SUFFIX = '.lock';
const INBOX_PREFIX = 'runwatch-inbox-';

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

const leaseSchema = z.looseObject({
  holderId: z.string(),
  pid: z.number(),
  hostname: z.optional(z.string()),
  heartbeatAt: z.number(),
});

export class FileLease implements Disposable {
  readonly id: string;
  readonly path: string;
  readonly heartbeatMs: number;
  readonly staleAfterMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<(isLeader: boolean) => void>();
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
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
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
    this.listeners.clear();
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
    for (const listener of [...this.listeners]) listener(leader);
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

// ---- shared state ----

export interface SharedSnapshot {
  version: 1;
  writerId: string;
  seq: number;
  writtenAt: number;
  runs: TrackedRun[];
  health: Partial<Record<ProviderId, ProviderHealth>>;
  /** The leader's account lists and which accounts have another page: a follower lists nothing itself. */
  lists?: SharedLists;
  /** Answers to follower requests the leader carried out recently. */
  replies?: SharedReply[];
}

export interface SharedLists {
  accounts: Partial<Record<ProviderId, Account[]>>;
  /** accountKey()s of accounts whose run list has a next page ("Load more"). */
  more: string[];
}

/** What a follower asks the leader to do for it, so that only the leader's window talks to providers. */
export type SharedRequest =
  | { op: 'refresh'; keys?: string[] }
  | { op: 'accounts'; provider: ProviderId }
  | { op: 'runs'; provider: ProviderId; accountId: string; more?: boolean }
  | { op: 'cancel'; key: string };

export interface SharedReply {
  id: string;
  ok: boolean;
  /** Why it failed, as the leader's ProviderError said it. */
  error?: { kind: string; message: string };
}

/** What a follower hands the leader: runs it learned of or changed, runs it stopped tracking, requests. */
interface Inbox {
  upserts: TrackedRun[];
  removals: string[];
  requests: { id: string; request: SharedRequest }[];
}

/** How long a follower waits for the leader to answer a request. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long the leader keeps publishing a reply. */
const REPLY_KEEP_MS = 60_000;

export type SharedRole = 'leader' | 'follower' | 'off';

export interface SharedStateOptions {
  /** How often followers look at the file (and the leader at its inbox) when fs.watch says nothing. */
  heartbeatMs?: number;
  /** Wait after a change before writing, so a burst of changes is one write. */
  debounceMs?: number;
  /** The leader republishes this often while runs are active, so followers see fresh confirmation times. */
  refreshMs?: number;
  /** Provider health to publish (the leader's scheduler). */
  health?: () => Partial<Record<ProviderId, ProviderHealth>>;
  /** Account lists to publish (the leader's). */
  lists?: () => SharedLists;
  /** This window's id (use the lease's). */
  id?: string;
  now?: () => number;
  /** Use fs.watch as well as polling (default true; falls back to polling where watching fails). */
  watch?: boolean;
  log?: Logger;
}

const snapshotSchema = z.looseObject({
  version: z.number(),
  writerId: z.string(),
  seq: z.number(),
  writtenAt: z.number(),
  runs: z.array(z.unknown()),
  health: z.optional(z.record(z.string(), z.unknown())),
  lists: z.optional(z.unknown()),
  replies: z.optional(z.array(z.unknown())),
});

const inboxSchema = z.looseObject({
  upserts: z.optional(z.array(z.unknown())),
  removals: z.optional(z.array(z.string())),
  requests: z.optional(z.array(z.unknown())),
});

const providerIdSchema = z.custom<ProviderId>(isProviderId);
const requestSchema = z.looseObject({
  id: z.string(),
  request: z.union([
    z.looseObject({ op: z.literal('refresh'), keys: z.optional(z.array(z.string())) }),
    z.looseObject({ op: z.literal('accounts'), provider: providerIdSchema }),
    z.looseObject({ op: z.literal('runs'), provider: providerIdSchema, accountId: z.string(), more: z.optional(z.boolean()) }),
    z.looseObject({ op: z.literal('cancel'), key: z.string() }),
  ]),
});

const listsSchema = z.looseObject({
  accounts: z.record(z.string(), z.array(z.unknown())),
  more: z.array(z.string()),
});
const replySchema = z.looseObject({
  id: z.string(),
  ok: z.boolean(),
  error: z.optional(z.looseObject({ kind: z.string(), message: z.string() })),
});

interface PendingRequest {
  request: SharedRequest;
  resolve: () => void;
  reject: (error: { kind: string; message: string }) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class SharedStateFile implements Disposable {
  readonly id: string;
  readonly path: string;
  private readonly heartbeatMs: number;
  private readonly debounceMs: number;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private currentRole: SharedRole = 'off';
  private readonly storeSubscription: { dispose(): void };
  private readonly listeners = new Set<(snapshot: SharedSnapshot) => void>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private publishTimer: ReturnType<typeof setTimeout> | undefined;
  private inboxTimer: ReturnType<typeof setTimeout> | undefined;
  private watcher: fs.FSWatcher | undefined;
  private seq = 0;
  private lastPublishedAt = 0;
  private lastPublishCostMs = 0;
  private lastPublishedHealth = '';
  /** stat signature and writer/seq of the last snapshot read, to skip re-reading an unchanged file. */
  private lastSeenStat = '';
  private lastAppliedVersion = '';
  /** The leader's view of each run in the last snapshot applied: what a local change is compared against. */
  private remote = new Map<string, TrackedRun>();
  /** Runs this follower stopped tracking, until the leader's snapshot no longer has them. */
  private readonly pendingRemovals = new Map<string, number>();
  private outbox: Inbox = { upserts: [], removals: [], requests: [] };
  private lastHealth: Partial<Record<ProviderId, ProviderHealth>> = {};
  /** Warnings already logged: a bad entry in a snapshot republished every few seconds is reported once. */
  private readonly warned = new Set<string>();
  private lastLists: SharedLists | undefined;
  /** Follower: requests handed to the leader and not answered yet. */
  private readonly pending = new Map<string, PendingRequest>();
  /** Leader: what carries a request out, and the replies it still publishes. */
  private requestHandler: ((request: SharedRequest) => Promise<void>) | undefined;
  private replies: (SharedReply & { at: number })[] = [];
  private disposed = false;

  constructor(
    readonly dir: string,
    private readonly store: RunStore,
    private readonly options: SharedStateOptions = {},
  ) {
    this.id = options.id ?? randomUUID();
    this.path = path.join(dir, STATE_FILE);
    this.heartbeatMs = Math.max(10, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.debounceMs = options.debounceMs ?? 250;
    this.refreshMs = options.refreshMs ?? 2 * this.heartbeatMs;
    this.now = options.now ?? (() => Date.now());
    this.storeSubscription = store.onDidChange(change => this.onStoreChange(change));
  }

  get role(): SharedRole {
    return this.currentRole;
  }

  /** Provider health as the leader last published it (what a follower shows). */
  get remoteHealth(): Partial<Record<ProviderId, ProviderHealth>> {
    return this.lastHealth;
  }

  /** Account lists as the leader last published them (what a follower shows); undefined before any. */
  get remoteLists(): SharedLists | undefined {
    return this.lastLists;
  }

  /** How this window carries out what a follower asks (while it leads, and for its own pending requests when it takes over). */
  onRequest(handler: (request: SharedRequest) => Promise<void>): void {
    this.requestHandler = handler;
  }

  /**
   * Follower: asks the leader to carry out a request, and settles when the leader's snapshot answers it
   * (its result, runs and lists, is applied by then). Rejects with the leader's error, or after
   * REQUEST_TIMEOUT_MS. A window that takes the lease meanwhile carries it out itself.
   */
  request(request: SharedRequest): Promise<void> {
    if (this.currentRole !== 'follower' || this.disposed) {
      return this.requestHandler ? this.requestHandler(request) : Promise.reject({ kind: 'network', message: 'No Runwatch window is polling.' });
    }
    const id = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject({ kind: 'timeout', message: 'The Runwatch window that polls did not answer in time.' });
      }, REQUEST_TIMEOUT_MS);
      unref(timer);
      this.pending.set(id, { request, resolve, reject, timer });
      this.outbox.requests.push({ id, request });
      this.flushOutbox();
    });
  }

  /** A follower applied a snapshot from the leader. */
  onDidApply(listener: (snapshot: SharedSnapshot) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  setRole(role: SharedRole): void {
    if (this.disposed || role === this.currentRole) return;
    this.stopTimers();
    this.currentRole = role;
    if (role === 'off') return;
    fs.mkdirSync(this.dir, { recursive: true });
    this.heartbeat = setInterval(() => this.onHeartbeat(), this.heartbeatMs);
    unref(this.heartbeat);
    this.startWatching();
    if (role === 'leader') {
      this.consumeInboxes();
      this.publishNow();
      this.takeOverPending();
    } else {
      this.lastSeenStat = '';
      this.readAndApply();
    }
  }

  /** The leader's state changed in a way the store does not announce (provider health): publish soon. */
  publishSoon(): void {
    if (this.currentRole !== 'leader' || this.publishTimer || this.disposed) return;
    // Never spend more than a few percent of the time writing, however big the store grows.
    const spacing = Math.max(this.debounceMs, this.lastPublishCostMs * 20);
    const wait = Math.max(this.debounceMs, this.lastPublishedAt + spacing - this.now());
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publishNow();
    }, wait);
    unref(this.publishTimer);
  }

  publishNow(): void {
    if (this.currentRole !== 'leader' || this.disposed) return;
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    const started = Date.now();
    const health = this.options.health?.() ?? {};
    this.replies = this.replies.filter(r => this.now() - r.at < REPLY_KEEP_MS);
    const snapshot: SharedSnapshot = {
      version: 1,
      writerId: this.id,
      seq: ++this.seq,
      writtenAt: this.now(),
      runs: this.store.all(),
      health,
      lists: this.options.lists?.(),
      replies: this.replies.map(({ id, ok, error }) => ({ id, ok, error })),
    };
    try {
      writeAtomically(this.path, JSON.stringify(snapshot), this.id);
      this.lastPublishedHealth = JSON.stringify(health);
    } catch (e) {
      this.options.log?.warn(`Runwatch could not share its state with other windows: ${(e as Error).message}`);
    }
    this.lastPublishedAt = this.now();
    this.lastPublishCostMs = Math.max(0, Date.now() - started);
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.currentRole === 'follower') this.flushOutbox();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.disposed = true;
    this.stopTimers();
    this.storeSubscription.dispose();
    this.listeners.clear();
  }

  // ---- both roles ----

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    if (this.warned.size >= 100) this.warned.clear();
    this.warned.add(message);
    this.options.log?.warn(message);
  }

  private stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.publishTimer) clearTimeout(this.publishTimer);
    if (this.inboxTimer) clearTimeout(this.inboxTimer);
    this.heartbeat = this.publishTimer = this.inboxTimer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private startWatching(): void {
    if (this.options.watch === false) return;
    try {
      this.watcher = fs.watch(this.dir, { persistent: false }, (_event, file) => {
        const name = file?.toString() ?? '';
        if (this.currentRole === 'follower' && (name === '' || name === STATE_FILE)) this.readAndApply();
        if (this.currentRole === 'leader' && (name === '' || name.startsWith(INBOX_PREFIX))) this.consumeInboxes();
      });
      this.watcher.on('error', () => {
        // Watching is an optimisation; the heartbeat poll carries on.
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }

  private onHeartbeat(): void {
    if (this.currentRole === 'follower') {
      this.readAndApply();
      return;
    }
    this.consumeInboxes();
    const healthChanged = this.options.health && JSON.stringify(this.options.health()) !== this.lastPublishedHealth;
    const due = this.now() - this.lastPublishedAt >= this.refreshMs && this.store.active().length > 0;
    if (healthChanged || due) this.publishSoon();
  }

  private onStoreChange(change: StoreChange): void {
    if (this.disposed) return;
    if (this.currentRole === 'leader') {
      this.publishSoon();
      return;
    }
    if (this.currentRole !== 'follower') return;
    let forwarded = false;
    for (const key of change.keys) {
      const local = this.store.get(key);
      const remote = this.remote.get(key);
      if (!local) {
        if (remote) {
          // Stopped tracking here: tell the leader, and do not take it back from the next snapshot.
          this.outbox.upserts = this.outbox.upserts.filter(t => t.key !== key);
          if (!this.outbox.removals.includes(key)) this.outbox.removals.push(key);
          this.pendingRemovals.set(key, this.now());
          forwarded = true;
        }
        continue;
      }
      if (!remote || newerHere(local, remote)) {
        this.outbox.upserts = this.outbox.upserts.filter(t => t.key !== key);
        this.outbox.upserts.push(local);
        this.outbox.removals = this.outbox.removals.filter(k => k !== key);
        this.pendingRemovals.delete(key);
        forwarded = true;
      }
    }
    if (forwarded && !this.inboxTimer) {
      this.inboxTimer = setTimeout(() => {
        this.inboxTimer = undefined;
        this.flushOutbox();
      }, this.debounceMs);
      unref(this.inboxTimer);
    }
  }

  // ---- follower ----

  private readAndApply(): void {
    if (this.currentRole !== 'follower' || this.disposed) return;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.path);
    } catch {
      return; // nothing published yet
    }
    const signature = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (signature === this.lastSeenStat) return;
    let parsed: z.infer<typeof snapshotSchema>;
    try {
      const text = readIfExists(this.path);
      if (text === undefined) return;
      const result = snapshotSchema.safeParse(JSON.parse(text));
      if (!result.success) return;
      parsed = result.data;
    } catch {
      return; // being replaced, or damaged: the next look will do
    }
    this.lastSeenStat = signature;
    const version = `${parsed.writerId}:${parsed.seq}`;
    if (parsed.writerId === this.id || version === this.lastAppliedVersion) return;
    this.lastAppliedVersion = version;
    // Each entry on its own (the store's schema): a bad one is skipped, the entries after it still apply.
    const unreadable = new Set<string>();
    const runs = parseStoredRuns(parsed.runs, (message, key) => {
      if (key) unreadable.add(key);
      this.warnOnce(`Runwatch skipped a run another window shared: ${message}.`);
    });
    const health = pickHealth(parsed.health);
    const lists = pickLists(parsed.lists);
    const replies = Array.isArray(parsed.replies) ? parsed.replies.filter(r => replySchema.safeParse(r).success) as SharedReply[] : [];
    this.apply({ version: 1, writerId: parsed.writerId, seq: parsed.seq, writtenAt: parsed.writtenAt, runs, health, lists, replies }, unreadable);
  }

  /** `unreadable`: keys of runs the snapshot lists in a shape this window cannot read; they are kept as they were. */
  private apply(snapshot: SharedSnapshot, unreadable: ReadonlySet<string> = new Set()): void {
    const now = this.now();
    const next = new Map<string, TrackedRun>();
    for (const key of unreadable) {
      const before = this.remote.get(key);
      if (before) next.set(key, before);
    }
    for (const entry of snapshot.runs) {
      const key = entry.key;
      next.set(key, entry);
      const pendingSince = this.pendingRemovals.get(key);
      if (pendingSince !== undefined && now - pendingSince < 5 * this.heartbeatMs) continue;
      const local = this.store.get(key);
      try {
        if (!local || newerThere(entry, local)) this.store.applyRemote(entry);
      } catch (e) {
        this.warnOnce(`Runwatch could not apply ${key} as another window shared it: ${(e as Error).message}`);
      }
    }
    for (const [key, before] of this.remote) {
      if (next.has(key)) continue;
      this.pendingRemovals.delete(key);
      // The leader dropped it (stopped tracking, pruned): drop it here unless we know something newer.
      const local = this.store.get(key);
      if (local && !newerHere(local, before)) this.store.remove(key);
    }
    for (const key of [...this.pendingRemovals.keys()]) if (!next.has(key)) this.pendingRemovals.delete(key);
    this.remote = next;
    this.lastHealth = snapshot.health;
    if (snapshot.lists) this.lastLists = snapshot.lists;
    for (const listener of [...this.listeners]) listener(snapshot);
    // Answers last, so whoever awaited one sees the runs and lists it brought.
    for (const reply of snapshot.replies ?? []) {
      const pending = this.pending.get(reply.id);
      if (!pending) continue;
      this.pending.delete(reply.id);
      clearTimeout(pending.timer);
      if (reply.ok) pending.resolve();
      else pending.reject(reply.error ?? { kind: 'network', message: 'The Runwatch window that polls could not do it.' });
    }
  }

  /** This window took the lease: what it asked the old leader and got no answer to, it now does itself. */
  private takeOverPending(): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      const handled = this.requestHandler ? this.requestHandler(p.request) : Promise.reject(new Error('no handler'));
      handled.then(p.resolve, (e: unknown) => p.reject(errorOf(e)));
    }
  }

  private flushOutbox(): void {
    if (this.inboxTimer) clearTimeout(this.inboxTimer);
    this.inboxTimer = undefined;
    if (!this.outbox.upserts.length && !this.outbox.removals.length && !this.outbox.requests.length) return;
    const file = path.join(this.dir, `${INBOX_PREFIX}${this.id}.json`);
    try {
      // Merge with what the leader has not collected yet; this window's newer word on a run wins.
      const pending = parseInbox(readIfExists(file));
      const upserts = new Map(pending.upserts.map(t => [t.key, t] as const));
      const removals = new Set(pending.removals);
      for (const key of this.outbox.removals) {
        upserts.delete(key);
        removals.add(key);
      }
      for (const t of this.outbox.upserts) {
        removals.delete(t.key);
        upserts.set(t.key, t);
      }
      const requests = [...pending.requests, ...this.outbox.requests];
      writeAtomically(file, JSON.stringify({ upserts: [...upserts.values()], removals: [...removals], requests } satisfies Inbox), this.id);
      this.outbox = { upserts: [], removals: [], requests: [] };
    } catch (e) {
      this.options.log?.warn(`Runwatch could not hand a change to the polling window: ${(e as Error).message}`);
    }
  }

  // ---- leader ----

  private consumeInboxes(): void {
    if (this.currentRole !== 'leader' || this.disposed) return;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter(n => n.startsWith(INBOX_PREFIX) && n.endsWith('.json'));
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(this.dir, name);
      // Claim it first: a follower writing at this moment then starts a new inbox instead of losing its change.
      const claimed = `${file}.${this.id}.claimed`;
      try {
        fs.renameSync(file, claimed);
      } catch {
        continue;
      }
      let inbox: Inbox;
      try {
        inbox = parseInbox(readIfExists(claimed));
      } finally {
        fs.rmSync(claimed, { force: true });
      }
      for (const entry of inbox.upserts) {
        const local = this.store.get(entry.key);
        if (!local || newerThere(entry, local)) this.store.applyRemote(entry);
      }
      for (const key of inbox.removals) this.store.remove(key);
      // Our own inbox from when we followed: its requests are still pending here, and takeOverPending() does them.
      if (name === `${INBOX_PREFIX}${this.id}.json`) continue;
      for (const { id, request } of inbox.requests) this.carryOut(id, request);
    }
  }

  /** Carries out a follower's request and publishes the answer (with the runs and lists it changed). */
  private carryOut(id: string, request: SharedRequest): void {
    const handled = this.requestHandler ? this.requestHandler(request) : Promise.reject(new Error('This window cannot carry out requests.'));
    handled.then(
      () => this.reply({ id, ok: true }),
      (e: unknown) => this.reply({ id, ok: false, error: errorOf(e) }),
    );
  }

  private reply(reply: SharedReply): void {
    if (this.disposed) return;
    this.replies.push({ ...reply, at: this.now() });
    this.publishNow();
  }
}

function errorOf(e: unknown): { kind: string; message: string } {
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
    const kind = (e as { kind?: unknown }).kind;
    return { kind: typeof kind === 'string' ? kind : 'network', message: (e as { message: string }).message };
  }
  return { kind: 'network', message: String(e) };
}

function pickLists(raw: unknown): SharedLists | undefined {
  const parsed = listsSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  return { accounts: parseAccountsByProvider(parsed.data.accounts), more: parsed.data.more };
}

/** The local entry carries something the remote one does not: a later confirmation, a pin, an acknowledgement. */
function newerHere(local: TrackedRun, remote: TrackedRun): boolean {
  return (local.lastConfirmedAt ?? 0) > (remote.lastConfirmedAt ?? 0) || (local.pinned && !remote.pinned) || (local.acknowledged && !remote.acknowledged);
}

function newerThere(remote: TrackedRun, local: TrackedRun): boolean {
  if ((remote.lastConfirmedAt ?? 0) > (local.lastConfirmedAt ?? 0)) return true;
  if ((remote.lastConfirmedAt ?? 0) < (local.lastConfirmedAt ?? 0)) return false;
  // Same confirmation: the state or the flags may still differ (two changes in one millisecond, a failed
  // refresh, stuck, gone, a pin). Cheap fields only: this runs for every run of every snapshot.
  return (
    remote.run.status !== local.run.status ||
    remote.run.rawStatus !== local.run.rawStatus ||
    remote.lastChangedAt !== local.lastChangedAt ||
    remote.failures !== local.failures ||
    remote.stale !== local.stale ||
    remote.gone !== local.gone ||
    remote.stuck !== local.stuck ||
    (remote.pinned && !local.pinned) ||
    (remote.acknowledged && !local.acknowledged)
  );
}

function parseInbox(text: string | undefined): Inbox {
  const empty: Inbox = { upserts: [], removals: [], requests: [] };
  if (text === undefined) return empty;
  try {
    const parsed = inboxSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return empty;
    const upserts = parseStoredRuns(parsed.data.upserts ?? [], () => undefined);
    const requests = (parsed.data.requests ?? []).filter(e => requestSchema.safeParse(e).success) as Inbox['requests'];
    return { upserts, removals: parsed.data.removals ?? [], requests };
  } catch {
    return empty;
  }
}

function pickHealth(raw: Record<string, unknown> | undefined): Partial<Record<ProviderId, ProviderHealth>> {
  const out: Partial<Record<ProviderId, ProviderHealth>> = {};
  for (const id of Object.keys(raw ?? {}).filter(isProviderId)) {
    const h = raw?.[id] as { state?: unknown } | undefined;
    if (h && typeof h === 'object' && typeof h.state === 'string') out[id] = h as ProviderHealth;
  }
  return out;
}

/** Write to a temporary file, then rename over the target: readers see the old file or the new one, never half. */
function writeAtomically(file: string, text: string, writerId: string): void {
  const tmp = `${file}.${writerId}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
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

function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
