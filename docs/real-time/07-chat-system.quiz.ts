// Quiz for Session 7, "The chat system" (rendered by <Quiz> on docs/real-time/07-chat-system.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question:
      'Two chat servers stamp each message with their own clock, and clients sort a room by the stamp. Server s2\'s clock is 300 ms behind s1\'s. What can a user see?',
    choices: [
      {
        text: 'Bob\'s answer, sent through s2 200 ms after Alice\'s question on s1, shown above the question.',
        correct: true,
        explanation:
          'Right. s2 stamps the answer 100 ms earlier than s1 stamped the question, so sorting by stamp puts it first. Clocks drift and are corrected only approximately (DDIA ch. 8); no setting makes two of them equal.',
      },
      {
        text: 'Nothing odd: NTP keeps server clocks within a microsecond of each other, far closer than two messages.',
        explanation:
          'NTP is nowhere near that: over the internet its error is tens of milliseconds at best, worse on a congested link (DDIA ch. 8), and it can even step a clock backwards. Messages in a busy room are milliseconds apart.',
      },
      {
        text: 'Messages from s2 arrive 300 ms late on every screen, but they are always shown in the right order.',
        explanation:
          'The stamps do not delay anything; they decide the order. A stamp that is too early sorts the message too high, above messages that were written before it.',
      },
      {
        text: 'The clients notice the two clocks disagree and fall back to showing messages in the order they arrive.',
        explanation:
          'A client has no way to tell that a stamp is wrong: a stamp is just a number. That is why we stop trusting stamps and let one sequencer number the messages.',
      },
    ],
  },
  {
    question: 'Our bus\'s sequencer gives every message in one room the next number. What does that buy, and what does it cost?',
    choices: [
      {
        text: 'The same order on every client of every server; the cost is that only one client per room may send at a time.',
        explanation:
          'Any number of clients may send at once: the sequencer simply numbers their messages in the order they reach it. The cost is elsewhere: every message passes one process.',
      },
      {
        text: 'The same order on every screen; but every message passes one process, and while it is down nobody can send.',
        correct: true,
        explanation:
          'Right: a total order from a single point. The chat servers answer "unavailable" while the bus is down. Making the sequencer itself survive a crash needs consensus (DDIA ch. 9), which is Part IV.',
      },
      {
        text: 'An order that matches real time exactly, because the sequencer reads one clock that all servers share.',
        explanation:
          'The sequencer reads no clock at all: it counts. The order is the order in which messages reach it, which is what every client needs to agree on.',
      },
      {
        text: 'Messages that can never be lost, since a numbered message is kept by every chat server forever.',
        explanation:
          'Chat servers keep nothing that matters; the bus keeps each room\'s history, and only the last 1,000 messages. A client further behind is told so with a gap frame.',
      },
    ],
  },
  {
    question:
      'With Lamport clocks and ties broken by process name, every message has one place in one total order. Why does a chat built on them alone still struggle to show messages promptly?',
    choices: [
      {
        text: 'Because Lamport stamps can contradict causality: an answer may get a smaller stamp than its question.',
        explanation:
          'That is exactly what Lamport clocks prevent: a receiver jumps its counter past the stamp it received, so anything it writes afterwards gets a larger stamp.',
      },
      {
        text: 'Because the counters grow without limit and soon overflow, so the processes must stop to reset them together.',
        explanation:
          'A counter that grows by one per event will not overflow a 64-bit integer in any realistic lifetime. The real problem is knowing when a message\'s place is final.',
      },
      {
        text: 'Because to show a message at its final place, a process must first hear a later stamp from every other one.',
        correct: true,
        explanation:
          'Right. Until every process has sent something with a larger stamp, one of them could still send a message that belongs earlier. One silent or slow process stalls everyone; that is what a total order costs without a sequencer.',
      },
      {
        text: 'Because Lamport clocks need the machines\' wall clocks to be synchronised within a known bound first.',
        explanation:
          'Lamport clocks are counters and use no wall clock at all; that is their point. Systems that order by real time with a known error bound, such as Spanner with TrueTime, are a different design.',
      },
    ],
  },
  {
    question: 'A room is ordered only causally, with no sequencer. Alice writes "pizza?" while Bob, at the same moment, writes "sushi?". What may happen?',
    choices: [
      {
        text: 'Nothing can differ: causal order means every client shows all messages in one single order.',
        explanation:
          'That would be a total order. Causal order only fixes the order of messages where one could have influenced the other; concurrent ones may be shown either way.',
      },
      {
        text: 'One of the two messages is dropped, because causal order cannot decide between concurrent messages.',
        explanation:
          'Nothing is dropped. Concurrent messages are both shown; they just have no agreed order between them.',
      },
      {
        text: 'The clients must block until Alice and Bob agree which of the two messages was written first.',
        explanation:
          'Causal order never waits for that: concurrent messages are shown as they come. Waiting for agreement would be a total order, with its cost.',
      },
      {
        text: 'Carol\'s screen shows pizza first and Dave\'s shows sushi first; an answer to either still comes after it.',
        correct: true,
        explanation:
          'Right. The two messages are concurrent: neither writer had seen the other. Causal order lets screens differ on them, but keeps every reply below what its writer had read.',
      },
    ],
  },
  {
    question: 'Why may presence beats between chat servers go over an at-most-once channel such as Redis pub/sub, when chat messages may not?',
    choices: [
      {
        text: 'Because beats are tiny, and Redis pub/sub guarantees delivery for messages below a few hundred bytes.',
        explanation:
          'Redis pub/sub is at-most-once whatever the size: a subscriber that is disconnected when a message is published never gets it.',
      },
      {
        text: 'Because a beat says who is online now, in full; a lost one is repaired by the next a second later.',
        correct: true,
        explanation:
          'Right: a beat is state, not news. Nothing has to be numbered, stored or resent. A chat message lost on the way is gone for good unless it can be read again from history, which is why history lives in a stream.',
      },
      {
        text: 'Because each server compares the timestamps in the beats it gets and can tell which ones went missing.',
        explanation:
          'Servers never compare clocks in our design. Each one only measures, by its own clock, how long it has waited since a server\'s last beat.',
      },
      {
        text: 'Because presence is only shown to the sender\'s own server, so the other servers do not need every beat.',
        explanation:
          'Every server needs every other server\'s beats: a room\'s online list is the union over all live servers, and each server shows it to its own clients.',
      },
    ],
  },
  {
    question:
      'Alice\'s client has shown lobby up to seq 42. It sent id 8 just before its server died, with no "sent" reply. It reconnects to the other server. What does it do?',
    choices: [
      {
        text: 'Joins lobby with after: 42, shows what comes until caught-up, and resends id 8 with the same id.',
        correct: true,
        explanation:
          'Right. The resume read gives exactly seq > 42; if the bus had already numbered id 8 (say as 43), the resend gets seq 43 back marked duplicate, and nothing new appears. No gap, no duplicate.',
      },
      {
        text: 'Joins lobby without after, so it gets the recent history, and resends message 8 under a fresh id, 9.',
        explanation:
          'Without after the server sends the last messages whatever the client has, which may skip some or repeat some. And a fresh id defeats the dedupe: if the bus had numbered id 8, the message now appears twice.',
      },
      {
        text: 'Joins lobby with after: 43, because its own message 8 must have been numbered 43, and does not resend it.',
        explanation:
          'The client cannot know whether the bus numbered id 8, nor which seq it got: another message may have come first. Guessing would risk both a gap and a lost message.',
      },
      {
        text: 'Asks the new server for the dead server\'s log, because only that server knew which messages it had sent.',
        explanation:
          'Chat servers keep nothing that matters: every message lives in the bus\'s history, which any server can read. That is why a server may die without losing anything.',
      },
    ],
  },
  {
    question: 'Which Redis tool fits a chat room\'s history, so that a reconnecting server or client can resume from its last seq?',
    choices: [
      {
        text: 'Pub/sub channels, one per room, since every subscriber gets each message in the order it was published.',
        explanation:
          'Pub/sub keeps nothing: a subscriber that was disconnected when a message was published never gets it, and there is nothing to read back. It cannot answer "everything after 42".',
      },
      {
        text: 'A stream per room: an append-only log with growing ids, readable after any id, trimmed to a bounded length.',
        correct: true,
        explanation:
          'Right. XADD appends (and can trim to a maximum length), XRANGE and XREAD read everything after a given id. That is resume. Our adapter numbers messages itself, in one Lua script, like sequencer.ts.',
      },
      {
        text: 'A plain key per room holding the last message, overwritten by each new one, read on every reconnect.',
        explanation:
          'One key keeps one message: a client that missed three would get only the last. Resume needs every message after a given seq.',
      },
      {
        text: 'None: Redis keeps data only in memory, so history must live in each chat server\'s own files instead.',
        explanation:
          'Redis can persist to disk (its own configuration), and keeping history in chat servers would lose it when one dies. Our design keeps servers stateless and history in the bus.',
      },
    ],
  },
];
