import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question: 'Your client sent a deposit and has heard nothing for 2 seconds. What does it know?',
    choices: [
      {
        text: 'The request was lost, so it is safe to send it again as a new deposit.',
        explanation: 'Silence does not say which message was lost. If the request arrived and only the reply was lost, a new deposit is a second deposit.',
      },
      {
        text: 'The server crashed.',
        explanation: 'Maybe, but a slow server, a lost request and a lost reply all look exactly the same from the client: no answer yet.',
      },
      {
        text: 'Nothing certain: the request may be lost, the reply may be lost, or the server may still be working on it.',
        correct: true,
        explanation: 'Right. That ambiguity is the heart of partial failure, and why a timeout can only make you suspect, never know.',
      },
      {
        text: 'The deposit was applied, because TCP guarantees delivery.',
        explanation: 'TCP retransmits packets within one connection, but it cannot tell you whether the server application acted before the connection died.',
      },
    ],
  },
  {
    question: 'A client that retries every request until it gets a reply provides which delivery guarantee on its own?',
    choices: [
      {
        text: 'At-most-once',
        explanation: 'At-most-once is what you get by NOT retrying: a request is sent once and may be lost.',
      },
      {
        text: 'At-least-once',
        correct: true,
        explanation: 'Right. Retrying until a reply arrives means every request gets through at least once, and some get through more than once.',
      },
      {
        text: 'Exactly-once',
        explanation: 'Retries alone produce duplicates whenever a reply is lost. Exactly-once needs the receiver to recognise and drop the duplicates.',
      },
      {
        text: 'No guarantee at all',
        explanation: 'As long as the network eventually delivers something and the client keeps trying, each request does arrive at least once.',
      },
    ],
  },
  {
    question: 'What turns at-least-once delivery into "exactly-once" in effect?',
    choices: [
      {
        text: 'A faster network with fewer drops.',
        explanation: 'Fewer drops means fewer duplicates, not none. One lost reply is enough for a double deposit.',
      },
      {
        text: 'A longer client timeout.',
        explanation: 'A longer timeout makes retries rarer, but a reply can be lost for good, and then the retry still duplicates.',
      },
      {
        text: 'A unique request id chosen once per operation, and a receiver that applies each id once and replays its stored reply for repeats.',
        correct: true,
        explanation: 'Right. At-least-once delivery plus an idempotent receiver: the message may arrive many times, the effect happens once.',
      },
      {
        text: 'Sending each request over two connections at once.',
        explanation: 'That sends every request twice on purpose: more duplicates, not fewer.',
      },
    ],
  },
  {
    question: 'With the idempotent handler, deposit "a" (+30) is applied, its reply is lost, deposit "b" (+12) is applied, then the retry of "a" arrives. What does the retry get back?',
    choices: [
      {
        text: 'A reply saying the balance is 42, the current balance.',
        explanation: 'That would be a new reply. The retry should see exactly what the first attempt would have seen, so the stored reply is returned.',
      },
      {
        text: 'The stored first reply, saying the balance is 30, and the balance stays 42.',
        correct: true,
        explanation: 'Right. The client is really asking "what happened to my deposit?", and the answer is what happened the first time.',
      },
      {
        text: 'An error: duplicate request.',
        explanation: 'Then the client would believe its deposit failed although it succeeded. A repeat must look like success, because it was one.',
      },
      {
        text: 'The deposit is applied again, making the balance 72.',
        explanation: 'That is the naive handler, and the duplicate the whole session is about.',
      },
    ],
  },
  {
    question: 'Why must a client reuse the SAME request id when it retries?',
    choices: [
      {
        text: 'Because the server can only recognise a retry by an id it has already seen.',
        correct: true,
        explanation: 'Right. A fresh id makes every retry look like a new deposit, and the dedup table cannot help.',
      },
      {
        text: 'To save bandwidth.',
        explanation: 'An id is a few bytes either way; the point is identity, not size.',
      },
      {
        text: 'Because HTTP requires it.',
        explanation: 'HTTP knows nothing about request ids; this is an application-level agreement between client and server.',
      },
      {
        text: 'It does not matter; the server can compare amounts instead.',
        explanation: 'Two different deposits of the same amount are both real. Comparing amounts would silently drop one.',
      },
    ],
  },
  {
    question: 'What does the two generals problem show?',
    choices: [
      {
        text: 'That two computers can never communicate over a network.',
        explanation: 'They communicate fine most of the time. The problem is about certainty, not about messages getting through.',
      },
      {
        text: 'That over a channel that can lose messages, no finite exchange of messages lets both sides be sure they agree.',
        correct: true,
        explanation: 'Right. Whoever sent the last message cannot know it arrived, and an extra acknowledgement just moves the doubt to the other side.',
      },
      {
        text: 'That you need at least three generals (nodes) to reach agreement.',
        explanation: 'That is closer to results about Byzantine faults or majorities. The two generals problem is about unreliable links.',
      },
      {
        text: 'That retries with exponential backoff solve agreement.',
        explanation: 'Retries make delivery likely, never certain; they do not remove the doubt about the last message.',
      },
    ],
  },
  {
    question: 'A request handler calls another service in the same datacenter 40 times, one after the other. Using the approximate latency numbers, what is the least time the network adds?',
    choices: [
      {
        text: 'About 4 microseconds.',
        explanation: 'That is closer to 40 main-memory references. A datacenter round trip is about 0.5 ms, not 100 ns.',
      },
      {
        text: 'About 20 milliseconds.',
        correct: true,
        explanation: 'Right: 40 round trips of about 0.5 ms each. "Latency is zero" is one of the fallacies; sequential calls add up.',
      },
      {
        text: 'About 6 seconds.',
        explanation: 'That would be 40 intercontinental round trips (about 150 ms each), not calls inside one datacenter.',
      },
      {
        text: 'Nothing noticeable; the network is fast.',
        explanation: 'Fast, but not free: every round trip costs far more than the function call it replaces.',
      },
    ],
  },
  {
    question: 'Why do retry delays use exponential backoff WITH jitter?',
    choices: [
      {
        text: 'Jitter is there to make each retry happen sooner.',
        explanation: 'Full jitter does lower the average wait, but that is a side effect; the reason for jitter is spreading clients apart so they do not retry in lockstep.',
      },
      {
        text: 'Backoff gives a struggling server room to recover; jitter stops many clients from retrying at the same instant.',
        correct: true,
        explanation: 'Right. Without jitter, clients that failed together retry together, and the server sees the same spike again and again.',
      },
      {
        text: 'It guarantees the request eventually succeeds.',
        explanation: 'Nothing guarantees that; the client still gives up after maxAttempts and must report an error.',
      },
      {
        text: 'It prevents duplicates.',
        explanation: 'Backoff changes when a retry happens, not whether it duplicates. Only the receiver\'s dedup prevents duplicates.',
      },
    ],
  },
];
