// Cross-window leadership and shared state, with real files in a temporary directory and a fake clock.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
// The module object itself (the namespace above only reads through to it), to step in between two of its calls.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SchedulerOptions } from '../../src/core/contracts';
import { FileLease, LEASE_FILE } from '../../src/core/lease';
import { SharedStateFile, STATE_FILE, type SharedSnapshot, type SharedStateOptions } from '../../src/core/sharedState';
import type { ProviderId, Run } from '../../src/core/run';
import { Scheduler } from '../../src/core/scheduler';
import { RunStore } from '../../src/core/store';
import type { Provider, RunRef } from '../../src/providers/provider';
import { fakeEngineClock, type FakeClock } from './support';

const T0 = Date.parse('2026-04-07T10:00:00Z');
const HEARTBEAT = 2000;

function run(id: string, over: Partial<Run> = {}): Run {
  return { provider: 'boringMarketing', accountId: 'brand-1', id, kind: 'full', status: 'running', rawStatus: 'running', startedAt: new Date(T0).toISOString(), ...over };
}

/** Lets the store's change events (microtasks) reach their listeners. */
const settle = () => new Promise(resolve => setImmediate(resolve));

describe('FileLease', () => {
  let clock: FakeClock;
  let dir: string;
  const leases: FileLease[] = [];

  function lease(id: string, options: { heartbeatMs?: number; staleAfterMs?: number; now?: () => number } = {}): FileLease {
    const l = new FileLease(dir, { id, heartbeatMs: HEARTBEAT, ...options });
    leases.push(l);
    return l;
  }

  const leaders = () => leases.filter(l => l.isLeader).map(l => l.id);

  beforeEach(() => {
    clock = fakeEngineClock(T0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-lease-'));
  });

  afterEach(() => {
    for (const l of leases.splice(0)) l.dispose();
    clock.uninstall();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('elects exactly one leader among two windows, and keeps it', async () => {
    const a = lease('window-a');
    const b = lease('window-b');
    a.start();
    b.start();
    assert.deepEqual(leaders(), ['window-a']);
    for (let i = 0; i < 10; i++) {
      await clock.tickAsync(HEARTBEAT);
      assert.deepEqual(leaders(), ['window-a'], `still one leader after ${i + 1} heartbeats`);
    }
    const record = JSON.parse(fs.readFileSync(path.join(dir, LEASE_FILE), 'utf8'));
    assert.equal(record.holderId, 'window-a');
    assert.equal(record.pid, process.pid);
    assert.equal(record.heartbeatAt, Date.now(), 'renewed at every heartbeat');
    assert.deepEqual(fs.readdirSync(dir).sort(), [LEASE_FILE], 'no temporary or lock file left behind');
  });

  it('hands over within two heartbeats when the leader closes', async () => {
    const a = lease('window-a');
    const b = lease('window-b');
    const changes: boolean[] = [];
    b.onDidChangeLeadership(isLeader => changes.push(isLeader));
    a.start();
    await clock.tickAsync(500);
    b.start();
    assert.equal(b.isLeader, false);
    a.dispose();
    assert.equal(fs.existsSync(path.join(dir, LEASE_FILE)), false, 'the lease is released at once');
    await clock.tickAsync(2 * HEARTBEAT);
    assert.equal(b.isLeader, true);
    assert.deepEqual(changes, [true], 'told once');
  });

  it('replaces a leader that stopped heart-beating (a crash) once its heartbeat is stale, not before', async () => {
    const staleAfterMs = 3 * HEARTBEAT;
    const a = lease('window-a', { staleAfterMs });
    const b = lease('window-b', { staleAfterMs });
    a.start();
    b.start();
    await clock.tickAsync(HEARTBEAT);
    const lastBeat = JSON.parse(fs.readFileSync(path.join(dir, LEASE_FILE), 'utf8')).heartbeatAt as number;
    a.stopHeartbeat();
    let tookOverAt: number | undefined;
    b.onDidChangeLeadership(isLeader => (tookOverAt = isLeader ? Date.now() : undefined));
    await clock.tickAsync(staleAfterMs + 3 * HEARTBEAT);
    assert.ok(tookOverAt !== undefined, 'a follower took over');
    assert.ok(tookOverAt > lastBeat + staleAfterMs, 'not while the heartbeat was still fresh');
    assert.ok(tookOverAt <= lastBeat + staleAfterMs + HEARTBEAT, `at the first check after it went stale (${tookOverAt - lastBeat} ms after the last beat)`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, LEASE_FILE), 'utf8')).holderId, 'window-b');
  });

  it('takes over at once from a process that no longer exists, but not from a live one', () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid!;
    const file = path.join(dir, LEASE_FILE);
    fs.writeFileSync(file, JSON.stringify({ holderId: 'crashed', pid: exited, hostname: os.hostname(), heartbeatAt: Date.now() }));
    const a = lease('window-a');
    a.start();
    assert.equal(a.isLeader, true, 'the holder’s process is gone: no need to wait for staleness');
    a.dispose();
    fs.writeFileSync(file, JSON.stringify({ holderId: 'other-window', pid: process.ppid, hostname: os.hostname(), heartbeatAt: Date.now() }));
    const b = lease('window-b');
    b.start();
    assert.equal(b.isLeader, false, 'a live holder with a fresh heartbeat keeps the lease');
  });

  it('breaks a lock left behind by a crash and ignores a damaged lease file', () => {
    fs.writeFileSync(path.join(dir, `${LEASE_FILE}.lock`), JSON.stringify({ holderId: 'crashed', at: Date.now() - 60_000 }));
    fs.writeFileSync(path.join(dir, LEASE_FILE), '{"holderId": "half-writ');
    const a = lease('window-a');
    a.start();
    assert.equal(a.isLeader, true);
    assert.equal(fs.existsSync(path.join(dir, `${LEASE_FILE}.lock`)), false);
  });

  it('leaves alone a lock another window took after breaking the same stale lock', () => {
    const lockPath = path.join(dir, `${LEASE_FILE}.lock`);
    const crashed = JSON.stringify({ holderId: 'crashed', at: Date.now() - 60_000 });
    const windowB = JSON.stringify({ holderId: 'window-b', at: Date.now() });
    fs.writeFileSync(lockPath, crashed);
    // Window A reads the crashed lock and judges it stale; before A acts on that, window B breaks the same
    // lock and takes one of its own (B is deciding now). A reads its clock right after reading the lock.
    let clockReads = 0;
    const a = lease('window-a', {
      now: () => {
        if (++clockReads === 2) {
          fs.rmSync(lockPath);
          fs.writeFileSync(lockPath, windowB);
        }
        return Date.now();
      },
    });
    a.start();
    assert.equal(fs.readFileSync(lockPath, 'utf8'), windowB, 'B’s lock is still there: A did not remove it');
    assert.equal(a.isLeader, false, 'A decided nothing while B held the lock');
    assert.deepEqual(fs.readdirSync(dir).sort(), [`${LEASE_FILE}.lock`], 'nothing of A’s left behind');

    // B finishes (releases its lock without taking the lease): A decides at its next heartbeat.
    fs.rmSync(lockPath);
    clock.tick(HEARTBEAT);
    assert.equal(a.isLeader, true);
  });

  it('of two windows that judge the same lock stale, only the one that renames it first goes on', () => {
    const lockPath = path.join(dir, `${LEASE_FILE}.lock`);
    fs.writeFileSync(lockPath, JSON.stringify({ holderId: 'crashed', at: Date.now() - 60_000 }));
    const b = lease('window-b');
    let clockReads = 0;
    const a = lease('window-a', {
      now: () => {
        // A has judged the crashed lock stale; B breaks it first and decides (takes the lease) meanwhile.
        if (++clockReads === 2) b.start();
        return Date.now();
      },
    });
    a.start();
    assert.deepEqual(leaders(), ['window-b']);
    assert.deepEqual(fs.readdirSync(dir).sort(), [LEASE_FILE], 'the broken lock was removed, nothing left behind');
    clock.tick(5 * HEARTBEAT);
    assert.deepEqual(leaders(), ['window-b'], 'and it stays that way');
  });

  it('treats a heartbeat from the future as the holder’s: one leader across a clock skew', async () => {
    const skewMs = 10 * 60_000;
    // A's clock runs ten minutes ahead of B's.
    const a = lease('window-a', { now: () => Date.now() + skewMs });
    const b = lease('window-b');
    a.start();
    b.start();
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(leaders(), ['window-a'], `one leader after ${i} heartbeats`);
      await clock.tickAsync(HEARTBEAT);
    }
    // A crashes: its last heartbeat stays ten minutes ahead of B's clock. B takes over once it stops moving.
    a.stopHeartbeat();
    const stoppedAt = Date.now();
    let tookOverAt: number | undefined;
    b.onDidChangeLeadership(isLeader => (tookOverAt = isLeader ? Date.now() : undefined));
    await clock.tickAsync(3 * HEARTBEAT + 3 * HEARTBEAT);
    assert.ok(tookOverAt !== undefined, 'B took over well before the skew has passed');
    assert.ok(tookOverAt - stoppedAt > 3 * HEARTBEAT, 'not before the heartbeat had stood still for the stale time');
  });

  it('does not let a heartbeat absurdly far in the future block the lease for more than the stale time', async () => {
    // A hand edit or a clock set years ahead, by a process that exists (the pid alone does not free it).
    fs.writeFileSync(path.join(dir, LEASE_FILE), JSON.stringify({ holderId: 'far-future', pid: process.ppid, hostname: os.hostname(), heartbeatAt: Date.now() + 10 * 365 * 24 * 3600_000 }));
    const b = lease('window-b');
    b.start();
    assert.equal(b.isLeader, false, 'a heartbeat ahead of our clock is its holder’s at first');
    await clock.tickAsync(3 * HEARTBEAT + 2 * HEARTBEAT);
    assert.equal(b.isLeader, true, 'it never moved: stale after the stale time, not in ten years');
  });
});

