// Notification policy under a fake clock: what is shown, when, batched how and worded how.
import * as assert from 'node:assert/strict';
import { AwayTracker, NotificationBatcher, awaySummary, finishedWhileClosed, type NotificationBatch, type NotificationPolicy, type NotifyEvent } from '../../src/core/notifyPolicy';
import type { Run, RunStatus } from '../../src/core/run';
import type { TrackedRun } from '../../src/core/store';
import { fakeEngineClock, type FakeClock } from './support';

const T0 = Date.parse('2026-04-07T10:00:00Z');
const ALL: NotificationPolicy = { onSuccess: true, onFailure: true, onCancel: true, onStuck: true };

function run(id: string, over: Partial<Run> = {}): Run {
  return { provider: 'boringMarketing', accountId: 'acme.com', id, kind: 'analyze', status: 'running', rawStatus: 'running', ...over };
}

function event(id: string, kind: NotifyEvent['kind'], over: Partial<Run> = {}): NotifyEvent {
  const status: RunStatus = kind === 'stuck' ? 'running' : kind;
  return { key: `boringMarketing:${id}`, kind, run: run(id, { status, rawStatus: status, ...over }) };
}

function tracked(id: string, status: RunStatus, over: Partial<TrackedRun> = {}): TrackedRun {
  return {
    key: `boringMarketing:${id}`,
    run: run(id, { status, rawStatus: status }),
    firstSeenAt: T0,
    lastConfirmedAt: T0,
    lastChangedAt: T0,
    failures: 0,
    stale: false,
    gone: false,
    stuck: false,
    acknowledged: false,
    polls: 0,
    pinned: false,
    ...over,
  };
}

describe('NotificationBatcher', () => {
  let clock: FakeClock;
  let batches: NotificationBatch[];
  let quiet: boolean;

  beforeEach(() => {
    clock = fakeEngineClock(T0);
    batches = [];
    quiet = false;
  });

  afterEach(() => clock.uninstall());

  function batcher(policy: NotificationPolicy = ALL): NotificationBatcher {
    const b = new NotificationBatcher({ policy, batchWindowMs: 1500, quiet: () => quiet, now: () => Date.now() });
    b.onFlush(batch => batches.push(batch));
    return b;
  }

  it('shows one event with a specific message once the batch window closes', async () => {
    const b = batcher();
    b.push(event('r1', 'failed', { error: { message: 'DataForSEO rate limit exceeded' } }));
    await clock.tickAsync(1499);
    assert.equal(batches.length, 0, 'waits for the window');
    await clock.tickAsync(1);
    assert.equal(batches.length, 1);
    assert.equal(batches[0].summary, 'Analyze on acme.com failed: DataForSEO rate limit exceeded');
    assert.equal(batches[0].quiet, false);
    assert.equal(batches[0].at, T0 + 1500);
  });

  it('summarises several events in one window', async () => {
    const b = batcher();
    b.push(event('r1', 'succeeded'));
    await clock.tickAsync(500);
    b.push(event('r2', 'failed', { error: { message: 'boom' } }));
    b.push(event('r3', 'succeeded'));
    await clock.tickAsync(1000);
    assert.equal(batches.length, 1);
    assert.equal(batches[0].summary, '3 runs finished: 2 succeeded, 1 failed');
    assert.equal(batches[0].events.length, 3);
  });

  it('does not extend the window forever under a steady stream of events', async () => {
    const b = batcher();
    for (let i = 0; i < 6; i++) {
      b.push(event(`r${i}`, 'succeeded'));
      await clock.tickAsync(500);
    }
    assert.ok(batches.length >= 1, 'the first batch was shown after 1.5 s');
    assert.equal(batches[0].events.length, 3);
  });

  it('never repeats the same transition for the same run', async () => {
    const b = batcher();
    assert.equal(b.push(event('r1', 'failed')), true);
    assert.equal(b.push(event('r1', 'failed')), false);
    await clock.tickAsync(2000);
    assert.equal(b.push(event('r1', 'failed')), false, 'not in a later window either');
    assert.equal(b.push(event('r1', 'stuck')), true, 'another kind for the same run is news');
    await clock.tickAsync(2000);
    assert.deepEqual(
      batches.map(x => x.events.length),
      [1, 1],
    );
  });

  it('follows the settings per kind', async () => {
    const b = batcher({ onSuccess: false, onFailure: true, onCancel: false, onStuck: true });
    assert.equal(b.push(event('a', 'succeeded')), false);
    assert.equal(b.push(event('b', 'cancelled')), false);
    assert.equal(b.push(event('c', 'failed')), true);
    assert.equal(b.push(event('d', 'stuck', { progress: { current: 'evidence_collection' } })), true);
    await clock.tickAsync(1500);
    assert.equal(batches[0].summary, 'Analyze on acme.com failed: the provider gave no reason; 1 run looks stuck');
    b.updatePolicy({ onSuccess: true });
    b.push(event('e', 'succeeded'));
    await clock.tickAsync(1500);
    assert.equal(batches[1].summary, 'Analyze on acme.com succeeded');
  });

  it('words stuck and cancelled runs and names the failing step', async () => {
    const b = batcher();
    b.push(event('s', 'stuck', { kind: 'llm_enrichment', progress: { current: 'evidence_collection' } }));
    await clock.tickAsync(1500);
    b.push(event('c', 'cancelled', { kind: 'discovery' }));
    await clock.tickAsync(1500);
    b.push(event('f', 'failed', { error: { message: 'timeout', step: 'family_discovery' } }));
    await clock.tickAsync(1500);
    assert.deepEqual(
      batches.map(x => x.summary),
      [
        'LLM enrichment on acme.com looks stuck in Evidence collection: no progress for a long time',
        'Discovery on acme.com was cancelled',
        'Analyze on acme.com failed in Family discovery: timeout',
      ],
    );
  });

  it('flags a batch quiet while the view is visible and focused', async () => {
    const b = batcher();
    quiet = true;
    b.push(event('r1', 'succeeded'));
    await clock.tickAsync(1500);
    assert.equal(batches[0].quiet, true);
  });

  it('leaves no timer once flushed or disposed', async () => {
    const b = batcher();
    b.push(event('r1', 'succeeded'));
    assert.equal(clock.countTimers(), 1);
    b.flush();
    assert.equal(batches.length, 1);
    assert.equal(clock.countTimers(), 0);
    b.push(event('r2', 'succeeded'));
    b.dispose();
    assert.equal(clock.countTimers(), 0);
    await clock.tickAsync(5000);
    assert.equal(batches.length, 1, 'a disposed batcher shows nothing');
  });
});

