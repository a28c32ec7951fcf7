// Reference solution for exercise 04: the same decisions as the store's fence (region `fence` in
// examples/store/core/node.ts), which the checker proves case by case by running that code.
import { REQUESTS, type GroupView, type Incoming, type Verdict } from './fence-types.ts';

export function fence(view: GroupView, msg: Incoming): Verdict {
  if (msg.term > view.term) {
    // A newer term: adopt it, with no vote cast in it yet, and follow. Saved before any reply leaves.
    const adopted: GroupView = { term: msg.term, votedFor: null, role: 'follower' };
    return { pass: true, view: adopted, save: { term: adopted.term, votedFor: null }, reply: null };
  }
  if (msg.term < view.term) {
    // An older term: refused. A request learns the newer term; an answer is dropped.
    const asks = REQUESTS.includes(msg.type);
    return { pass: false, view, save: null, reply: asks ? { type: 'stale', to: msg.from, term: view.term } : null };
  }
  return { pass: true, view, save: null, reply: null };
}
