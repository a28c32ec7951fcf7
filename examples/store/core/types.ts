// The store's vocabulary: what a node keeps, what goes in and what comes out of its core (node.ts).
//
// Plain data only (JSON-safe), so the Node server can write it to disk and send it over HTTP, the simulator
// can copy it, and the browser can draw it. The story is told in docs/data-store/04-replication.md and
// 05-consistency.md; this file is the reference.

import type { Ring } from './ring.ts';
import type { Stored, VersionVector } from './versions.ts';

// #region config
export interface StoreConfig {
  /** This node's name, e.g. "n1". */
  id: string;
  /** Copies of every key (Dynamo's N). Each key lives on the first `replicas` distinct nodes clockwise. */
  replicas: number;
  /** Virtual nodes per node on the ring. */
  vnodes: number;
  /** A leader sends every follower a heartbeat this often. */
  heartbeatMs: number;
  /**
   * A follower that hears nothing from its leader for between 1x and 2x this long starts an election (each
   * node, group and term gets its own point in that range, so two followers rarely start together). A leader
   * that has not heard from a majority for this long steps down.
   */
  electionTimeoutMs: number;
  /** A strong request not finished after this long gets an answer anyway: refused, or "outcome unknown". */
  requestTimeoutMs: number;
  /** Replicas compare their data (anti-entropy) this often. */
  antiEntropyMs: number;
}

export const defaultConfig: Omit<StoreConfig, 'id'> = {
  replicas: 3,
  vnodes: 128,
  heartbeatMs: 100,
  electionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  antiEntropyMs: 1000,
};
// #endregion config

// #region requests
export type Consistency = 'strong' | 'eventual';

/** A client's request after the adapter has validated it (requests.ts). `id` is the adapter's, unique per node. */
export type ClientRequest =
  | { id: string; op: 'get'; key: string; consistency: Consistency }
  | { id: string; op: 'put'; key: string; value: string; consistency: Consistency; context?: VersionVector }
  | { id: string; op: 'delete'; key: string; consistency: Consistency; context?: VersionVector }
  | { id: string; op: 'cas'; key: string; expected: string | null; value: string; consistency: 'strong' };

/**
 * What a request came to. Every reply also says which group the key is in, who leads it and in which term.
 * Eventual answers carry the key's `context` (a version vector: send it back with the next write); strong
 * answers carry the value's `version` instead (the term and sequence number its leader gave it).
 */
export type Outcome =
  | { kind: 'value'; values: string[]; context: VersionVector; version?: Version }
  | { kind: 'not-found'; context: VersionVector; version?: Version }
  | { kind: 'written'; context: VersionVector; version?: Version }
  | { kind: 'cas-mismatch'; values: string[] }
  /** This node cannot take it; send it to `to` (the leader, or a replica of the key). */
  | { kind: 'forward'; to: string }
  /** Definitely NOT applied (no leader, no majority, not yet ready): safe to retry. */
  | { kind: 'unavailable'; reason: UnavailableReason; message: string }
  /** A strong write that was sent to the followers but not confirmed in time: it may or may not be applied. */
  | { kind: 'unknown'; message: string };

export type UnavailableReason = 'no-leader' | 'no-majority' | 'not-ready' | 'stepped-down' | 'busy';

export interface Reply {
  id: string;
  outcome: Outcome;
  group: string;
  leader: string | null;
  term: number;
}
// #endregion requests

// #region messages
/** Every message between nodes. `term` is the sender's term for the group: the fence. */
export type PeerMessage =
  | { type: 'heartbeat'; from: string; to: string; group: string; term: number; round: number }
  | { type: 'heartbeat-ok'; from: string; to: string; group: string; term: number; round: number }
  | { type: 'vote-request'; from: string; to: string; group: string; term: number }
  | { type: 'vote'; from: string; to: string; group: string; term: number; granted: boolean; data: Record<string, StrongValue> | null }
  | { type: 'sync'; from: string; to: string; group: string; term: number; data: Record<string, StrongValue> }
  | { type: 'sync-ok'; from: string; to: string; group: string; term: number }
  | { type: 'replicate'; from: string; to: string; group: string; term: number; key: string; write: StrongValue }
  | { type: 'replicate-ok'; from: string; to: string; group: string; term: number; key: string; seq: number }
  /** Sent by a node that has seen a newer term than the message it answers (tells a deposed leader). */
  | { type: 'stale'; from: string; to: string; group: string; term: number }
  | { type: 'gossip'; from: string; to: string; key: string; stored: Stored<string> }
  | { type: 'digest'; from: string; to: string; group: string; digest: number }
  | { type: 'exchange'; from: string; to: string; group: string; data: Record<string, Stored<string>>; reply: boolean }
  | { type: 'handoff'; from: string; to: string; data: Record<string, Stored<string>>; strong: Record<string, StrongValue> }
  | { type: 'handoff-ok'; from: string; to: string; contexts: Record<string, VersionVector>; versions: Record<string, Version> };

