// Quiz for Session 10, "The consensus system" (rendered by <Quiz> on docs/consensus/10-consensus-system.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question:
      'Alice sends `put x 1` (no client id). The leader commits it, then crashes before it answers. Alice times out and sends the same put to the new leader. Meanwhile Bob\'s `put x 2` was committed after Alice\'s first copy. What can happen?',
    choices: [
      {
        text: 'Alice\'s retry is applied again after Bob\'s put, and x goes back to 1: Bob\'s acknowledged write is undone.',
        correct: true,
        explanation:
          'Right. The retry is a new log entry at a new index; Raft commits it like any other. Without a client id and sequence number the state machine cannot tell it from a new request, so it acts twice (§8 describes exactly this double execution; Bob\'s undone write is what it can cost).',
      },
      {
        text: 'Nothing: the new leader sees that an identical command is already in its log and drops the retry as a duplicate.',
        explanation:
          'Raft compares terms and indexes, never commands: two puts of the same value are two entries. Recognising a retry is the state machine\'s job, and it needs something to recognise it by: a client id and a sequence number.',
      },
      {
        text: 'The new leader refuses the retry with 421, because the entry belongs to the old leader\'s term.',
        explanation:
          '421 means "I am not the leader". The new leader is the leader, so it appends the retry. Entries of an older term are not refused; they are simply already in the log.',
      },
      {
        text: 'The old leader\'s entry is discarded by the new leader, so the retry is applied once in all.',
        explanation:
          'The entry was committed: every later leader holds it (Leader Completeness, §5.4). It stays, and the retry comes on top of it.',
      },
    ],
  },
  {
    question: 'Our KV state keeps, for each client, the last sequence number applied and its answer. Why is that table part of the replicated state (and of every snapshot) instead of a map the leader keeps in memory?',
    choices: [
      {
        text: 'Any node may become leader and get the retry, perhaps one restored from a snapshot; each must recognise it.',
        correct: true,
        explanation:
          'Right. The first copy may have been applied under one leader and the retry land at the next. Only a table every replica builds from the same log, and a snapshot carries along, answers the retry the same way everywhere.',
      },
      {
        text: 'Because followers answer clients too, and each needs its own copy to reply from.',
        explanation:
          'In our cluster only the leader answers KV requests; followers answer 421. The table is replicated because leadership moves, not because followers answer.',
      },
      {
        text: 'It is not needed there: the client id alone is enough, since a well-behaved client never sends the same command twice.',
        explanation:
          'A client sends a command twice exactly when it retries after a timeout. The client id says who; the sequence number says which request, and the table says whether that one was applied.',
      },
      {
        text: 'To save memory: a replicated table can be split between the nodes, each keeping a part.',
        explanation:
          'Every node keeps the whole table: replication copies, it does not split. The table costs memory on every node; real systems expire old sessions for that reason.',
      },
    ],
  },
  {
    question: 'Client c1 has had answers for seq 1 to 6. A late network copy of its seq 5 request is committed now. What should the state machine do with it?',
    choices: [
      {
        text: 'Apply it: it is a new entry at a new index, and the log decides.',
        explanation:
          'That is how a late copy undoes newer writes. c1 sends one request at a time, so by the time it sent seq 6 it had seq 5\'s answer: seq 5 was applied already.',
      },
      {
        text: 'Change nothing, and keep seq 6 as c1\'s last: no one is waiting for this answer.',
        correct: true,
        explanation:
          'Right. Any seq at or below the last one applied is a retry of something done. Test seq <= last, not seq == last, and never move the record back to 5, or a retry of seq 6 would then act again.',
      },
      {
        text: 'Refuse it with a 400, so that the client learns it sent something wrong.',
        explanation:
          'The entry is already committed in every log; there is no refusing it now, and the client is not waiting for it. The state machine just must not act on it.',
      },
      {
        text: 'Apply it and set c1\'s last seq back to 5, so the table matches the newest entry.',
        explanation:
          'Then a late retry of seq 6 would look new and act a second time. The table must only move forward.',
      },
    ],
  },
  {
    question: 'Why is reading a follower\'s own copy of a key not linearizable, even though the follower only applies committed entries?',
    choices: [
      {
        text: 'Followers apply entries in a different order from the leader.',
        explanation:
          'Every node applies the same entries in the same order: that is the replicated state machine. The problem is not the order but how far along the follower is.',
      },
      {
        text: 'A follower can apply an entry that is later overwritten by another leader.',
        explanation:
          'Committed entries are never overwritten, and our nodes apply only committed ones. What a follower can have is too little, not something wrong.',
      },
      {
        text: 'It may lag: a write acknowledged before the read began may not have reached it, so it returns an older value.',
        correct: true,
        explanation:
          'Right. The leader acknowledges once a majority stores the entry; this follower may be in the minority, or learn the new commit index a heartbeat later. Linearizability forbids reading an older value after a write has returned (Herlihy & Wing 1990; DDIA ch. 9).',
      },
      {
        text: 'It is linearizable after all: every committed entry is on a majority of nodes, so every node\'s copy is up to date.',
        explanation:
          'A majority stores each committed entry, not every node. A follower outside that majority, or one slow to hear the new commit index, is behind.',
      },
    ],
  },
  {
    question: 'Our cluster sends every `get` through the log, like a write. What does that cost, compared with ReadIndex?',
    choices: [
      {
        text: 'Nothing: both wait for one round trip to a majority, and the log entry is free.',
        explanation:
          'The round trip is the same, but a log entry is not free: the leader and a majority append it and fsync it before it commits, and it stays in the log until a snapshot removes it.',
      },
      {
        text: 'Reads through the log may return a stale value during an election; ReadIndex never does.',
        explanation:
          'Both are linearizable. A get in the log is answered only once it is committed in the leader\'s term and applied after every earlier entry.',
      },
      {
        text: 'ReadIndex needs no network at all: the leader answers from its own state at once.',
        explanation:
          'That is a lease read, and it is safe only if clocks are trusted. ReadIndex still confirms leadership with a heartbeat round to a majority; it saves the disk write, not the round trip.',
      },
      {
        text: 'A disk write and fsync on a majority per read, and a longer log; ReadIndex needs only a heartbeat round.',
        correct: true,
        explanation:
          'Right. ReadIndex records the commit index, confirms with a majority that it still leads, waits until that index is applied and answers: no entry, no fsync (§8; Ongaro\'s dissertation §6.4).',
      },
    ],
  },
  {
    question: 'The leader of a five-node cluster is cut off with one follower; the other three elect a new leader and take writes. A client still talking to the old leader sends `get x`. What does it get?',
    choices: [
      {
        text: 'The old value of x, since the old leader still believes it leads.',
        explanation:
          'That would happen if the old leader answered from its own state. Our get is a log entry: it must be stored by three of five nodes to commit, and the old leader reaches only two.',
      },
      {
        text: 'No value: the get cannot commit, so the client gets a 504 (or a 503) and tries another node.',
        correct: true,
        explanation:
          'Right. Without a majority nothing commits, so nothing is answered; the old leader also steps down within two election timeouts (our check-quorum). A missing answer is the price; a stale one is never given.',
      },
      {
        text: 'The new value of x, because the old leader forwards every read to whichever node now leads the cluster.',
        explanation:
          'Our nodes never forward; a follower answers 421 with the leader it knows. And the old leader does not know of the new leader: it is cut off.',
      },
      {
        text: 'An error 400, because a minority leader refuses every request at once.',
        explanation:
          '400 is for bad input. The old leader does not know it lacks a majority; it accepts the request and waits for commits that never come.',
      },
    ],
  },
  {
    question: 'A follower was down for a long time. Meanwhile the leader took a snapshot at index 5,000 and dropped its log up to there. The follower\'s log ends at 1,200. How does it catch up?',
    choices: [
      {
        text: 'The leader rebuilds entries 1,201 to 5,000 from its snapshot and sends them in AppendEntries messages, oldest first, as it always does.',
        explanation:
          'A snapshot holds the state, not the entries: once compacted, entries 1,201 to 5,000 exist nowhere on the leader any more.',
      },
      {
        text: 'It cannot: it must be wiped and added again as a new member.',
        explanation:
          'No membership change is needed. This is exactly the case §7 provides InstallSnapshot for.',
      },
      {
        text: 'InstallSnapshot: the follower takes the leader\'s snapshot (sessions included) in place of its state, then entries after 5,000.',
        correct: true,
        explanation:
          'Right. A follower whose next entry the leader has compacted away gets the whole snapshot (§7). The sessions come with the data, so a retry answered before the snapshot is still recognised after it.',
      },
      {
        text: 'It asks another follower that has not compacted its log yet.',
        explanation:
          'Raft sends entries only from the leader to followers, and every node compacts on its own schedule. Followers never serve each other.',
      },
    ],
  },
];
