// Quiz for Session 8, "Consensus and leader election" (rendered by <Quiz> on docs/consensus/08-raft-leader-election.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question: 'What does the FLP result (Fischer, Lynch and Paterson, 1985) say about consensus?',
    choices: [
      {
        text: 'In an asynchronous system, no deterministic algorithm can guarantee it terminates if one node may crash.',
        correct: true,
        explanation:
          'Right. A slow node and a crashed one look the same, and an adversary that controls only message timing can keep any such algorithm undecided for ever. Safety can still be kept always; it is termination that cannot be guaranteed.',
      },
      {
        text: 'Consensus is impossible in practice, so systems like etcd only approximate it and may decide two values.',
        explanation:
          'FLP is about a guarantee under every possible timing, not about practice. Raft, Paxos and etcd never decide two values; what they give up is progress while the network misbehaves.',
      },
      {
        text: 'Consensus needs synchronized clocks, so every node must run NTP before an election can be held.',
        explanation:
          'Raft uses no clock for safety: terms are counters, and timeouts only measure how long a node itself has waited. FLP says that without any timing assumption termination cannot be guaranteed; it does not ask for synchronized clocks.',
      },
      {
        text: 'With one crashed node, a majority can no longer be formed, so the remaining nodes must stop.',
        explanation:
          'Four of five, or two of three, is still a majority: Raft keeps working with a minority crashed. FLP is stranger than that: even one possible crash, with messages merely delayed, defeats any guarantee of termination.',
      },
    ],
  },
  {
    question: 'Why does Raft say that its safety must not depend on timing, while it still uses election timeouts?',
    choices: [
      {
        text: 'Timeouts are only a hint for operators; Raft elects leaders by comparing node ids, so time plays no part.',
        explanation:
          'Timeouts do the real work of starting elections: a follower that hears no leader for its timeout becomes a candidate. Nothing in Raft compares node ids.',
      },
      {
        text: 'Because the clocks of all servers are kept in step by the leader\'s heartbeats, so every server\'s timeout runs out at exactly the right moment.',
        explanation:
          'Heartbeats carry no time, and nothing keeps the servers\' clocks in step. Each timeout measures only how long that one server has waited, by its own clock.',
      },
      {
        text: 'Timeouts only decide when an election starts; votes and terms decide who wins, so bad timing costs availability, not correctness.',
        correct: true,
        explanation:
          'Right. Too short a timeout causes needless elections; too long delays recovery. Neither can produce two leaders in one term, because that is ruled out by one vote per term and majorities (§5.2, §5.6).',
      },
      {
        text: 'A timeout that is too short is detected by the other servers, which then refuse its RequestVote.',
        explanation:
          'A voter cannot see how long a candidate waited. It judges only the term, its own vote in that term, and how up to date the candidate\'s log is.',
      },
    ],
  },
  {
    question: 'Five servers. In term 7, candidates n1 and n2 each need 3 votes. Why can they not both win?',
    choices: [
      {
        text: 'Because the leader of term 6 picks which candidate may run in term 7.',
        explanation:
          'No one picks the candidates: any follower whose timeout runs out may stand. The old leader is usually gone, which is why there is an election.',
      },
      {
        text: 'Each would need 3 of 5 votes; two such majorities share a server, which would have voted twice in term 7.',
        correct: true,
        explanation:
          'Right: election safety (§5.2). Each server votes at most once per term and writes the vote to disk before answering, so the shared server can back only one of them.',
      },
      {
        text: 'Because the candidate with the lower id always withdraws when it sees the other one.',
        explanation:
          'Raft has no rule about ids. Two candidates of the same term refuse each other (each voted for itself) and simply count votes; with a split, both lose and a new term follows.',
      },
      {
        text: 'They can, for a moment: the one with the longer log deposes the other at its first heartbeat, and the cluster carries on.',
        explanation:
          'Two leaders in one term never happen in Raft, not even for a moment. A leader of an older term may linger unaware, but it is fenced by the term and cannot commit anything.',
      },
    ],
  },
  {
    question: 'What do randomized election timeouts (say 150–300 ms) buy, compared with every server using exactly 150 ms?',
    choices: [
      {
        text: 'They guarantee that no two servers ever time out at the same moment, so a split vote can no longer happen in the cluster.',
        explanation:
          'Nothing is guaranteed: two draws can land close together and a vote can still split. Randomness makes that rare, and makes a repeat even rarer, because everyone draws again.',
      },
      {
        text: 'They make the cluster safe: without them two leaders could be elected in the same term.',
        explanation:
          'Safety does not come from timing. With identical timeouts the votes split again and again, so no leader is elected at all; that is a liveness problem, never two leaders.',
      },
      {
        text: 'They let the fastest server become leader, since its timer runs down more quickly than the others.',
        explanation:
          'Which server times out first is a matter of its random draw, not its speed. The draw says nothing about the machine.',
      },
      {
        text: 'Usually one server times out well before the rest and wins before others stand, so split votes are rare and short.',
        correct: true,
        explanation:
          'Right (§5.2). The paper measured it (Figure 16): with identical timeouts elections took over 10 s because of repeated split votes; 5 ms of randomness brought the median to 287 ms.',
      },
    ],
  },
  {
    question: 'A voter\'s last log entry is index 9, term 4. Which candidate\'s log is at least as up to date (§5.4.1)?',
    choices: [
      {
        text: 'Index 12, term 3: it holds three more entries than the voter.',
        explanation:
          'The last terms are compared first: 3 is older than 4, so this log is less up to date whatever its length. Its extra entries may be ones a later leader replaced.',
      },
      {
        text: 'Index 3, term 5: its last entry is of a later term.',
        correct: true,
        explanation:
          'Right. A later last term is more up to date even with a shorter log. That entry was written by the leader of term 5, which held every entry committed before its term (Leader Completeness), and the candidate\'s log matches that leader\'s up to there; the voter\'s longer tail of older terms cannot all be committed.',
      },
      {
        text: 'Index 8, term 4: the same last term, one entry short.',
        explanation:
          'With the same last term the length decides, and 8 is shorter than 9. The missing entry may be committed, so the voter refuses.',
      },
      {
        text: 'None of them: a voter only votes for a log identical to its own.',
        explanation:
          'The rule asks for "at least as up to date", not equal. If only identical logs got votes, a candidate with more entries than a lagging voter would never be elected.',
      },
    ],
  },
  {
    question: 'Why does Raft need the up-to-date check at all, when one vote per term already prevents two leaders?',
    choices: [
      {
        text: 'It does not need it for correctness; it only makes elections finish faster by favouring long logs.',
        explanation:
          'It is essential for correctness. Without it, a server missing a committed entry can be elected and, as leader, overwrite that entry on its followers.',
      },
      {
        text: 'It stops a candidate of an older term from winning after the cluster has moved on.',
        explanation:
          'That is the term check: a RequestVote of an older term is refused whatever the log. The up-to-date check is about logs within the current term\'s election.',
      },
      {
        text: 'So the winner holds every committed entry: any majority of voters includes a server that holds it.',
        correct: true,
        explanation:
          'Right: Leader Completeness (§5.4). A committed entry is on a majority, the winner needs a majority, they overlap, and that shared server votes only for a log at least as up to date as its own.',
      },
      {
        text: 'It prevents split votes, since only one candidate can have the most up-to-date log.',
        explanation:
          'Several servers often have equally up-to-date logs (all empty at the start, for example), and they can split a vote. Randomized timeouts deal with splits.',
      },
    ],
  },
  {
    question: 'n3 is a follower in term 4 and voted for n5 in term 4. A RequestVote arrives from n2 for term 6, and n2\'s log is up to date. What does n3 do?',
    choices: [
      {
        text: 'Refuses: it already voted for n5, and a server votes only once.',
        explanation:
          'Once per TERM. The vote for n5 was cast in term 4; in term 6 n3 has not voted yet. Keeping the old vote would let split votes block every later election.',
      },
      {
        text: 'Adopts term 6, with no vote yet in it, and grants n2 its vote, on disk before it replies.',
        correct: true,
        explanation:
          'Right. A newer term is adopted first (§5.1) and the vote resets with it; then the usual test applies, and n2 passes it. The vote is persisted before the reply leaves.',
      },
      {
        text: 'Refuses and stays in term 4: a term can only be raised by a heartbeat from a leader, never by a candidate.',
        explanation:
          'Any message with a newer term raises it, a RequestVote included (Figure 2). A server that stayed in term 4 would answer with term 4, and n2 would ignore the answer.',
      },
      {
        text: 'Grants, but keeps term 4, so that n5 can still win its own election later.',
        explanation:
          'The reply carries the voter\'s term, and n2 counts only replies of its own term 6. n5\'s election of term 4 is over either way.',
      },
    ],
  },
];