describe('SharedStateFile', () => {
  let clock: FakeClock;
  let dir: string;
  const disposables: SharedStateFile[] = [];

  /** Lets every window's snapshot reads and writes finish: real file I/O, which the fake clock does not run. */
  const io = () => Promise.all(disposables.map(d => d.whenIdle()));
  /** Advances the fake clock in short steps, letting each step's file I/O finish before the next, as real time would. */
  async function advance(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 50) {
      await clock.tickAsync(Math.min(50, left));
      await io();
    }
  }

  function shared(id: string, store: RunStore, health?: () => SharedSnapshot['health'], log?: SharedStateOptions['log']): SharedStateFile {
    const s = new SharedStateFile(dir, store, { id, heartbeatMs: HEARTBEAT, watch: false, health, log });
    disposables.push(s);
    return s;
  }

  /** A window whose warnings and errors are kept, to check what it says about damaged files. */
  function sharedSaying(id: string, store: RunStore): { file: SharedStateFile; warnings: string[] } {
    const warnings: string[] = [];
    const file = shared(id, store, undefined, { trace() {}, debug() {}, info() {}, warn: m => void warnings.push(m), error: m => void warnings.push(m) });
    return { file, warnings };
  }

  beforeEach(() => {
    clock = fakeEngineClock(T0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-state-'));
  });

  afterEach(async () => {
    for (const d of disposables) d.dispose();
    await io();
    disposables.splice(0);
    clock.uninstall();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips the leader’s runs, their flags and provider health to a follower’s store', async () => {
    const leaderStore = new RunStore();
    leaderStore.upsert(run('active', { progress: { current: 'evidence_collection', index: 4, total: 6 } }), { pinned: true });
    leaderStore.upsert(run('flaky'));
    for (let i = 0; i < 3; i++) leaderStore.recordFailure('boringMarketing:flaky', 'Boring Marketing had a server error (HTTP 502).');
    leaderStore.upsert(run('vanished'));
    leaderStore.markGone('boringMarketing:vanished', 'Boring Marketing has no such run (404).');
    leaderStore.upsert(run('slow'));
    leaderStore.setStuck('boringMarketing:slow', true);
    leaderStore.upsert(run('done', { status: 'failed', rawStatus: 'failed', error: { message: 'DataForSEO rate limit exceeded' } }));
    const health = { gloriaMundo: { state: 'rateLimited' as const, message: 'GloriaMundo: too many requests', until: T0 + 30_000 } };
    const leader = shared('leader', leaderStore, () => health);
    leader.setRole('leader');
    await io();

    const followerStore = new RunStore();
    const follower = shared('follower', followerStore);
    const applied: SharedSnapshot[] = [];
    follower.onDidApply(s => applied.push(s));
    follower.setRole('follower');
    await io();

    assert.equal(applied.length, 1);
    const strip = (store: RunStore) => JSON.parse(JSON.stringify(store.all().sort((x, y) => x.key.localeCompare(y.key))));
    assert.deepEqual(strip(followerStore), strip(leaderStore), 'every run with its state, confirmation time and flags');
    assert.equal(followerStore.get('boringMarketing:flaky')?.stale, true);
    assert.equal(followerStore.get('boringMarketing:vanished')?.gone, true);
    assert.equal(followerStore.get('boringMarketing:slow')?.stuck, true);
    assert.deepEqual(follower.remoteHealth, health);

    // A later change reaches the follower after the debounce and its next look at the file.
    clock.tick(5000);
    leaderStore.upsert(run('active', { progress: { current: 'leverage_scoring', index: 5, total: 6 } }));
    await advance(250 + HEARTBEAT);
    assert.equal(followerStore.get('boringMarketing:active')?.run.progress?.current, 'leverage_scoring');
    leaderStore.remove('boringMarketing:done');
    await advance(250 + HEARTBEAT);
    assert.equal(followerStore.get('boringMarketing:done'), undefined, 'a run the leader stopped tracking goes here too');
  });

  it('writes a burst of changes once, after the debounce', async () => {
    const store = new RunStore();
    const leader = shared('leader', store);
    leader.setRole('leader');
    await io();
    const seq = () => JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')).seq as number;
    const first = seq();
    for (let i = 0; i < 20; i++) {
      store.upsert(run(`r${i}`));
      await settle();
    }
    await advance(249);
    assert.equal(seq(), first, 'nothing written inside the debounce window');
    await advance(1);
    assert.equal(seq(), first + 1, 'one write for the whole burst');
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')).runs.length, 20);
  });

  it('shortens the debounce by the benchmark’s time scale, so a run another window started reaches the leader as soon as in real use', async () => {
    const store = new RunStore();
    const leader = new SharedStateFile(dir, store, { id: 'leader', heartbeatMs: HEARTBEAT, watch: false, timeScale: 10 });
    disposables.push(leader);
    leader.setRole('leader');
    await io();
    const seq = () => JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')).seq as number;
    const first = seq();
    store.upsert(run('started-elsewhere'));
    await settle();
    await clock.tickAsync(24);
    await io();
    assert.equal(seq(), first, 'nothing written inside the scaled debounce (25 ms at time scale 10)');
    await clock.tickAsync(1);
    await io();
    assert.equal(seq(), first + 1, 'written after 250 ms ÷ 10, not after 250 ms');
  });

  it('hands what a follower starts or stops tracking to the leader, and does not take a removal back', async () => {
    const leaderStore = new RunStore();
    leaderStore.upsert(run('shared'));
    const leader = shared('leader', leaderStore);
    leader.setRole('leader');
    await io();
    const followerStore = new RunStore();
    const follower = shared('follower', followerStore);
    follower.setRole('follower');
    await io();
    await settle();

    // Started in the follower window: the leader must learn of it to poll it.
    clock.tick(1000);
    followerStore.upsert(run('started-here', { status: 'queued', rawStatus: 'queued' }), { pinned: true });
    followerStore.remove('boringMarketing:shared');
    await settle();
    leader.publishNow(); // a snapshot that crossed the removal on its way: it still lists the run
    await io();
    await advance(250 + HEARTBEAT);
    assert.equal(followerStore.get('boringMarketing:shared'), undefined, 'a snapshot older than the removal does not bring the run back');
    assert.equal(leaderStore.get('boringMarketing:started-here')?.pinned, true, 'the leader now tracks the run started in the follower');
    assert.equal(leaderStore.get('boringMarketing:shared'), undefined, 'and stopped tracking the one untracked there');
    await advance(250 + HEARTBEAT);
    assert.equal(followerStore.get('boringMarketing:shared'), undefined, 'the next snapshot does not bring it back');
    assert.ok(followerStore.get('boringMarketing:started-here'));
    assert.deepEqual(fs.readdirSync(dir).filter(n => n.includes('inbox')), [], 'the inbox was collected');
  });

  it('a follower skips a shared entry it cannot read and applies the entries after it', async () => {
    // What a leader on another version (or a hand edit) may publish: written here by hand.
    const source = new RunStore();
    for (const id of ['a', 'b', 'c']) source.upsert(run(id, { progress: { current: 'family_discovery', index: 1, total: 6 } }));
    const publish = (seq: number, runs: unknown[]) =>
      fs.writeFileSync(path.join(dir, STATE_FILE), JSON.stringify({ version: 1, writerId: 'other-version', seq, writtenAt: Date.now(), runs, health: {} }));
    const entries = () => JSON.parse(JSON.stringify(source.all())) as Record<string, unknown>[];
    publish(1, entries());
    const followerStore = new RunStore();
    const { file: follower, warnings } = sharedSaying('follower', followerStore);
    follower.setRole('follower');
    await io();
    assert.deepEqual(followerStore.all().map(t => t.key).sort(), ['boringMarketing:a', 'boringMarketing:b', 'boringMarketing:c']);

    clock.tick(5000);
    for (const id of ['a', 'b', 'c']) source.upsert(run(id, { progress: { current: 'evidence_collection', index: 4, total: 6 } }));
    const next = entries();
    (next[1].run as { progress: unknown }).progress = { stages: 'evidence_collection' };
    publish(2, next);
    await advance(HEARTBEAT);
    assert.equal(followerStore.get('boringMarketing:a')?.run.progress?.current, 'evidence_collection');
    assert.equal(followerStore.get('boringMarketing:c')?.run.progress?.current, 'evidence_collection', 'the entry after the bad one is applied');
    assert.equal(followerStore.get('boringMarketing:b')?.run.progress?.current, 'family_discovery', 'the bad one keeps what was known, and stays tracked');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /boringMarketing:b.*progress\.stages/);

    // Republished unchanged: said once, not at every look.
    publish(3, next);
    await advance(HEARTBEAT);
    assert.equal(warnings.length, 1);
  });

  it('a follower reads a damaged snapshot as nothing new: says so once, keeps what it shows, and applies the next good one', async () => {
    // Snapshots written by hand (a leader would republish over the damage), each renamed into place as a writer does.
    const stateFile = path.join(dir, STATE_FILE);
    const overwrite = (text: string) => {
      fs.writeFileSync(`${stateFile}.test.tmp`, text);
      fs.renameSync(`${stateFile}.test.tmp`, stateFile);
    };
    const source = new RunStore();
    const snapshot = (seq: number, current: string) => {
      source.upsert(run('a', { progress: { current, index: 3, total: 6 } }));
      return JSON.stringify({ version: 1, writerId: 'leader', seq, writtenAt: Date.now(), runs: source.all(), health: {} });
    };
    const good = snapshot(1, 'family_discovery');
    overwrite(good);
    const followerStore = new RunStore();
    const { file: follower, warnings } = sharedSaying('follower', followerStore);
    follower.setRole('follower');
    await io();
    assert.ok(followerStore.get('boringMarketing:a'));

    overwrite('\u0000\u0007garbage{{{ not json');
    await advance(2 * HEARTBEAT);
    overwrite(good.slice(0, Math.floor(good.length / 2)));
    await advance(2 * HEARTBEAT);
    overwrite(JSON.stringify({ runs: 'not a list' }));
    await advance(2 * HEARTBEAT);
    assert.deepEqual(followerStore.all().map(t => t.key), ['boringMarketing:a'], 'what it showed is kept, not read as no runs');
    assert.equal(followerStore.get('boringMarketing:a')?.run.progress?.current, 'family_discovery');
    assert.deepEqual(warnings, [
      'Runwatch could not read the state another window shared (it is not complete JSON); it keeps what it shows until the next one.',
      'Runwatch could not read the state another window shared (it is not in the shape Runwatch writes); it keeps what it shows until the next one.',
    ]);

    clock.tick(5000);
    overwrite(snapshot(2, 'evidence_collection'));
    await advance(HEARTBEAT);
    assert.equal(followerStore.get('boringMarketing:a')?.run.progress?.current, 'evidence_collection', 'the next good snapshot applies');
  });

  it("carries a follower's request out once, even when the leader collects its hand-over file while the follower writes the next", async () => {
    const leader = shared('leader', new RunStore());
    const carriedOut: string[] = [];
    leader.onRequest(async request => void carriedOut.push(request.op === 'refresh' ? (request.keys ?? []).join() : request.op));
    leader.setRole('leader');
    await io();
    const follower = shared('follower', new RunStore());
    follower.setRole('follower');
    await io();
    void follower.request({ op: 'refresh', keys: ['first'] }).catch(() => {});
    // The leader is another process: it may collect the follower's pending hand-over at any moment, here while
    // the follower is writing its second request to disk.
    const write = nodeFs.writeFileSync;
    let collected = false;
    const writeWhileLeaderCollects: typeof nodeFs.writeFileSync = (file, ...rest) => {
      write(file, ...rest);
      if (!collected && String(file).includes('runwatch-inbox-follower')) {
        collected = true;
        clock.tick(HEARTBEAT);
      }
    };
    nodeFs.writeFileSync = writeWhileLeaderCollects;
    try {
      void follower.request({ op: 'refresh', keys: ['second'] }).catch(() => {});
    } finally {
      nodeFs.writeFileSync = write;
    }
    await advance(3 * HEARTBEAT);
    assert.ok(collected, 'the leader collected while the follower wrote');
    assert.deepEqual(carriedOut.sort(), ['first', 'second']);
  });

  it("carries a follower's requests out in the order asked, however many wait for a leader", async () => {
    const follower = shared('follower', new RunStore());
    follower.setRole('follower');
    await io();
    const asked = Array.from({ length: 12 }, (_, i) => `request ${i + 1}`);
    for (const key of asked) void follower.request({ op: 'refresh', keys: [key] }).catch(() => {});
    const leader = shared('leader', new RunStore());
    const carriedOut: string[] = [];
    leader.onRequest(async request => void carriedOut.push(request.op === 'refresh' ? (request.keys ?? []).join() : request.op));
    leader.setRole('leader');
    await advance(HEARTBEAT);
    assert.deepEqual(carriedOut, asked);
  });

  /** A leader that collects hand-overs (with its warnings), and a follower that hands one over on request. */
  const leaderAndFollower = async () => {
    const leaderStore = new RunStore();
    const { file: leader, warnings } = sharedSaying('leader', leaderStore);
    leader.setRole('leader');
    await io();
    const followerStore = new RunStore();
    shared('follower', followerStore).setRole('follower');
    await io();
    const handOver = async () => {
      followerStore.upsert(run('started-there'));
      await advance(250 + HEARTBEAT);
      return leaderStore.get('boringMarketing:started-there');
    };
    return { leaderStore, warnings, handOver };
  };

  it('the leader sets aside a hand-over file it cannot read at all, says so, and still collects the others', async () => {
    const { warnings, handOver } = await leaderAndFollower();
    // A folder under a hand-over file's name: claimed like one, but reading it fails (EISDIR), as no permission would.
    const unreadable = path.join(dir, 'runwatch-inbox-broken.json');
    fs.mkdirSync(unreadable);
    assert.ok(await handOver(), "the follower's hand-over arrives all the same");
    assert.equal(fs.existsSync(unreadable), false, 'set aside');
    assert.deepEqual(warnings, ['Runwatch could not read a hand-over file between windows (it could not be read: EISDIR); it was set aside.']);
  });

  it('the leader reads a damaged hand-over file as empty, says so, sets it aside, and takes the next one', async () => {
    const { leaderStore, warnings, handOver } = await leaderAndFollower();
    const inbox = path.join(dir, 'runwatch-inbox-follower.json');
    fs.writeFileSync(inbox, '{"upserts": [{"key": "boringMarketing:x", "run": {"provider": "boringMa');
    await advance(HEARTBEAT);
    assert.equal(fs.existsSync(inbox), false, 'set aside');
    assert.deepEqual(leaderStore.all(), []);
    assert.deepEqual(warnings, ['Runwatch could not read a hand-over file between windows (it is not complete JSON); it was set aside.']);
    assert.ok(await handOver(), 'the next hand-over arrives');
  });
});

