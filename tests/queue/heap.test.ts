// The min-heap behind the queue's indexes, checked against the obvious slow model: a sorted array.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heapPop, heapPush, type HeapEntry } from '../../examples/queue/core/heap.ts';

const byTimeThenSeq = (a: HeapEntry, b: HeapEntry) => a.at - b.at || a.seq - b.seq;

describe('heap', () => {
  it('pops entries smallest time first, and equal times in the order they were pushed', () => {
    const heap: HeapEntry[] = [];
    const pushes = [5, 3, 5, 1, 3, 9, 1].map((at, i) => ({ at, seq: i + 1, id: `j${i + 1}` }));
    for (const e of pushes) heapPush(heap, e);
    const out: string[] = [];
    for (let e = heapPop(heap); e !== undefined; e = heapPop(heap)) out.push(`${e.at}:${e.id}`);
    expect(out).toEqual(['1:j4', '1:j7', '3:j2', '3:j5', '5:j1', '5:j3', '9:j6']);
    expect(heapPop(heap)).toBeUndefined();
    expect(heap).toEqual([]);
  });

  it('any interleaving of pushes and pops gives the same answers as a sorted array', () => {
    const op = fc.oneof(fc.integer({ min: 0, max: 20 }).map((at) => ({ push: at })), fc.constant({ pop: true as const }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap: HeapEntry[] = [];
        const model: HeapEntry[] = [];
        let seq = 0;
        for (const o of ops) {
          if ('push' in o) {
            const e = { at: o.push, seq: ++seq, id: `j${seq}` };
            heapPush(heap, e);
            model.push(e);
            model.sort(byTimeThenSeq);
          } else {
            expect(heapPop(heap)).toEqual(model.shift());
          }
          expect(heap.length).toBe(model.length);
          expect(heap[0]).toEqual(model[0]); // the front is always the minimum
        }
      }),
      { numRuns: 300 },
    );
  });
});
