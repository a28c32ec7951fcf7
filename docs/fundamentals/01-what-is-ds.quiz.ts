// Quiz for Session 1 (rendered by <Quiz> on docs/fundamentals/01-what-is-ds.md). <Quiz> shows the choices
// in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does not matter. Every wrong
// choice is a belief a newcomer may really hold, written as carefully and as long as the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question: 'Your client sent a deposit and has heard nothing for 2 seconds. What does it know?',
    choices: [
      {
        text: 'Nothing for certain: the request may have been lost, the reply may have been lost, or the server may still be working on it.',
        correct: true,
        explanation: 'Right. That ambiguity is the heart of partial failure, and why a timeout can only make you suspect, never know.',
      },
      {
        text: 'The request never arrived, since a server that got it would have answered by now, so sending it again as a new deposit is safe.',
        explanation: 'Silence does not say which message was lost. If the request arrived and only the reply was lost, a new deposit is a second deposit.',
      },
      {
        text: 'The server has crashed or is overloaded, so the deposit was certainly not applied and the client should report a failure.',
        explanation: 'A slow server, a lost request and a lost reply all look the same from the client: no answer yet. The deposit may well have been applied.',
      },
      {
        text: 'The deposit went through: TCP retransmits lost packets, so a request sent over an open connection always reaches the server.',
        explanation: 'TCP retransmits packets within one connection, but it cannot tell you whether the server application acted before the connection died.',
      },
    ],
  },
  {
    question: 'A client that retries every request until it gets a reply provides which delivery guarantee on its own?',
    choices: [
      {
        text: 'At-least-once: every request gets through at least once, and whenever a reply is lost, some get through more than once.',
        correct: true,
        explanation: 'Right. Retrying until a reply arrives means every request gets through at least once, and some get through more than once.',
      },
      {
        text: 'At-most-once: the client stops as soon as one reply arrives, so no request is ever applied twice.',
        explanation: 'Stopping at the first reply does not help when a reply is lost: the request was applied, the client retries, and it is applied again. At-most-once is what you get by NOT retrying.',
      },
      {
        text: 'Exactly-once: each request is retried only until it succeeds, so it takes effect exactly one time.',
        explanation: 'Retries alone produce duplicates whenever a reply is lost. Exactly-once in effect needs the receiver to recognise and drop the duplicates.',
      },
      {
        text: 'No guarantee at all: a retry can be lost just like the first attempt, so nothing is ever sure to arrive.',
        explanation: 'Each attempt can be lost, but as long as the network eventually delivers something and the client keeps trying, each request does arrive at least once.',
      },
    ],
  },
  {
    question: 'What turns at-least-once delivery into "exactly-once" in effect?',
    choices: [
      {
        text: 'A request id chosen once per operation, and a receiver that applies each id once and answers repeats with its stored reply.',
        correct: true,
        explanation: 'Right. At-least-once delivery plus an idempotent receiver: the message may arrive many times, the effect happens once.',
      },
      {
        text: 'A network fast and reliable enough that replies are practically never lost, so that clients almost never need to retry at all.',
        explanation: 'Fewer drops means fewer duplicates, not none. One lost reply is enough for a double deposit.',
      },
      {
        text: 'A client timeout long enough that the server has always answered before the client gives up and sends the request again.',
        explanation: 'A longer timeout makes retries rarer, but a reply can be lost for good, and then the retry still duplicates.',
      },
      {
        text: 'A server that compares each request with the ones it applied recently and skips any with the same amount and account.',
        explanation: 'Two different deposits of the same amount are both real. Recognising repeats by content silently drops one of them; only an id chosen per operation tells a retry from a new request.',
      },
    ],
  },
  {
    question:
      'With the idempotent handler, deposit "a" (+30) is applied, its reply is lost, deposit "b" (+12) is applied, then the retry of "a" arrives. What does the retry get back?',
    choices: [
      {
        text: 'The reply stored the first time, which says the balance is 30, while the account\'s balance stays at 42.',
        correct: true,
        explanation: 'Right. The client is really asking "what happened to my deposit?", and the answer is what happened the first time.',
      },
      {
        text: 'A fresh reply with the current balance, 42, since a retry should report the account as it is now.',
        explanation: 'That would be a new reply. The retry should see exactly what the first attempt would have seen, so the stored reply is returned.',
      },
      {
        text: 'An error saying the request is a duplicate, so the client knows its deposit was applied before.',
        explanation: 'Then the client would believe its deposit failed although it succeeded. A repeat must look like success, because it was one.',
      },
      {
        text: 'The deposit is applied a second time, making the balance 72, since the retry is a new message.',
        explanation: 'That is the naive handler, and the duplicate the whole session is about. The idempotent handler recognises the retry by its request id.',
      },
    ],
  },
  {
    question: 'Why must a client reuse the SAME request id when it retries?',
    choices: [
      {
        text: 'Because the server can only recognise a retry by an id it has seen and stored a reply for.',
        correct: true,
        explanation: 'Right. A fresh id makes every retry look like a new deposit, and the dedup table cannot help.',
      },
      {
        text: 'To save work: the server can skip parsing the body of a request whose id is already cached.',
        explanation: 'Parsing is cheap and not the point. The id is about identity: it is how the server knows a request is one it has already applied.',
      },
      {
        text: 'Because HTTP requires a retried request to carry the same identifier as the original one.',
        explanation: 'HTTP knows nothing about request ids; this is an application-level agreement between client and server.',
      },
      {
        text: 'It need not: the server can spot a retry by comparing its amount with the recent deposits.',
        explanation: 'Two different deposits of the same amount are both real. Comparing amounts would silently drop one.',
      },
    ],
  },
  {
    question: 'What does the two generals problem show?',
    choices: [
      {
        text: 'That over a channel that can lose messages, no finite exchange of messages can make both sides sure that they agree.',
        correct: true,
        explanation: 'Right. Whoever sent the last message cannot know it arrived, and an extra acknowledgement just moves the doubt to the other side.',
      },
      {
        text: 'That both sides can be sure they agree once each message is acknowledged, and each acknowledgement acknowledged in turn.',
        explanation: 'That is the trap the problem is about: every acknowledgement can be lost too, so the sender of the LAST message is always left unsure. Adding rounds never ends the doubt.',
      },
      {
        text: 'That agreement needs at least three participants, so that a majority can outvote a side whose messages were lost.',
        explanation: 'Majorities matter for other results (crash-tolerant consensus, Byzantine faults). The two generals problem is about an unreliable link between two sides.',
      },
      {
        text: 'That messages between two computers often get lost, so every message has to be sent at least twice to get through.',
        explanation: 'Sending twice makes arrival more likely, never certain, and the sender still cannot know which copy arrived. The problem is about certainty, not about delivery.',
      },
    ],
  },
  {
    question:
      'A request handler calls another service in the same datacenter 40 times, one after the other. Using the approximate latency numbers, what is the least time the network adds?',
    choices: [
      {
        text: 'About 20 milliseconds: 40 round trips at about 0.5 ms each.',
        correct: true,
        explanation: 'Right: 40 round trips of about 0.5 ms each. "Latency is zero" is one of the fallacies; sequential calls add up.',
      },
      {
        text: 'About 4 microseconds: 40 calls at about 100 ns each, like reading memory.',
        explanation: 'About 100 ns is one main-memory reference. A round trip inside a datacenter is about 0.5 ms, some 5,000 times longer.',
      },
      {
        text: 'About 6 seconds: 40 round trips at about 150 ms each.',
        explanation: 'About 150 ms is a round trip between continents, not a call inside one datacenter.',
      },
      {
        text: 'About 40 microseconds: each call crosses one fast switch in about 1 µs.',
        explanation: 'The wire and the switch are fast, but a round trip also pays for two network stacks, the kernel and the other service: about 0.5 ms in a datacenter.',
      },
    ],
  },
  {
    question: 'Why do retry delays use exponential backoff WITH jitter?',
    choices: [
      {
        text: 'Backoff gives a struggling server room to recover, and jitter stops many clients from retrying at the very same instant.',
        correct: true,
        explanation: 'Right. Without jitter, clients that failed together retry together, and the server sees the same spike again and again.',
      },
      {
        text: 'Jitter shortens the average wait, so a client whose request failed gets its answer sooner than with plain doubling.',
        explanation: 'Full jitter does lower the average wait, but that is a side effect; the reason for jitter is spreading clients apart so they do not retry in lockstep.',
      },
      {
        text: 'Together they make sure the request eventually succeeds, because each retry waits until the server has recovered.',
        explanation: 'Nothing guarantees that; the client cannot know when the server has recovered, and it still gives up after maxAttempts and must report an error.',
      },
      {
        text: 'They prevent duplicates: by the time a delayed retry is sent, the server has finished handling the first attempt.',
        explanation: 'Backoff changes when a retry happens, not whether it duplicates. If the first attempt was applied and its reply lost, the retry duplicates it however late it comes. Only the receiver\'s dedup prevents that.',
      },
    ],
  },
];