describe('awaySummary and AwayTracker', () => {
  it('summarises what finished while away', () => {
    assert.equal(awaySummary([event('a', 'succeeded'), event('b', 'failed')]), 'While you were away: 2 runs finished, 1 failed');
    assert.equal(awaySummary([event('a', 'succeeded'), event('a', 'succeeded'), event('b', 'cancelled'), event('c', 'stuck')]), 'While you were away: 2 runs finished, 1 cancelled; 1 run looks stuck');
    assert.equal(awaySummary([]), undefined);
  });

  it('speaks only after an absence longer than the threshold', () => {
    let now = T0;
    const away = new AwayTracker({ awayAfterMs: 5 * 60_000, now: () => now });
    away.setFocused(false);
    away.record(event('a', 'failed'));
    now += 60_000;
    assert.equal(away.setFocused(true), undefined, 'a short absence: the notifications were enough');
    away.setFocused(false);
    away.record(event('b', 'succeeded'));
    away.record(event('c', 'failed'));
    now += 10 * 60_000;
    assert.equal(away.setFocused(true), 'While you were away: 2 runs finished, 1 failed');
    assert.equal(away.setFocused(true), undefined, 'said once');
  });
});

describe('finishedWhileClosed', () => {
  it('finds runs that were active at the last save and are finished now', () => {
    const previous = [tracked('a', 'running'), tracked('b', 'queued'), tracked('c', 'succeeded'), tracked('d', 'running'), tracked('e', 'running', { gone: true })];
    const current = [tracked('a', 'succeeded'), tracked('b', 'failed'), tracked('c', 'succeeded'), tracked('d', 'running'), tracked('e', 'failed'), tracked('f', 'failed')];
    assert.deepEqual(
      finishedWhileClosed(previous, current).map(t => t.run.id),
      ['a', 'b'],
    );
  });
});
