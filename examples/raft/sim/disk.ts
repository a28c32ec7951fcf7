// The simulated disk. A ready's writes (term and vote, snapshot, log change) are WRITTEN at once — into what
// the operating system holds — and SYNCED (durable) only a few ticks later, when the fsync completes. Syncs
// complete in the order they were asked for. A crash is a power cut: everything written but not yet synced
// is gone, and the node restarts from exactly the synced image.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { Persisted } from '../core/types.ts';
import { draw } from './network.ts';
import type { Disk, DiskWrite, World } from './types.ts';

export function emptyDisk(): Disk {
  return { synced: emptyPersisted(), written: emptyPersisted(), pending: [], syncs: 0 };
}

function emptyPersisted(): Persisted {
  return { term: 0, votedFor: null, snapshot: null, entries: [] };
}

/** A copy whose arrays are its own (entries themselves are never changed in place, so they are shared). */
export function copyPersisted(p: Persisted): Persisted {
  return { term: p.term, votedFor: p.votedFor, snapshot: p.snapshot, entries: [...p.entries] };
}

// #region write
/** Applies one ready's writes to a disk image, in the order types.ts Ready describes. */
export function applyWrite(p: Persisted, w: DiskWrite): void {
  if (w.hardState !== null) {
    p.term = w.hardState.term;
    p.votedFor = w.hardState.votedFor;
  }
  if (w.snapshot !== null) {
    const last = w.snapshot.lastIndex;
    p.snapshot = w.snapshot;
    p.entries = p.entries.filter((e) => e.index > last);
  }
  if (w.log !== null) {
    const first = p.entries[0]?.index ?? w.log.truncateFrom;
    p.entries.length = Math.max(0, Math.min(p.entries.length, w.log.truncateFrom - first));
    p.entries.push(...w.log.entries);
  }
}

export function hasWrites(w: DiskWrite): boolean {
  return w.hardState !== null || w.snapshot !== null || w.log !== null;
}

/** Writes now; returns the tick at which the write is durable (never before an earlier write's sync). */
export function write(world: World, disk: Disk, w: DiskWrite): number {
  applyWrite(disk.written, w);
  const previous = disk.pending.at(-1)?.syncAt ?? world.now;
  const syncAt = Math.max(previous, world.now + draw(world, world.diskTicks[0], world.diskTicks[1]));
  disk.pending.push({ syncAt, write: w });
  return syncAt;
}

/** Completes every fsync due by now. */
export function syncDue(world: World, disk: Disk): void {
  while (disk.pending.length > 0 && disk.pending[0]!.syncAt <= world.now) {
    applyWrite(disk.synced, disk.pending.shift()!.write);
    disk.syncs += 1;
  }
}

/** Power cut: unsynced writes are lost. */
export function powerCut(disk: Disk): void {
  disk.pending = [];
  disk.written = copyPersisted(disk.synced);
}
// #endregion write
