// Cross-window coordination, the shared state: the leader (the window holding the lease, lease.ts) publishes
// its store (runs and provider health) to a file; followers apply it to their own store. What a follower learns
// or does itself (a run it started, tracked, refreshed, stopped tracking) goes back to the leader through inbox
// files (hand-overs, one file each, never added to), so the leader polls it too.
//
// The snapshot holds the whole store, so it is written and read asynchronously, off the extension host's thread:
// one write at a time (AtomicFileWriter: written aside and renamed over the old file, so a reader in any window
// sees the old snapshot or the new one, never half; while a write is in flight only the latest snapshot waits,
// so the last state wins), and one read at a time. A snapshot that cannot be read is reported and skipped: the
// follower keeps what it shows until the next one. The inbox files stay synchronous: they hold one follower's few
// changes, a claimed inbox (renamed, read and removed) must be handled whole whatever the window's role becomes
// meanwhile, and a closing follower hands over its last changes before dispose() returns.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { Emitter, type Disposable } from './emitter';
import type { ProviderHealth } from './health';
import type { Logger } from './http';
import type { ProviderId } from './run';
import type { RunStore, StoreChange, TrackedRun } from './store';
import { parseAccountsByProvider, parseStoredRuns } from './storedRun';
import { AtomicFileWriter, DEFAULT_HEARTBEAT_MS, readFileIfExists, readIfExists, unref, writeAtomically } from './windowFiles';
import type { Account } from './ports';

export const STATE_FILE = 'runwatch-state.json';
const INBOX_PREFIX = 'runwatch-inbox-';
/** A hand-over file's number, zero-padded so that names sort in the order written. */
const HAND_OVER_DIGITS = 10;

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
  /**
   * Benchmark and soak only: simulated time runs this many times faster. The debounce is how long the leader
   * takes to learn of a run another window started, so it shrinks with the engine's other times.
   */
  timeScale?: number;
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

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const snapshotSchema = z.lazy(() => z.looseObject({
  version: z.number(),
  writerId: z.string(),
  seq: z.number(),
  writtenAt: z.number(),
  runs: z.array(z.unknown()),
  health: z.optional(z.record(z.string(), z.unknown())),
  lists: z.optional(z.unknown()),
  replies: z.optional(z.array(z.unknown())),
}));

const inboxSchema = z.lazy(() => z.looseObject({
  upserts: z.optional(z.array(z.unknown())),
  removals: z.optional(z.array(z.string())),
  requests: z.optional(z.array(z.unknown())),
}));

const providerIdSchema = z.string().check(z.minLength(1));
const requestSchema = z.lazy(() => z.looseObject({
  id: z.string(),
  request: z.union([
    z.looseObject({ op: z.literal('refresh'), keys: z.optional(z.array(z.string())) }),
    z.looseObject({ op: z.literal('accounts'), provider: providerIdSchema }),
    z.looseObject({ op: z.literal('runs'), provider: providerIdSchema, accountId: z.string(), more: z.optional(z.boolean()) }),
    z.looseObject({ op: z.literal('cancel'), key: z.string() }),
  ]),
}));

