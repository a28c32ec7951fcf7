// Quiz for Session 5, "Consistency models" (rendered by <Quiz> on docs/data-store/05-consistency.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question:
      'Client A writes x = 2 and gets "ok". Only afterwards, client B reads x from another node and gets 1. Which model does this break?',
    choices: [
      {
        text: 'Sequential consistency, because B\'s read returned a value that no longer existed when the read was sent.',
        explanation:
          'Sequential consistency does not care about real time across clients: it may order B\'s read before A\'s write, since they are different clients, and then 1 is a fine answer.',
      },
      {
        text: 'Eventual consistency, because the two replicas did not agree at the moment B read from the other one.',
        explanation:
          'Eventual consistency allows replicas to disagree for a while; it only promises they converge once writes stop. A stale read is exactly what it permits.',
      },
      {
        text: 'Linearizability: B\'s read began after A\'s write had finished, so it had to return 2.',
        correct: true,
        explanation:
          'Right. Linearizability respects real time: once a write has finished, every read that starts later must see it (or something newer), whichever client reads and wherever.',
      },
      {
        text: 'Read-your-writes, because a read that follows an acknowledged write must always show that write to its reader.',
        explanation:
          'Read-your-writes is a promise to the writer only: A must see its own write. B is another client, so read-your-writes says nothing about B\'s read.',
      },
    ],
  },
  {
    question: 'A key has N = 3 replicas; writes wait for W = 2 and reads for R = 2. What does R + W > N guarantee?',
    choices: [
      {
        text: 'Every read hears from at least one replica that has the latest successful write, because any two sets overlap.',
        correct: true,
        explanation:
          'Yes: 2 + 2 > 3, so a read set and a write set share a replica. That is all it guarantees. Concurrent writes, a write that failed part-way, sloppy quorums and restored nodes can still produce stale or odd results (DDIA ch. 5, "Limitations of Quorum Consistency").',
      },
      {
        text: 'Linearizability: with overlapping quorums every read returns the latest write, so the store behaves as one copy.',
        explanation:
          'Overlap is not enough. A write still in flight may be on one replica only: one read sees the new value, a later read by someone else sees the old one. That breaks linearizability even with R + W > N.',
      },
      {
        text: 'That no write is ever lost, because each write is stored on a majority and a majority can never be cut off.',
        explanation:
          'A majority of replicas can certainly be cut off or crash. And with last-writer-wins, concurrent writes that each reached W replicas can still be silently dropped.',
      },
      {
        text: 'That reads and writes stay available during any partition, because only two of the three replicas must answer.',
        explanation:
          'On the side of a partition that holds only one replica of the key, neither a W = 2 write nor an R = 2 read can complete. Quorums trade some availability for overlap.',
      },
    ],
  },
  {
    question:
      'In the shopping-list story, Alice adds eggs through node A at 10.0 s; a second later Bob adds bread through node B, whose clock is two seconds slow. Under last-writer-wins, what survives the heal?',
    choices: [
      {
        text: 'Bob\'s list with bread, because he wrote a second after Alice and last-writer-wins keeps the latest write.',
        explanation:
          'It keeps the highest TIMESTAMP, not the latest write. Bob\'s node stamped 9.0 s (its clock is slow), below Alice\'s 10.0 s, so his list loses.',
      },
      {
        text: 'Both lists, as siblings, because the two writes were concurrent and last-writer-wins keeps them both for the client.',
        explanation:
          'Keeping both as siblings is what version vectors do. Last-writer-wins keeps exactly one value, by design.',
      },
      {
        text: 'Alice\'s list only: her timestamp, 10.0 s, is higher than B\'s 9.0 s, and Bob\'s acknowledged bread is silently lost.',
        correct: true,
        explanation:
          'Right: a lost update. Both writes were acknowledged; LWW keeps one, judged by clocks that disagree. That is why it suits values written once, and not a cart.',
      },
      {
        text: 'Neither: the replicas cannot decide, so the key is deleted and both clients are asked to write again.',
        explanation:
          'Last-writer-wins always decides: it is a total order on (timestamp, node), so every replica picks the same winner.',
      },
    ],
  },
  {
    question: 'Two versions of a key carry the version vectors {A: 2, B: 1} and {A: 1, B: 2}. What does the store do with them?',
    choices: [
      {
        text: 'It keeps {A: 2, B: 1}, because node A comes first and its counter is the higher of the two.',
        explanation:
          'Node names give no order of events. Each vector has seen a write the other has not (A\'s second, B\'s second), so neither replaced the other.',
      },
      {
        text: 'It keeps both as siblings and returns both, with a merged context, for the client to resolve.',
        correct: true,
        explanation:
          'Yes: the versions are concurrent. The store keeps both and returns them with the merged context {A: 2, B: 2}; the client merges and writes back with that context, which replaces both.',
      },
      {
        text: 'It keeps the one with the larger sum of counters, since that version has seen more writes in total.',
        explanation:
          'The sums are equal here (3 and 3), and even unequal sums say nothing about order. A version replaces another only if it has seen everything the other has.',
      },
      {
        text: 'It refuses the later of the two writes with a conflict error, so that the first writer always wins.',
        explanation:
          'The writes were accepted on different replicas that could not talk, so there was no moment to refuse one. The conflict is found only when the replicas meet.',
      },
    ],
  },
  {
    question:
      'The store is partitioned into n1, n2 and n3, n4, n5. Key cart:alice lives in group n1+n4+n5. What happens to writes sent to n1?',
    choices: [
      {
        text: 'Both kinds are refused: n1 is on the small side, and the small side of a partition never accepts writes.',
        explanation:
          'Eventual writes are accepted by any replica of the key that gets them, and n1 is one. "Small side" is also the wrong test for strong writes: what counts is a majority of the KEY\'S replicas.',
      },
      {
        text: 'Strong and eventual writes both succeed, and the store reconciles them all into siblings once the partition heals.',
        explanation:
          'A strong write needs a majority of the group, two of n1, n4, n5, and only n4 and n5 have one. Accepting strong writes on both sides would be split brain.',
      },
      {
        text: 'A strong write is refused (503, no leader, nothing changed); an eventual write is accepted and reconciled after the heal.',
        correct: true,
        explanation:
          'Right: the CAP switch per request. n1 holds one of the group\'s three replicas, so it can never gather a majority; strong stays consistent by refusing. Eventual stays available, and concurrent writes come back as siblings.',
      },
      {
        text: 'n1 forwards both to n4, which leads the group, and the client sees no difference from normal operation.',
        explanation:
          'n1 cannot reach n4: that is what the partition means. A forward across it fails; n1\'s side has no leader for this group at all.',
      },
    ],
  },
  {
    question: 'A client sticks to one replica in eventual mode. Which guarantees does it get, even though the store is only eventually consistent?',
    choices: [
      {
        text: 'None at all: eventual consistency rules nothing out, so even its own writes may disappear from its reads.',
        explanation:
          'For the store as a whole, yes. But a single replica only moves forward (merging never drops a value it has seen unless a write replaced it), so a client that stays on it sees its own writes and never goes back in time.',
      },
      {
        text: 'Read-your-writes and monotonic reads: one replica holds its writes and never goes back in time.',
        correct: true,
        explanation:
          'Yes. These per-session guarantees (Terry et al. 1994) come almost for free with a sticky client. They break when the client switches to a replica that has not caught up.',
      },
      {
        text: 'Linearizability, because the replica it talks to applies every request in one order, and one copy is all it sees.',
        explanation:
          'Other clients write through other replicas. Our client will not see their writes until gossip or anti-entropy brings them, so a read can miss a write that finished long before: not linearizable.',
      },
      {
        text: 'Only causal consistency across all keys, because the context it sends with every write orders them everywhere.',
        explanation:
          'A context orders writes of ONE key relative to what the client read of that key. It is not a causal order across keys, and it is not what a sticky client gets for free.',
      },
    ],
  },
  {
    question:
      'A key holds the strong value "milk", version (term 3, seq 1). A client then writes "eggs" to the same key with consistency=eventual and gets 200. What does a strong read of the key return?',
    choices: [
      {
        text: '"eggs": it was written later in real time, and a strong read returns the last acknowledged write of the key.',
        explanation:
          'It would if both kinds of write shared one value. They do not: a strong read returns the last acknowledged STRONG write. The eventual write lives on the key\'s eventual side, where an eventual read finds it.',
      },
      {
        text: '"milk": strong and eventual data are kept apart, so an eventual write never touches the strong value.',
        correct: true,
        explanation:
          'Right. Each key has two sides with different merge rules: one value with a leader\'s version, and siblings with a version vector. A strong read sees only the first, an eventual read only the second.',
      },
      {
        text: 'Both, as siblings: the two writes did not see each other, so the store keeps both and lets the client choose.',
        explanation:
          'That is exactly what strong data must never do: a linearizable read returns one value. An earlier version of the store shared one representation, and the simulator found a strong read answered with siblings.',
      },
      {
        text: 'Nothing (404): a key holds data of one consistency at a time, and the eventual write replaced the strong one.',
        explanation:
          'Nothing is replaced or deleted across the two sides. Here the strong read returns "milk" and an eventual read returns "eggs"; pick one consistency per key to avoid the surprise.',
      },
    ],
  },
];
