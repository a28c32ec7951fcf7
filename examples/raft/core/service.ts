// One node of the replicated KV service: a Raft node, the KV state machine it feeds, and the client requests
// waiting for their entry to be applied. Both the real node process (examples/raft/node) and the simulator use
// this, so the tests exercise exactly the code that serves real clients.
import { applyCommand, emptyKv, snapshotKv, type KvCommand, type KvResult, type KvState } from './kv.ts';
import { compact, createNode, propose, ready } from './raft.ts';
import type { Config, NodeId, Persisted, RaftNode, Ready } from './types.ts';

export interface Service {
  raft: RaftNode;
  kv: KvState;
  /** Requests proposed on this node, by log index: answered when that index is applied. */
  waiting: Record<number, { term: number; requestId: string }>;
  /** Take a snapshot when this many entries were applied since the last one (0: never). */
  snapshotEvery: number;
}

export type Reply =
  | { requestId: string; ok: true; result: KvResult; index: number }
  /** The entry was overwritten by another leader's: it was NOT applied, the client may retry safely. */
  | { requestId: string; ok: false; reason: 'lost-leadership' };

export function createService(config: Config, persisted?: Persisted, snapshotEvery = 0): Service {
  const raft = createNode(config, persisted);
  const kv = raft.snapshot === null ? emptyKv() : snapshotKv(raft.snapshot.data as KvState);
  return { raft, kv, waiting: {}, snapshotEvery };
}

export type Submitted = { ok: true; index: number } | { ok: false; leaderId: NodeId | null };

/** A client request arrives here. Not the leader: say who is (the client retries there). */
export function submit(service: Service, requestId: string, command: KvCommand): Submitted {
  const p = propose(service.raft, command);
  if (!p.ok) return p;
  service.waiting[p.index] = { term: p.term, requestId };
  return { ok: true, index: p.index };
}

export interface Processed {
  /** For the adapter, in this order: persist ready's hardState/snapshot/log, send its messages, then reply. */
  ready: Ready;
  replies: Reply[];
}

// #region apply-loop
/** Collect what the node produced and apply what was committed, answering the clients that wait for it. */
export function advance(service: Service): Processed {
  const r = ready(service.raft);
  const replies: Reply[] = [];
  if (r.applySnapshot !== null) service.kv = snapshotKv(r.applySnapshot.data as KvState);
  for (const entry of r.committed) {
    const result = entry.command === null ? null : applyCommand(service.kv, entry.command as KvCommand);
    const w = service.waiting[entry.index];
    if (w === undefined) continue;
    delete service.waiting[entry.index];
    // Our proposal sat at this index. If another leader's entry is there now, ours was never committed (§5.4).
    // The same term means the same entry (one leader per term): our command, so `result` is not a no-op's null.
    if (w.term !== entry.term) replies.push({ requestId: w.requestId, ok: false, reason: 'lost-leadership' });
    else replies.push({ requestId: w.requestId, ok: true, result: result!, index: entry.index });
  }
  if (r.applySnapshot !== null) forgetCoveredBy(service, r.applySnapshot.lastIndex);
  maybeSnapshot(service);
  return { ready: r, replies };
}
// #endregion apply-loop

/** A leader's snapshot replaced entries some of our old requests waited for: whether they were applied is
 *  unknown here. They are dropped unanswered; the client's timeout and retry (deduplicated) settle them. */
function forgetCoveredBy(service: Service, lastIndex: number): void {
  for (const index of Object.keys(service.waiting).map(Number)) if (index <= lastIndex) delete service.waiting[index];
}

/** §7: each server snapshots on its own once enough was applied; the log up to there can go. The snapshot
 *  reaches the adapter with the next ready(). */
function maybeSnapshot(service: Service): void {
  const raft = service.raft;
  const since = raft.lastApplied - (raft.snapshot?.lastIndex ?? 0);
  if (service.snapshotEvery > 0 && since >= service.snapshotEvery) {
    compact(raft, raft.lastApplied, snapshotKv(service.kv));
  }
}