const listsSchema = z.lazy(() => z.looseObject({
  accounts: z.record(z.string(), z.array(z.unknown())),
  more: z.array(z.string()),
}));
const replySchema = z.lazy(() => z.looseObject({
  id: z.string(),
  ok: z.boolean(),
  error: z.optional(z.looseObject({ kind: z.string(), message: z.string() })),
}));

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
  private readonly applied: Emitter<SharedSnapshot>;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private publishTimer: ReturnType<typeof setTimeout> | undefined;
  private inboxTimer: ReturnType<typeof setTimeout> | undefined;
  private watcher: fs.FSWatcher | undefined;
  private seq = 0;
  /** Hand-over files this window wrote as a follower (the number in the next one's name). */
  private handOvers = 0;
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
  /** Leader: writes the snapshot, one write at a time. */
  private readonly writer: AtomicFileWriter;
  /** Follower: the read of the snapshot in flight, and whether another look was asked for meanwhile. */
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private disposed = false;

  constructor(
    readonly dir: string,
    private readonly store: RunStore,
    private readonly options: SharedStateOptions = {},
  ) {
    this.id = options.id ?? randomUUID();
    this.path = path.join(dir, STATE_FILE);
    this.heartbeatMs = Math.max(10, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.debounceMs = (options.debounceMs ?? 250) / Math.max(1, options.timeScale ?? 1);
    this.refreshMs = options.refreshMs ?? 2 * this.heartbeatMs;
    this.now = options.now ?? (() => Date.now());
    this.applied = new Emitter('shared state', options.log);
    this.storeSubscription = store.onDidChange(change => this.onStoreChange(change));
    this.writer = new AtomicFileWriter(this.path, `${this.path}.${this.id}.${process.pid}.tmp`);
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
    return this.applied.event(listener);
  }

  setRole(role: SharedRole): void {
    if (this.disposed || role === this.currentRole) return;
    this.stopTimers();
    // A snapshot not yet written is no longer this window's to publish.
    if (this.currentRole === 'leader') this.writer.discard();
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
    // Never spend more than a few percent of the time on snapshots, however big the store grows.
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
    const publishedHealth = JSON.stringify(health);
    let written: Promise<void>;
    try {
      written = this.writer.write(JSON.stringify(snapshot));
    } catch (e) {
      written = Promise.reject(e);
    }
    written.then(
      () => {
        this.lastPublishedHealth = publishedHealth;
      },
      (e: unknown) => this.options.log?.warn(`Runwatch could not share its state with other windows: ${(e as Error).message}`),
    );
    this.lastPublishedAt = this.now();
    // What this thread spent (the snapshot made and serialized); the write goes on off it, after any before it.
    this.lastPublishCostMs = Math.max(0, Date.now() - started);
  }

  /** Settles once no snapshot is being written or read by this window (tests; a clean shutdown). */
  async whenIdle(): Promise<void> {
    while (this.reading || this.writer.busy) await Promise.all([this.reading, this.writer.idle()]);
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.currentRole === 'follower') this.flushOutbox();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.disposed = true;
    this.stopTimers();
    this.storeSubscription.dispose();
    this.applied.dispose();
  }

  // ---- both roles ----

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    if (this.warned.size >= 100) this.warned.clear();
    this.warned.add(message);
    this.options.log?.warn(message);
  }

  private warnDamagedInbox(why: string): void {
    this.warnOnce(`Runwatch could not read a hand-over file between windows (${why}); it was set aside.`);
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

  /** Looks at the leader's snapshot: one read at a time, and one more after it when asked again meanwhile. */
  private readAndApply(): void {
    if (this.currentRole !== 'follower' || this.disposed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    const reading: Promise<void> = (async () => {
      do {
        this.readAgain = false;
        await this.readSnapshot();
      } while (this.readAgain);
    })()
      .catch((e: unknown) => this.warnOnce(`Runwatch could not apply the state another window shared: ${(e as Error).message}`))
      .finally(() => {
        if (this.reading === reading) this.reading = undefined;
      });
    this.reading = reading;
  }

  private async readSnapshot(): Promise<void> {
    const stillFollowing = () => this.currentRole === 'follower' && !this.disposed;
    if (!stillFollowing()) return;
    let stat: fs.Stats;
    try {
      stat = await fsp.stat(this.path);
    } catch {
      return; // nothing published yet
    }
    const signature = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (signature === this.lastSeenStat) return;
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.path);
    } catch {
      return; // the next look will do
    }
    // Applied only while this window still follows: a window that took the lease meanwhile is the one publishing.
    if (text === undefined || !stillFollowing()) return;
    this.lastSeenStat = signature;
    const read = readJson(text, snapshotSchema);
    if ('why' in read) {
      // Files are renamed into place whole, so this one stays damaged until the leader's next snapshot replaces
      // it: said once, not read again until then, and what this window shows stays as it is.
      this.warnOnce(`Runwatch could not read the state another window shared (${read.why}); it keeps what it shows until the next one.`);
      return;
    }
    const parsed = read.data;
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
    this.applied.fire(snapshot);
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

  /**
   * Hands this window's changes and requests to the leader in a file of their own. Never by adding to a file
   * the leader may be collecting at that very moment (it is another process): the read-then-write could hand
   * over again a request the leader had already carried out. The leader takes one window's files in the order
   * they were written (the number in the name).
   */
  private flushOutbox(): void {
    if (this.inboxTimer) clearTimeout(this.inboxTimer);
    this.inboxTimer = undefined;
    if (!this.outbox.upserts.length && !this.outbox.removals.length && !this.outbox.requests.length) return;
    const file = path.join(this.dir, `${INBOX_PREFIX}${this.id}-${String(++this.handOvers).padStart(HAND_OVER_DIGITS, '0')}.json`);
    try {
      writeAtomically(file, JSON.stringify(this.outbox satisfies Inbox), this.id);
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
      // Sorted: one window's hand-overs in the order it wrote them.
      names = fs.readdirSync(this.dir).filter(n => n.startsWith(INBOX_PREFIX) && n.endsWith('.json')).sort();
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
        inbox = parseInbox(readIfExists(claimed), why => this.warnDamagedInbox(why));
      } catch (e) {
        // Claimed but unreadable (no permission, a folder by that name): set aside like a damaged one. Thrown
        // out of here it would escape the heartbeat timer and stop the other inboxes being collected.
        this.warnDamagedInbox(`it could not be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        continue;
      } finally {
        try {
          fs.rmSync(claimed, { force: true, recursive: true });
        } catch {
          // Left behind under its claimed name, which no window reads again.
        }
      }
      for (const entry of inbox.upserts) {
        const local = this.store.get(entry.key);
        if (!local || newerThere(entry, local)) this.store.applyRemote(entry);
      }
      for (const key of inbox.removals) this.store.remove(key);
      // Our own inbox from when we followed: its requests are still pending here, and takeOverPending() does them.
      if (name.startsWith(`${INBOX_PREFIX}${this.id}-`)) continue;
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

/** An inbox's changes and requests; a damaged one (said through `onDamaged`) is read as empty. */
function parseInbox(text: string | undefined, onDamaged: (why: string) => void): Inbox {
  const empty: Inbox = { upserts: [], removals: [], requests: [] };
  if (text === undefined) return empty;
  const read = readJson(text, inboxSchema);
  if ('why' in read) {
    onDamaged(read.why);
    return empty;
  }
  const upserts = parseStoredRuns(read.data.upserts ?? [], () => undefined);
  const requests = (read.data.requests ?? []).filter(e => requestSchema.safeParse(e).success) as Inbox['requests'];
  return { upserts, removals: read.data.removals ?? [], requests };
}

/** A file another window wrote, checked against `schema`; or, for one damaged, cut short or edited by hand, why not. */
function readJson<T>(text: string, schema: z.ZodMiniType<T>): { data: T } | { why: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { why: 'it is not complete JSON' };
  }
  const result = schema.safeParse(value);
  return result.success ? { data: result.data } : { why: 'it is not in the shape Runwatch writes' };
}

function pickHealth(raw: Record<string, unknown> | undefined): Partial<Record<ProviderId, ProviderHealth>> {
  const out: Partial<Record<ProviderId, ProviderHealth>> = {};
  for (const [id, h] of Object.entries(raw ?? {}) as [ProviderId, { state?: unknown } | undefined][]) {
    if (h && typeof h === 'object' && typeof h.state === 'string') out[id] = h as ProviderHealth;
  }
  return out;
}