/** Which strong write made a value: the leader's term, then its count of writes in that term. Later is larger. */
export interface Version {
  term: number;
  seq: number;
}

/** A key's strong value as one replica holds it. `value` null: deleted. */
export interface StrongValue extends Version {
  value: string | null;
}
// #endregion messages

// #region state
export type Role = 'follower' | 'candidate' | 'leader';

/** One node's view of one group (replica set) it belongs to. */
export interface GroupState {
  id: string;
  replicas: string[]; // sorted
  term: number; // persisted
  votedFor: string | null; // persisted
  role: Role;
  leader: string | null;
  /** A follower or candidate starts an election at this time. */
  electionAt: number;
  /** Candidate: the strong data of each voter that granted its vote (itself included). */
  votes: Record<string, Record<string, StrongValue>>;
  /** Leader: true once a majority holds the merged data; only then does it serve. */
  ready: boolean;
  /** Leader: the followers that confirmed the sync of this term. */
  synced: string[];
  /** Leader: when it last heard from each follower in this term (for stepping down). */
  heardFrom: Record<string, number>;
  /** Leader: heartbeat round counter, and the highest round each follower has answered. */
  round: number;
  acked: Record<string, number>;
  /** Leader: when the next heartbeat is due. */
  heartbeatAt: number;
  /** Leader: how many writes it has sent in this term (the `seq` of the last one). */
  seq: number;
  /** Leader: committed writes a follower has not confirmed yet (key -> when committed); sent again if slow. */
  unconfirmed: Record<string, Record<string, number>>;
}

/** A strong request the leader is working on. */
export interface Inflight {
  request: ClientRequest;
  group: string;
  since: number;
  /** put/delete/cas: the write sent to the followers (absent while it waits behind another write of its key). */
  write?: StrongValue;
  /** put/delete/cas: the followers that stored the write. */
  stored?: string[];
  /** get: the heartbeat round whose majority answer proves this node still leads. */
  round?: number;
}

export interface NodeState {
  config: StoreConfig;
  members: string[];
  ring: Ring;
  /** Eventual data: every key this node holds a copy of, with its siblings and context. Persisted. */
  store: Record<string, Stored<string>>;
  /** Strong data: one value per key, the one with the highest version this node has stored. Persisted. */
  strong: Record<string, StrongValue>;
  /** Leader only: its strong writes that a majority has not confirmed yet, one per key. Persisted. */
  pending: Record<string, StrongValue>;
  groups: Record<string, GroupState>;
  /** The term and vote of every group this node has ever been in (persisted), including groups it left. */
  terms: Record<string, { term: number; votedFor: string | null }>;
  /** Which group each key is in under the current ring (a cache, rebuilt when membership changes). */
  groupOfKey: Record<string, string>;
  /** Strong requests in progress at this node as leader, in arrival order. */
  inflight: Inflight[];
  /** Keys handed off after a membership change: who has confirmed them. */
  handoffs: Record<string, string[]>;
  antiEntropyAt: number;
  now: number;
}
// #endregion state

// #region io
/** What one step of a node asks its adapter to do, in this order: persist, then send and reply. */
export interface Effects {
  changes: Change[];
  messages: PeerMessage[];
  replies: Reply[];
}

/** One thing to write to disk before any message or reply of the same step leaves the node. */
export type Change =
  | { kind: 'term'; group: string; term: number; votedFor: string | null }
  | { kind: 'store'; key: string; stored: Stored<string> | null }
  | { kind: 'strong'; key: string; value: StrongValue | null }
  | { kind: 'pending'; key: string; write: StrongValue | null };

export type Input =
  | { type: 'tick'; now: number }
  | { type: 'request'; now: number; request: ClientRequest }
  | { type: 'message'; now: number; message: PeerMessage }
  | { type: 'members'; now: number; members: string[] };
// #endregion io
