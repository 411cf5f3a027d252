// The status bar's "~6m left": estimated from a run's own progress rate, or from earlier runs of its kind,
// and withheld when the numbers cannot support an honest estimate.
import * as assert from 'node:assert/strict';
import { estimateRemaining, formatDuration, median, progressFraction } from '../../src/core/eta';

const MIN = 60_000;
const T0 = Date.parse('2026-11-22T10:00:00Z');

describe('eta', () => {
  describe('progressFraction', () => {
    it('reads an overall percentage first', () => {
      assert.equal(progressFraction({ percent: 40, index: 2, total: 5 }), 0.4);
    });

    it('counts finished documents, errored ones included, out of the total', () => {
      assert.equal(progressFraction({ documents: { total: 24, completed: 15, errors: 3 } }), 0.75);
    });

    it('counts the stages before the current one as done ("4/6" is three stages done)', () => {
      assert.equal(progressFraction({ current: 'evidence_collection', index: 4, total: 6 }), 0.5);
    });

    it('says nothing without numbers, and clamps nonsense', () => {
      assert.equal(progressFraction(undefined), undefined);
      assert.equal(progressFraction({ current: 'brand_enrichment' }), undefined);
      assert.equal(progressFraction({ documents: { total: 0, completed: 0, errors: 0 } }), undefined);
      assert.equal(progressFraction({ percent: 140 }), 1);
      assert.equal(progressFraction({ percent: -5 }), 0);
    });
  });

  describe('estimateRemaining', () => {
    it('extrapolates the progress rate: half done after 10 minutes leaves 10 minutes', () => {
      const eta = estimateRemaining({ progress: { percent: 50 }, startedAtMs: T0, now: T0 + 10 * MIN });
      assert.deepEqual(eta, { remainingMs: 10 * MIN, basis: 'rate' });
    });

    it('works from stages: stage 4 of 6 after 6 minutes leaves about 6 minutes', () => {
      const eta = estimateRemaining({ progress: { index: 4, total: 6 }, startedAtMs: T0, now: T0 + 6 * MIN });
      assert.equal(eta?.remainingMs, 6 * MIN);
    });

    it('works from documents: 18 of 24 done after 3 minutes leaves 1 minute', () => {
      const eta = estimateRemaining({ progress: { documents: { total: 24, completed: 16, errors: 2 } }, startedAtMs: T0, now: T0 + 3 * MIN });
      assert.equal(eta?.remainingMs, 1 * MIN);
    });

    it('prefers earlier runs of the kind while the run has barely begun', () => {
      // 10% after 2 minutes would extrapolate to 18 more; past runs took 12 minutes: 10 more.
      const eta = estimateRemaining({ progress: { percent: 10 }, startedAtMs: T0, now: T0 + 2 * MIN, pastDurationsMs: [11 * MIN, 12 * MIN, 20 * MIN] });
      assert.deepEqual(eta, { remainingMs: 10 * MIN, basis: 'history' });
    });

    it('trusts the rate once the run is well under way, even with history', () => {
      const eta = estimateRemaining({ progress: { percent: 80 }, startedAtMs: T0, now: T0 + 8 * MIN, pastDurationsMs: [30 * MIN] });
      assert.deepEqual(eta, { remainingMs: 2 * MIN, basis: 'rate' });
    });

    it('uses history alone when the provider reports no progress', () => {
      const eta = estimateRemaining({ progress: { current: 'family_discovery' }, startedAtMs: T0, now: T0 + 5 * MIN, pastDurationsMs: [20 * MIN] });
      assert.deepEqual(eta, { remainingMs: 15 * MIN, basis: 'history' });
    });

    it('withholds an estimate it cannot support', () => {
      // Too early to read a rate.
      assert.equal(estimateRemaining({ progress: { percent: 50 }, startedAtMs: T0, now: T0 + 2_000 }), undefined);
      // Too little done to extrapolate.
      assert.equal(estimateRemaining({ progress: { percent: 1 }, startedAtMs: T0, now: T0 + 10 * MIN }), undefined);
      // Done (or reporting 100% while still running): nothing left to estimate.
      assert.equal(estimateRemaining({ progress: { percent: 100 }, startedAtMs: T0, now: T0 + 10 * MIN }), undefined);
      // Unknown start, or a clock behind the start.
      assert.equal(estimateRemaining({ progress: { percent: 50 }, startedAtMs: undefined, now: T0 }), undefined);
      assert.equal(estimateRemaining({ progress: { percent: 50 }, startedAtMs: T0, now: T0 - MIN }), undefined);
      // Already slower than every earlier run, with no rate to go on.
      assert.equal(estimateRemaining({ progress: undefined, startedAtMs: T0, now: T0 + 30 * MIN, pastDurationsMs: [20 * MIN] }), undefined);
    });
  });

  it('median of durations', () => {
    assert.equal(median([]), undefined);
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('formats durations for a narrow status bar', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(44_600), '45s');
    assert.equal(formatDuration(3 * MIN + 20_000), '3m');
    assert.equal(formatDuration(65 * MIN), '1h 5m');
    assert.equal(formatDuration(120 * MIN), '2h');
    assert.equal(formatDuration(27 * 60 * MIN), '1d 3h');
    assert.equal(formatDuration(-5_000), '0s');
  });
});
