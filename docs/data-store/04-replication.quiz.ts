// Quiz for Session 4, "Replication and leader election" (rendered by <Quiz> on docs/data-store/04-replication.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question:
      'A group has three replicas. Why must a candidate win votes from two of them, and not just from one, to become leader?',
    choices: [
      {
        text: 'Any two majorities share a node, and a node votes once per term, so two candidates cannot both win the same term.',
        correct: true,
        explanation:
          'Right. Two winners of term 7 would need two votes each out of three, so one node would have voted twice in term 7, which the vote rule forbids. The same argument means only one side of a partition can hold two of a group\'s three nodes, so only one side can elect a leader.',
      },
      {
        text: 'Two votes make the election faster: the first two answers arrive sooner than all three, so the group is leaderless for less time.',
        explanation:
          'Waiting for two rather than three does make elections survive one dead node, but speed is not why a majority is needed. With "one vote is enough", two candidates could each vote for themselves and both lead the same term: split brain.',
      },
      {
        text: 'The second vote is a backup: if the winner crashes right after the election, the other voter takes over without a new election.',
        explanation:
          'A voter does not become a standby leader. If the winner crashes, the followers time out and hold a new election in a higher term. The majority is about safety: never two leaders in one term.',
      },
      {
        text: 'One vote would do for safety; two are needed only because the candidate\'s own vote does not count in its own election.',
        explanation:
          'The candidate does vote for itself and that vote counts: in a group of three it needs one more. One vote in total (its own) would let every node elect itself, which is exactly the split brain the majority rule prevents.',
      },
    ],
  },
  {
    question:
      'The leader of term 1 was paused for ten seconds; meanwhile its two followers elected a leader in term 2. It wakes up and sends a write in term 1. What happens?',
    choices: [
      {
        text: 'The followers store the write, because it comes from a node that was a legitimate leader when the client sent the request.',
        explanation:
          'Being leader "when the request was sent" means nothing to the followers: they only see the term on the message. Storing it would give term 1 and term 2 two leaders acknowledging writes at once, the split brain the fence prevents.',
      },
      {
        text: 'Both followers refuse it and answer "stale" with term 2; the old leader cannot gather a majority, adopts term 2 and steps down.',
        correct: true,
        explanation:
          'Yes. Every message carries its sender\'s term, and a node refuses every message of a term older than its own. That is the fence: the old leader may still try, but the nodes holding the data ignore it, and their answer tells it to step down.',
      },
      {
        text: 'The old leader notices the pause from its own clock, and drops the write before sending it, because its lease has run out.',
        explanation:
          'A paused process usually cannot notice its own pause in time (DDIA ch. 8, "Process Pauses"): it may check the clock just before the pause and send just after. Our store does not rely on that; the followers\' term check protects it whatever the old leader believes.',
      },
      {
        text: 'Both leaders now accept writes until an operator notices the conflict and shuts one of them down with STONITH.',
        explanation:
          'STONITH is one way some systems deal with split brain, but ours needs no operator: the term fences the old leader automatically, because no follower of the new term will store its write.',
      },
    ],
  },
  {
    question: 'A follower has not heard a heartbeat from its leader for two seconds. What does it know?',
    choices: [
      {
        text: 'The leader has crashed: heartbeats are sent every 100 ms, so twenty missed in a row can only mean the process is gone.',
        explanation:
          'Twenty missed heartbeats are just as consistent with a long garbage-collection pause, an overloaded machine, or a broken link between the two. In a network without bounded delays a crash cannot be told apart from slowness.',
      },
      {
        text: 'Nothing yet: it should wait until the leader answers again, because starting an election on a guess could elect a second leader.',
        explanation:
          'Waiting for certainty would mean waiting for ever when the leader really is dead. Starting an election on a suspicion is fine, because the majority vote and the terms keep it safe even when the suspicion is wrong.',
      },
      {
        text: 'Only that it has heard nothing: the leader may be dead, paused or cut off, so it may suspect a failure and start an election.',
        correct: true,
        explanation:
          'Right. A failure detector can only suspect (Chandra and Toueg 1996). The algorithm above it must stay safe when the suspicion is wrong, and ours does: an election needs a majority, and a newer term fences the old leader if it was only slow.',
      },
      {
        text: 'That the network is partitioned, because a crashed leader would have sent a goodbye message to its followers first.',
        explanation:
          'A process killed with kill -9, or a machine that loses power, sends nothing at all. Silence cannot tell a crash from a partition or a pause.',
      },
    ],
  },
  {
    question:
      'Our election leaves out Raft\'s rule that a voter refuses a candidate whose log is behind its own. What does our store do instead, so that no acknowledged write is lost?',
    choices: [
      {
        text: 'Each voter sends the candidate its copy of every key, and the winner keeps, key by key, the highest version.',
        correct: true,
        explanation:
          'Yes. Every acknowledged write is held by a majority, and any two majorities share a node, so some voter has it; a version (term, sequence number) tells which copy is later. The winner also copies the result to a majority (sync) before serving. Collecting what a majority accepted and keeping the highest numbered is Paxos\'s first phase.',
      },
      {
        text: 'Nothing is needed: without the log check any node can win, and all three replicas always hold the same data anyway.',
        explanation:
          'Replicas do not always hold the same data: a strong write is acknowledged once two of three have it, so the third may lack it. If that third node won and served its own copy, an acknowledged write would vanish.',
      },
      {
        text: 'Only the node with the lowest name can win, and every write is sent to that node first, so it always has every write.',
        explanation:
          'No such rule exists: any replica can win an election, whichever times out first. A fixed winner would also leave the group without a leader whenever that node is down.',
      },
      {
        text: 'The new leader asks the client to send its last write again, and replays the write before it answers anything else.',
        explanation:
          'Clients are not asked to resend anything, and a client that wrote long ago may be gone. The store itself must keep what it acknowledged; the votes carry the data for that.',
      },
    ],
  },
  {
    question:
      'A leader acknowledges a strong write once one of its two followers has stored it. Compared with waiting for both followers, what does this buy, and what does it cost?',
    choices: [
      {
        text: 'It is asynchronous replication: faster, but a crash of the leader right after the acknowledgement loses the write.',
        explanation:
          'Asynchronous replication answers before ANY follower has the write. Here two of three copies hold it on disk before the client hears "done", so a crash of the leader loses nothing: the next leader finds it among its voters.',
      },
      {
        text: 'It buys nothing in speed, because the leader still sends the write to both followers, and the cost is a lost write.',
        explanation:
          'Sending to both is cheap; waiting for both is what costs. The leader answers as soon as the faster follower confirms, and a majority holding the write means it cannot be lost.',
      },
      {
        text: 'A dead or slow follower no longer blocks writes; the cost is that one follower may lag, and reads from it could be stale.',
        correct: true,
        explanation:
          'Right. Majority replication survives one slow or dead follower and loses nothing acknowledged. The lagging follower is why our strong reads go to the leader only.',
      },
      {
        text: 'Writes are safer than with all three, because fewer copies mean fewer chances for the copies to disagree with each other.',
        explanation:
          'Fewer copies are not safer in themselves. What makes majority replication safe is that any two majorities overlap, so the next leader always finds the write.',
      },
    ],
  },
  {
    question: 'A leader is cut off from both of its followers by a partition, and no client can reach it. What does our store do?',
    choices: [
      {
        text: 'It keeps leading until the partition heals, because only a message with a newer term can make a leader step down.',
        explanation:
          'A newer term is one way. The other: a leader that has not heard from a majority for an election timeout steps down by itself (etcd calls this check-quorum), so it stops claiming leadership it can no longer use.',
      },
      {
        text: 'It steps down after an election timeout without a majority, and the other two elect a new leader in a higher term.',
        correct: true,
        explanation:
          'Yes. The cut-off side cannot commit anything anyway. Stepping down makes its requests fail fast with "no leader" instead of hanging, while the majority side elects a leader and carries on.',
      },
      {
        text: 'It hands its leadership to the follower with the lowest name, so the group keeps a leader while the link is down.',
        explanation:
          'A cut-off leader cannot hand anything over: its messages do not arrive. The followers must notice the silence themselves and elect a new leader by majority vote.',
      },
      {
        text: 'Nothing changes: both sides keep serving strong writes, and the writes are reconciled when the partition heals.',
        explanation:
          'That is what eventual requests do. Strong writes need a majority of the group, which only one side has; serving them on both sides would be split brain.',
      },
    ],
  },
];
