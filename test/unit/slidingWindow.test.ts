// A provider's request budget on its own: the sliding window of recent send times.
import * as assert from 'node:assert/strict';
import { SlidingWindow } from '../../src/core/slidingWindow';

describe('SlidingWindow', () => {
  it('counts the requests of the last windowMs: one sent exactly windowMs ago has left', () => {
    const window = new SlidingWindow();
    for (const at of [0, 100, 200]) window.record(at);
    assert.equal(window.count(500, 1000), 3);
    assert.equal(window.count(999, 1000), 3);
    assert.equal(window.count(1000, 1000), 2, 'the request at 0 left at 1000');
    assert.equal(window.count(1150, 1000), 1);
    assert.equal(window.count(5000, 1000), 0);
  });

  it('says when the oldest request in the window leaves it: when a full budget allows the next one', () => {
    // A budget of 3 requests a second, used up at 0, 100 and 200.
    const window = new SlidingWindow();
    for (const at of [0, 100, 200]) window.record(at);
    assert.equal(window.count(300, 1000), 3);
    assert.equal(window.nextFreeAt(1000), 1000);
    assert.equal(window.count(1000, 1000), 2, 'room for one at that moment');
    window.record(1000);
    assert.equal(window.count(1000, 1000), 3);
    assert.equal(window.nextFreeAt(1000), 1100, 'then the request at 100 is the oldest');
  });

  it('holds only the requests still in the window, however many went before', () => {
    const window = new SlidingWindow();
    for (let at = 0; at <= 100_000; at += 10) window.record(at);
    assert.equal(window.count(100_000, 60_000), 6_000, 'those after 40,000 up to 100,000');
    assert.equal(window.nextFreeAt(60_000), 100_010, 'the oldest kept is the one at 40,010');
  });
});
