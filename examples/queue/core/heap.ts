// A binary min-heap kept in a plain array: the queue's index of "what happens next".
//
// The queue needs three questions answered fast, however many jobs it holds: which pending job is first in
// line, which lease runs out first, and which done job is oldest. A sorted array would make every insert
// cost O(n); a heap keeps only the smallest entry at the front, and inserting or removing costs O(log n)
// (Cormen et al., Introduction to Algorithms, ch. 6). Being a plain array of plain objects, it is saved,
// logged and replayed like the rest of the state.
//
// Entry i's children sit at 2i+1 and 2i+2, and no child is smaller than its parent, so heap[0] is the minimum.

// #region heap
export interface HeapEntry {
  at: number; // the time this entry is about (a job becomes available, a lease expires, a job was done)
  seq: number; // tie-breaker: among equal times, the entry pushed first comes out first
  id: string; // the job
  token?: string; // for lease entries: which lease of the job this entry was made for
}

/** True if a must come out of the heap before b. */
function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export function heapPush(heap: HeapEntry[], entry: HeapEntry): void {
  heap.push(entry);
  let i = heap.length - 1;
  // Sift up: swap with the parent while we are smaller than it.
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

/** Removes and returns the smallest entry (undefined if the heap is empty). */
export function heapPop(heap: HeapEntry[]): HeapEntry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0) {
    heap[0] = last!;
    // Sift down: swap with the smaller child while a child is smaller than us.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
  return top;
}
// #endregion heap
