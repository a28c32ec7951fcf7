// The queue's index (core/heap.ts): a min-heap over (at, seq) kept in a plain array.
// These tests pin what the queue relies on: the smallest entry is always at [0], pops come out in (at, seq)
// order (equal times first-in first-out), and the array stays a valid heap after every push and pop.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { heapPop, heapPush, type HeapEntry } from '../../examples/queue/core/heap.ts';

const entry = (at: number, seq: number): HeapEntry => ({ at, seq, id: `job-${seq}` });
const order = (a: HeapEntry, b: HeapEntry) => a.at - b.at || a.seq - b.seq;

/** Every parent comes out no later than its children: the property heapPush and heapPop must keep. */
function isHeap(heap: HeapEntry[]): boolean {
  return heap.every((e, i) => i === 0 || order(heap[(i - 1) >> 1]!, e) <= 0);
}

describe('heapPush / heapPop', () => {
  it('pop on an empty heap answers undefined and leaves it empty', () => {
    const heap: HeapEntry[] = [];
    expect(heapPop(heap)).toBeUndefined();
    expect(heap).toEqual([]);
  });

  it('pushing one entry and popping it empties the heap', () => {
    const heap: HeapEntry[] = [];
    heapPush(heap, entry(5, 1));
    expect(heapPop(heap)).toEqual(entry(5, 1));
    expect(heap).toEqual([]);
  });

  it('the smallest time is at the front after every push, whatever the push order', () => {
    const heap: HeapEntry[] = [];
    const fronts: number[] = [];
    for (const [seq, at] of [30, 20, 40, 10, 50, 5].entries()) {
      heapPush(heap, entry(at, seq));
      fronts.push(heap[0]!.at);
    }
    expect(fronts).toEqual([30, 20, 20, 10, 10, 5]);
  });

  it('equal times come out in the order they were pushed (seq breaks the tie)', () => {
    const heap: HeapEntry[] = [];
    for (const seq of [1, 2, 3, 4, 5, 6, 7]) heapPush(heap, entry(100, seq));
    heapPush(heap, entry(50, 8));
    const out: number[] = [];
    for (let e = heapPop(heap); e !== undefined; e = heapPop(heap)) out.push(e.seq);
    expect(out).toEqual([8, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('sift-down picks the smaller child: right child smaller than left', () => {
    // [1] with children 3 (left) and 2 (right): after popping 1, 2 must come next, not 3.
    const heap: HeapEntry[] = [entry(1, 1), entry(3, 2), entry(2, 3)];
    expect(isHeap(heap)).toBe(true);
    expect(heapPop(heap)!.at).toBe(1);
    expect(heap.map((e) => e.at)).toEqual([2, 3]);
    expect(heapPop(heap)!.at).toBe(2);
    expect(heapPop(heap)!.at).toBe(3);
  });

  it('any mix of pushes and pops returns entries in (at, seq) order and keeps the heap valid', () => {
    // An op is a time to push, or null to pop. Times come from a small range so ties are common.
    const ops = fc.array(fc.option(fc.integer({ min: 0, max: 20 }), { nil: null, freq: 3 }), { maxLength: 200 });
    fc.assert(
      fc.property(ops, (script) => {
        const heap: HeapEntry[] = [];
        const model: HeapEntry[] = [];
        let seq = 0;
        for (const op of script) {
          if (op === null) {
            model.sort(order);
            expect(heapPop(heap)).toEqual(model.shift());
          } else {
            const e = entry(op, ++seq);
            heapPush(heap, e);
            model.push(e);
          }
          expect(heap).toHaveLength(model.length);
          expect(isHeap(heap)).toBe(true);
        }
        // Draining gives the rest in sorted order.
        const rest: HeapEntry[] = [];
        for (let e = heapPop(heap); e !== undefined; e = heapPop(heap)) rest.push(e);
        expect(rest).toEqual(model.sort(order));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the entry objects as given (plain data: the token rides along)', () => {
    const heap: HeapEntry[] = [];
    const e = { at: 1, seq: 1, id: 'job-1', token: 'job-1.1' };
    heapPush(heap, e);
    expect(heapPop(heap)).toBe(e);
  });
});
