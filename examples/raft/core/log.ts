// The log after the snapshot: `node.log[0]` has index snapshotIndex + 1. Everything below the snapshot was
// compacted away (§7) and is known only by the snapshot's last index and term.
import type { Entry, RaftNode } from './types.ts';

export function snapshotIndex(node: RaftNode): number {
  return node.snapshot?.lastIndex ?? 0;
}

export function lastIndex(node: RaftNode): number {
  return snapshotIndex(node) + node.log.length;
}

/** The term of the entry at `index`; 0 for index 0; undefined when the log has no such entry (or compacted it). */
export function termAt(node: RaftNode, index: number): number | undefined {
  const base = snapshotIndex(node);
  if (index === base) return node.snapshot?.lastTerm ?? 0;
  return node.log[index - base - 1]?.term;
}

export function lastTerm(node: RaftNode): number {
  return termAt(node, lastIndex(node)) as number;
}

/** Entries from `from` on (at most `max`); `from` must be above the snapshot. */
export function entriesFrom(node: RaftNode, from: number, max: number): Entry[] {
  const start = from - snapshotIndex(node) - 1;
  return node.log.slice(start, start + max);
}

/** Drop every entry at or after `from` and append `entries`; remember that the disk must follow. */
export function replaceFrom(node: RaftNode, from: number, entries: Entry[]): void {
  node.log.length = from - snapshotIndex(node) - 1;
  node.log.push(...entries);
  node.logDirtyFrom = node.logDirtyFrom === 0 ? from : Math.min(node.logDirtyFrom, from);
}
