// The scheduler's lane queue on its own: a min-heap whose items know their position.
import * as assert from 'node:assert/strict';
import { MinHeap } from '../../src/core/heap';

interface Item {
  name: string;
  due: number;
  seq: number;
  heapIndex: number;
}

const earliestFirst = (a: Item, b: Item) => a.due < b.due || (a.due === b.due && a.seq < b.seq);
let seq = 0;
const item = (name: string, due: number): Item => ({ name, due, seq: ++seq, heapIndex: -1 });

/** Every item sits where its index says, and no child comes before its parent. */
function assertValid(heap: MinHeap<Item>): void {
  heap.items.forEach((it, i) => {
    assert.equal(it.heapIndex, i, `${it.name} knows its position`);
    if (i > 0) assert.ok(!earliestFirst(it, heap.items[(i - 1) >> 1]), `${it.name} does not come before its parent`);
  });
}

function drain(heap: MinHeap<Item>): string[] {
  const out: string[] = [];
  for (let next = heap.pop(); next; next = heap.pop()) {
    assert.equal(next.heapIndex, -1, 'a popped item is marked out of the heap');
    out.push(next.name);
  }
  return out;
}

describe('MinHeap', () => {
  it('pops items earliest first, equal keys in the order they were planned', () => {
    const heap = new MinHeap<Item>(earliestFirst);
    // A fixed pseudo-random order (LCG), with many equal due times.
    let x = 7;
    const items = Array.from({ length: 200 }, (_, i) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return item(`i${i}`, x % 37);
    });
    for (const it of items) heap.put(it);
    assert.equal(heap.size, 200);
    assertValid(heap);
    assert.equal(heap.peek()?.name, [...items].sort((a, b) => a.due - b.due || a.seq - b.seq)[0].name);
    const expected = [...items].sort((a, b) => a.due - b.due || a.seq - b.seq).map(it => it.name);
    assert.deepEqual(drain(heap), expected);
    assert.equal(heap.size, 0);
    assert.equal(heap.pop(), undefined, 'an empty heap pops nothing');
  });

  it('moves an item whose key changed when it is put again, without adding it twice', () => {
    const heap = new MinHeap<Item>(earliestFirst);
    const a = item('a', 10);
    const b = item('b', 20);
    const c = item('c', 30);
    for (const it of [a, b, c]) heap.put(it);
    c.due = 5;
    heap.put(c);
    assert.equal(heap.size, 3);
    assertValid(heap);
    assert.equal(heap.peek(), c, 'brought forward');
    c.due = 40;
    heap.put(c);
    assertValid(heap);
    assert.deepEqual(drain(heap), ['a', 'b', 'c'], 'and sent back');
  });

  it('removes any item, first, middle or last, and ignores one that is not in it', () => {
    const heap = new MinHeap<Item>(earliestFirst);
    const items = [50, 10, 40, 20, 30, 60, 5].map((due, i) => item(`d${due}#${i}`, due));
    for (const it of items) heap.put(it);
    const middle = heap.items[3];
    heap.remove(middle);
    assert.equal(middle.heapIndex, -1);
    assertValid(heap);
    const last = heap.items[heap.items.length - 1];
    heap.remove(last);
    assertValid(heap);
    const first = heap.peek()!;
    heap.remove(first);
    assertValid(heap);
    heap.remove(first);
    heap.remove(item('stranger', 0));
    assert.equal(heap.size, 4, 'removing what is not there changes nothing');
    const removed = new Set([middle, last, first]);
    const expected = items.filter(it => !removed.has(it)).sort((a, b) => a.due - b.due).map(it => it.name);
    assert.deepEqual(drain(heap), expected);
  });

  it('lifts the item that fills a removed one’s place when it belongs higher up (it came from another branch)', () => {
    const heap = new MinHeap<Item>(earliestFirst);
    // Laid out as [1, 10, 2, 11, 12, 3, 4]: the last item, 4, must climb above 10 when it replaces 11.
    const items = [1, 10, 2, 11, 12, 3, 4].map(due => item(`d${due}`, due));
    for (const it of items) heap.put(it);
    assert.deepEqual(heap.items.map(it => it.due), [1, 10, 2, 11, 12, 3, 4]);
    heap.remove(items[3]);
    assertValid(heap);
    assert.deepEqual(drain(heap), ['d1', 'd2', 'd3', 'd4', 'd10', 'd12']);
  });
});
