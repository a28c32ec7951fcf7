// Quiz for Session 3, "Partitioning and CAP" (rendered by <Quiz> on docs/data-store/03-partitioning-cap.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully and as long as
// the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question: 'A store puts each key on node number hash(key) mod N. It has 5 nodes and adds a sixth. Roughly how many keys move?',
    choices: [
      {
        text: 'About five in six: a key stays only if its hash leaves the same remainder for 5 and for 6.',
        correct: true,
        explanation:
          'Right. Measured on 10,000 keys: 8,352 moved, although only about 1,667 had to move to fill the new node. Most moves shuffle keys between old nodes for nothing.',
      },
      {
        text: 'About one in six: the new node takes its fair share and every other key stays where it was.',
        explanation:
          'That is what consistent hashing achieves (1,437 of 10,000 on our ring). With mod N almost every remainder changes when N does, so keys move between old nodes too.',
      },
      {
        text: 'None until the old nodes fill up: mod N only sends new keys to the new node.',
        explanation:
          'The rule is applied to every key on every lookup. Once N is 6, a get for an old key looks on node hash mod 6, so the key must already be there.',
      },
      {
        text: 'Half of them, because the sixth node splits the range of the node next to it.',
        explanation:
          'Splitting a neighbour\'s range describes range partitioning or a ring. hash mod N has no neighbours: it renumbers every key at once.',
      },
    ],
  },
  {
    question: 'Why does our ring give each node 128 tokens (virtual nodes) instead of one position?',
    choices: [
      {
        text: 'So that each of the three copies of a key can sit on a different token of the same node.',
        explanation:
          'The opposite: the preference list skips further tokens of a node already chosen, so the three copies land on three different machines.',
      },
      {
        text: 'Many small arcs per node even out the load, and a leaving node\'s keys spread over all the others.',
        correct: true,
        explanation:
          'Right. With one token the busiest of five nodes held 1.83x the mean; with 128, 1.06x. And when node-3 left, its keys went to all four survivors instead of to one neighbour.',
      },
      {
        text: 'So that a lookup is faster: with more tokens the binary search finds the owner in fewer steps.',
        explanation:
          'More tokens make the sorted list longer, so a lookup takes slightly more steps, not fewer. Tokens buy balance, at a small cost in lookup and memory.',
      },
      {
        text: 'Because MurmurHash3 only spreads values well when each name is hashed many times over.',
        explanation:
          'One hash of one name is as random as the hash gets. The problem is not the hash but that five random points cut a circle into very unequal arcs.',
      },
    ],
  },
  {
    question: 'One key is extremely popular: a celebrity\'s post read and written millions of times a minute. What helps?',
    choices: [
      {
        text: 'More tokens per node, so that the hot key\'s arc of the ring becomes much smaller.',
        explanation:
          'Tokens spread many keys evenly, but one key always maps to one position, so to the same three nodes however small its arc is.',
      },
      {
        text: 'Switching from hash to range partitioning, so the key gets a range of its own.',
        explanation:
          'A range of one key is still one node (and its replicas). The load of a single key cannot be split by any rule that maps keys to nodes.',
      },
      {
        text: 'Splitting it in the application: write to one of 100 keys with a suffix, and read all 100.',
        correct: true,
        explanation:
          'Right (DDIA ch. 6). The 100 keys land on different nodes, so writes spread out; the price is that every read must fetch and combine all of them, so do it only for keys known to be hot.',
      },
      {
        text: 'Nothing is needed: consistent hashing guarantees every node the same share of requests.',
        explanation:
          'It promises a fair share of KEYS, not of requests. A node holding the one hot key gets its traffic whatever the other keys do.',
      },
    ],
  },
  {
    question: 'In Gilbert and Lynch\'s proof of the CAP theorem, what does "available" mean?',
    choices: [
      {
        text: 'The cluster as a whole answers most requests, for example 99.9% of them in a month.',
        explanation:
          'That is an everyday service-level notion. CAP\'s availability is stricter: no running node may refuse or ignore a request.',
      },
      {
        text: 'At least a majority of the nodes are up, so a quorum can still be formed.',
        explanation:
          'A store that answers only on the majority side is consistent but NOT available in CAP\'s sense, since the nodes on the minority side refuse.',
      },
      {
        text: 'Every request answers quickly, within a bound such as one second.',
        explanation:
          'CAP has no time bound at all: a reply after ten minutes counts. That is one of the things Kleppmann notes CAP does not say anything about.',
      },
      {
        text: 'Every request received by a node that has not failed eventually gets a response.',
        correct: true,
        explanation:
          'Right. Every non-failing node must answer every request, with no exception for the small side of a partition, and with no bound on how long the answer takes.',
      },
    ],
  },
  {
    question: 'Which statement about CAP is accurate?',
    choices: [
      {
        text: 'Designers pick two of the three properties, for example C and A, and give up partition tolerance.',
        explanation:
          'Partitions are faults that happen to you, not a feature to leave out. Brewer (2012) himself calls the "2 of 3" formulation misleading.',
      },
      {
        text: 'While the network loses messages between replicas, a system must give up linearizability or availability.',
        correct: true,
        explanation:
          'Right. That is all the theorem says: during a partition, a node either refuses (or waits) or answers without knowing the latest write.',
      },
      {
        text: 'A CP system must also be slow when there is no partition, because CAP forbids fast consistency.',
        explanation:
          'Without a partition CAP says nothing. The latency cost of consistency in normal operation is PACELC\'s "else" branch (Abadi 2012), not CAP.',
      },
      {
        text: 'An AP system gives up every kind of consistency, so even a client may not read its own writes.',
        explanation:
          'CAP\'s C is only linearizability. Weaker guarantees such as read-your-writes or causal consistency are outside the theorem, and some can be kept during a partition (Session 5).',
      },
    ],
  },
  {
    question: 'Our store keeps 3 copies of each key on 5 nodes. What is the largest number of different groups (replica sets) it can have?',
    choices: [
      {
        text: '5: one per node, since each node owns the keys of its arcs.',
        explanation:
          'Ownership counts first nodes only. A group is the whole SET of three nodes holding a key, and different keys owned by n1 can have different second and third replicas.',
      },
      {
        text: '10: every way to choose 3 of the 5 nodes, C(5, 3).',
        correct: true,
        explanation:
          'Right. A group is named by its sorted nodes, such as n1+n3+n4. Measured on 10,000 keys all 10 occur, holding 786 to 1,532 keys each.',
      },
      {
        text: '640: one per token, since each of the 5 x 128 tokens starts its own list.',
        explanation:
          'Many tokens lead to the same three distinct nodes. Keys are grouped by the set of nodes, and there are only C(5, 3) = 10 sets.',
      },
      {
        text: '60: every ordered list of 3 different nodes out of 5.',
        explanation:
          'Order does not matter for what a node stores: n2, n5, n3 and n3, n2, n5 are the same three machines. keyMovement also compares sets.',
      },
    ],
  },
];
