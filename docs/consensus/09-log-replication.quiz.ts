// Quiz for Session 9, "Log replication" (rendered by <Quiz> on docs/consensus/09-log-replication.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question:
      'A follower\'s log is 1 1 1 4 4 (terms, from index 1). It receives AppendEntries with prevLogIndex 5, prevLogTerm 5 and one new entry. What does it do?',
    choices: [
      {
        text: 'Refuses: it holds index 5, but with term 4, so its log and the leader\'s differ there.',
        correct: true,
        explanation:
          'Right. The consistency check (§5.3) compares the term at prevLogIndex. Term 4 is not term 5, so the entry after it cannot be placed safely. The refusal tells the leader to back up (with our hint: conflictTerm 4, conflictIndex 4).',
      },
      {
        text: 'Accepts: it holds an entry at index 5, and that is all the check asks for.',
        explanation:
          'The check asks for the entry at prevLogIndex with the SAME term. An entry of another term at that index came from another leader; appending after it would glue the leader\'s entries onto a different history and break Log Matching.',
      },
      {
        text: 'Accepts the new entry and replaces its own entry 5 with one of term 5.',
        explanation:
          'The message does not carry entry 5, only the entries after it, so the follower has nothing to replace it with. It refuses, and the leader resends from further back, entry 5 included.',
      },
      {
        text: 'Ignores the message: a term mismatch means it came from a deposed leader.',
        explanation:
          'The message\'s own term is current (the term check passed). prevLogTerm is the term of an older entry in the leader\'s log, not the sender\'s term. The follower answers, so the leader can repair it.',
      },
    ],
  },
  {
    question:
      'A follower holds entries 1 to 8, all from the current leader. A delayed duplicate of an older AppendEntries arrives, carrying entries 4 to 6, which match. What should the follower do?',
    choices: [
      {
        text: 'Replace everything after index 3 with entries 4 to 6: the leader\'s message says what the log should be.',
        explanation:
          'That throws away 7 and 8, which the follower already acknowledged and the leader may have counted towards a commit. A committed entry could then be on a minority only. Only a conflicting entry is cut, with what follows it.',
      },
      {
        text: 'Refuse it: a message whose entries end before the follower\'s log does cannot be the leader\'s latest.',
        explanation:
          'The consistency check passes (index 3 matches), so a refusal would make the leader back up for nothing. A stale message is harmless if nothing is cut: accept it and change nothing.',
      },
      {
        text: 'Accept it and write nothing; answer matchIndex 6, the last entry that message vouched for.',
        correct: true,
        explanation:
          'Right. Entries the follower holds with the same index and term are the same entries (Log Matching), so there is nothing to write, and nothing conflicts, so nothing is cut. The leader keeps the higher matchIndex it already knew.',
      },
      {
        text: 'Accept it and rewrite entries 4 to 6 on disk, leaving 7 and 8 where they are.',
        explanation:
          'It would be harmless, but it is wasted work: the same entries written and fsynced again. Our core writes from the first entry that is new or conflicts, and here none is.',
      },
    ],
  },
  {
    question:
      'The leader of term 4 finds that its entry at index 2, of term 2, is now stored on three of five servers. Why does it not mark index 2 committed?',
    choices: [
      {
        text: 'Because an entry counts as committed only once every server stores it.',
        explanation:
          'A majority is enough for entries of the leader\'s own term, which is what lets Raft go on with two of five servers down. The trouble here is the entry\'s old term.',
      },
      {
        text: 'Because a server whose log ends in term 3 could still win an election and overwrite it, as in Figure 8.',
        correct: true,
        explanation:
          'Right (§5.4.2). S2, S3 and S4, whose logs end in terms 2, 2 and 1, would vote for a candidate ending in term 3. Only when an entry of term 4 is on a majority can no such candidate win; then that entry, and index 2 before it, are committed.',
      },
      {
        text: 'Because an entry of an earlier term can never be committed and is dropped at the next election.',
        explanation:
          'It is committed, indirectly: as soon as an entry of the current term after it is committed, so is everything before it (Log Matching). That is why a new leader appends a no-op of its term at once.',
      },
      {
        text: 'Because commitment is decided by the followers, which compare leaderCommit with their own logs.',
        explanation:
          'The leader decides, from the followers\' matchIndex; followers only learn the result through leaderCommit. The rule the leader applies is the one in maybeCommit: a majority, and its own term.',
      },
    ],
  },
  {
    question:
      'A follower\'s log is 1 1 2 2 2 2 2 2 (terms), its commit index 3. An AppendEntries arrives with prevLogIndex 4 (term 2), one entry at 5 of term 2, and leaderCommit 8. What is its new commit index?',
    choices: [
      {
        text: '8: the leader has committed up to 8, and the follower holds 8 entries.',
        explanation:
          'The message proves the logs equal only up to 5. Entries 6 to 8 may be an old leader\'s entries that this leader never had; committing them would apply commands nobody else will. Figure 2 says min(leaderCommit, index of last new entry).',
      },
      {
        text: '3: a follower changes its commit index only when the message carries no entries.',
        explanation:
          'Heartbeats and messages with entries carry leaderCommit alike, and both move the commit index. Here it can move to 5.',
      },
      {
        text: '4: only entries before prevLogIndex are known to match.',
        explanation:
          'After the check and the append, the follower matches the leader up to prevLogIndex + the entries, here 5: the entry at 5 was just confirmed equal.',
      },
      {
        text: '5: the smaller of leaderCommit and the last index this message proved equal.',
        correct: true,
        explanation:
          'Right. 4 + 1 = 5 is as far as this message vouches for; leaderCommit is higher, so 5. Entries 6 to 8 wait until a later message proves them (or replaces them).',
      },
    ],
  },
  {
    question:
      'Follower (f) of the paper\'s Figure 7 holds 1 1 1 2 2 2 3 3 3 3 3; the leader of term 8 holds 1 1 1 4 4 5 5 6 6 6 8. Why do three round trips suffice to repair it, instead of eight?',
    choices: [
      {
        text: 'The leader sends its whole log in every message, so the second message always fits.',
        explanation:
          'Our leader sends at most a batch of entries after nextIndex, with prevLogIndex before them; a follower still refuses if prevLogIndex does not match. The saving comes from where the leader retries.',
      },
      {
        text: 'The follower deletes its uncommitted entries as soon as it sees a new leader\'s term.',
        explanation:
          'A follower never drops entries on a new term alone: they may match the new leader\'s log (and are needed if they do). It drops them only on a conflict with an AppendEntries.',
      },
      {
        text: 'Each refusal names the conflicting term and where its run starts, so the leader skips a whole term each time.',
        correct: true,
        explanation:
          'Right: the fast backup of §5.3\'s closing note. (f) answers conflictTerm 3, conflictIndex 7, then conflictTerm 2, conflictIndex 4; the leader has neither term, retries at 7 and then at 4, and the third message fits.',
      },
      {
        text: 'The follower copies the missing entries from another follower that is closer to the leader.',
        explanation:
          'In Raft, entries flow only from the leader to the followers. The leader repairs each follower itself; it just needs fewer tries to find where their logs agree.',
      },
    ],
  },
  {
    question:
      'Which of these does a Raft node NOT need to have on disk before it sends a reply?',
    choices: [
      {
        text: 'Its vote in the current term.',
        explanation:
          'It does need it. A node that forgot its vote after a crash could vote again in the same term, for another candidate: two leaders in one term.',
      },
      {
        text: 'Its commit index.',
        correct: true,
        explanation:
          'Right: Figure 2 lists commitIndex as volatile. After a restart the node learns it again from the leader\'s next AppendEntries, and the committed entries themselves are safe in the logs.',
      },
      {
        text: 'The entries its success reply acknowledges.',
        explanation:
          'It does need them. The leader counts that reply towards a majority; entries lost in a crash could leave a "committed" entry on a minority, and a leader without it could be elected.',
      },
      {
        text: 'Its current term.',
        explanation:
          'It does need it. A node that restarted in an older term would accept a deposed leader\'s messages again and could let its vote count in a term it had already left.',
      },
    ],
  },
  {
    question:
      'Our core\'s ready() hands the adapter a log change, messages and committed entries. In which order must the adapter handle them, and why?',
    choices: [
      {
        text: 'Send first, then persist: the leader is waiting, and the disk can catch up in the background.',
        explanation:
          'A reply that leaves before its fsync is a promise the disk cannot keep: after a power cut the entries are gone, yet the leader has counted them. The simulator shows exactly this loss if the order is reversed.',
      },
      {
        text: 'Persist, then apply, then send: the state machine must be up to date before anyone hears from the node.',
        explanation:
          'Applying before sending is allowed but not the point; what matters is that nothing leaves before the fsync. Our Ready lists persist, send, apply, so replies to peers are not held up by the state machine.',
      },
      {
        text: 'Any order: the core already made the change in memory, so the three are independent.',
        explanation:
          'The in-memory change dies with the process. The order is the whole point of the Ready contract, as in etcd-io/raft: durable first, then visible to others.',
      },
      {
        text: 'Persist (with fsync), then send the messages, then apply the committed entries.',
        correct: true,
        explanation:
          'Right. A vote or an acknowledgement is a promise, so it may leave only once the disk holds what it promises. Applying comes last; committed entries are already durable on a majority.',
      },
    ],
  },
];