describe('Windows sharing one lease: runs are polled once', () => {
  it('only the leader polls; when it closes, the follower takes over and polls', async () => {
    const clock = fakeEngineClock(T0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-windows-'));
    const options: SchedulerOptions = { whenUnfocused: 'normal', unfocusedFactor: 1, maxConcurrentPerProvider: 4, stuckAfterMs: 0, minIntervalMs: {} };
    const windows = ['a', 'b'].map(name => {
      const calls: number[] = [];
      const provider = {
        id: 'boringMarketing',
        cadenceMs: () => 10_000,
        getRun: async (ref: RunRef) => {
          calls.push(Date.now());
          return run(ref.id);
        },
      } as unknown as Provider;
      const store = new RunStore();
      store.upsert(run('r1'));
      const lease = new FileLease(dir, { id: `window-${name}`, heartbeatMs: HEARTBEAT });
      const scheduler = new Scheduler({ store, provider: (id: ProviderId) => (id === 'boringMarketing' ? provider : undefined), onHealth: () => {} }, options);
      const sharedState = new SharedStateFile(dir, store, { id: lease.id, heartbeatMs: HEARTBEAT, watch: false });
      const follow = (isLeader: boolean) => {
        scheduler.setPassive(!isLeader);
        sharedState.setRole(isLeader ? 'leader' : 'follower');
      };
      lease.onDidChangeLeadership(follow);
      scheduler.setPassive(true);
      scheduler.start();
      lease.start();
      follow(lease.isLeader);
      return { calls, lease, scheduler, sharedState, store };
    });
    try {
      const [a, b] = windows;
      await clock.tickAsync(5 * 60_000);
      assert.ok(a.calls.length >= 29, `the leader polls (${a.calls.length})`);
      assert.equal(b.calls.length, 0, 'the follower makes no request');
      const confirmedByLeader = a.store.get('boringMarketing:r1')!.lastConfirmedAt!;
      // In short steps, each step's file I/O (the snapshot written, then read) finishing before the next, as in real time.
      for (let left = 3 * HEARTBEAT + 250; left > 0; left -= 50) {
        await clock.tickAsync(Math.min(50, left));
        await Promise.all(windows.map(w => w.sharedState.whenIdle()));
      }
      assert.ok(b.store.get('boringMarketing:r1')!.lastConfirmedAt! >= confirmedByLeader, 'yet sees what the leader confirmed within a few heartbeats');
      a.scheduler.dispose();
      a.sharedState.dispose();
      a.lease.dispose();
      await clock.tickAsync(2 * HEARTBEAT);
      assert.equal(b.lease.isLeader, true);
      await clock.tickAsync(60_000);
      assert.ok(b.calls.length >= 6, `the new leader polls (${b.calls.length})`);
    } finally {
      for (const w of windows) {
        w.scheduler.dispose();
        w.sharedState.dispose();
        w.lease.dispose();
      }
      await Promise.all(windows.map(w => w.sharedState.whenIdle()));
      clock.uninstall();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
