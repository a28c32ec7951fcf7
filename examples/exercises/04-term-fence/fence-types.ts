// The shapes exercise 04 works with: one node's view of one group, a message about that group, and what
// the fence decides about it. They are the store's own names (examples/store/core/types.ts), cut down to
// what the fence reads and writes.
import type { PeerMessage, Role } from '../../store/core/types.ts';

export type { Role };

/** The messages that belong to a group and carry their sender's term (gossip and digests carry none). */
export type GroupMessageType = Extract<PeerMessage, { term: number }>['type'];

/** What a node knows about one group it is in. `term` and `votedFor` are kept on disk; `role` is not. */
export interface GroupView {
  term: number;
  /** Who this node voted for in `term`, or null: no vote cast in this term yet. */
  votedFor: string | null;
  role: Role;
}

/** An incoming message, as the fence sees it: its kind, its sender and the sender's term for the group. */
export interface Incoming {
  type: GroupMessageType;
  from: string;
  term: number;
}

/** What the fence decided. */
export interface Verdict {
  /** true: the message goes on to its handler (a vote request to the vote rule, a write to the store...). */
  pass: boolean;
  /** The node's view after the fence: the same as before, or with a newer term adopted. */
  view: GroupView;
  /** A term and vote to write to disk before anything else leaves the node, or null: nothing changed. */
  save: { term: number; votedFor: string | null } | null;
  /** A message to send back, or null: none. */
  reply: { type: 'stale'; to: string; term: number } | null;
}

/**
 * Which messages ask for something (a reply is owed) and which answer. A Record over every group message type,
 * so a message type added to or removed from the store's types.ts fails the type check here until it is sorted.
 */
const KIND: Record<GroupMessageType, 'request' | 'answer'> = {
  heartbeat: 'request',
  'vote-request': 'request',
  sync: 'request',
  replicate: 'request',
  vote: 'answer',
  'heartbeat-ok': 'answer',
  'sync-ok': 'answer',
  'replicate-ok': 'answer',
  stale: 'answer',
};

/** The messages that ask for something: heartbeat, vote-request, sync, replicate. The rest answer. */
export const REQUESTS: readonly GroupMessageType[] = (Object.keys(KIND) as GroupMessageType[]).filter((t) => KIND[t] === 'request');

/** Every group message type, requests first. */
export const MESSAGE_TYPES: readonly GroupMessageType[] = [...REQUESTS, ...(Object.keys(KIND) as GroupMessageType[]).filter((t) => KIND[t] === 'answer')];
