// The shapes exercise 05 works with. A replica's copy of a key is the store's own `Stored` (versions.ts):
// its siblings (values, tombstones for deletes) and its context (the version vector of every write seen).
import type { Stored, VersionVector } from '../../store/core/versions.ts';

export type { Stored, VersionVector };

/** What one replica did when the coordinator asked it for the key. */
export interface Answer {
  node: string;
  /** Its copy; null: it answered, and has no copy of this key; 'timeout': it did not answer in time. */
  stored: Stored<string> | null | 'timeout';
}

/** Read repair: send `stored` (the reconciled version) to `node`, whose copy is behind it. */
export interface Repair {
  node: string;
  stored: Stored<string>;
}

export type ReadResult =
  | { ok: false; reason: string }
  | { ok: true; values: string[]; context: VersionVector; repairs: Repair[] };
