// Exercise 04 (Session 4, docs/data-store/04-replication.md): the term fence.
//
// Every message about a group carries its sender's term. Before a node does anything with a message (counts
// a vote, stores a write, follows a heartbeat) it holds the message's term against its own. That check is the
// fence: a leader deposed while it was cut off may still believe it leads, but once the others have moved to
// a newer term they refuse its messages, so it can never again gather a majority for a write.
//
// You write `fence(view, msg)`. `view` is the node's view of the group: { term, votedFor, role }. `msg` is
// { type, from, term }. Return a Verdict (fence-types.ts):
//   { pass, view, save, reply }
//     pass   true: the message goes on to its handler; false: it is refused
//     view   the node's view afterwards: a NEW object when something changed (do not change `view` itself)
//     save   { term, votedFor } to write to disk before anything leaves the node, or null when nothing changed
//     reply  { type: 'stale', to, term } to send back, or null
//
// Run the checker (from the repository root):
//   npm run check -- 04-term-fence              grades this file
//   npm run check -- 04-term-fence --solution   shows what passing looks like
// It holds your answers against the store's own fence (it runs examples/store/core/node.ts on each case),
// then runs one group of three nodes with YOUR fence through partitions, delays, lost messages and crashes.
import { REQUESTS, type GroupView, type Incoming, type Verdict } from './fence-types.ts';

export function fence(view: GroupView, msg: Incoming): Verdict {
  // TODO 1: A NEWER term (msg.term > view.term): an election happened that this node missed. Adopt the term,
  //         forget the vote (votedFor: null, no vote has been cast in the new term yet) and become a
  //         'follower', whatever the role was (a leader or candidate of an old term leads nothing). Save the
  //         new term and vote (`save`), and let the message through: in the new term it is a current message.

  // TODO 2: An OLDER term (msg.term < view.term): the sender is behind, a deposed leader or a candidate that
  //         lost. Refuse the message and change nothing. If it ASKS for something (its type is one of
  //         REQUESTS: heartbeat, vote-request, sync, replicate), reply { type: 'stale', to: msg.from,
  //         term: <this node's term> } so the sender learns the newer term and steps down. Answers (vote,
  //         heartbeat-ok, sync-ok, replicate-ok, stale) are dropped without a reply: answering an answer
  //         starts a ping-pong.

  // TODO 3: The SAME term: let it through, change nothing, save nothing, reply nothing.
  throw new Error(`fence is not written yet (a ${msg.type} with term ${msg.term} reached a ${view.role} in term ${view.term}): follow TODO 1 to 3`);
}
