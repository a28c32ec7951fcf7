// Quiz for Session 2, "The queue system" (rendered by <Quiz> on docs/fundamentals/02-queue-system.md).
// <Quiz> shows the choices in a shuffled order (see .vitepress/theme/quiz-order.ts), so the order here does
// not matter. Every wrong choice is a belief a newcomer may really hold, written as carefully and as long as
// the right one.
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';

export const questions: QuizQuestion[] = [
  {
    question:
      'A worker finishes sending an e-mail for job-7, then crashes before its ack reaches the broker. What happens next?',
    choices: [
      {
        text: 'The lease on job-7 expires, the broker makes it pending again, and another worker sends the e-mail a second time.',
        correct: true,
        explanation:
          'Right. The broker cannot tell "crashed before the work" from "crashed after the work": all it sees is a lease that ran out. It redelivers, so the work can happen twice. That is at-least-once delivery, and the reason handlers must be idempotent.',
      },
      {
        text: 'The broker sees the worker disconnect, marks job-7 done because its work was finished, and no e-mail is sent twice.',
        explanation:
          'The broker never sees the e-mail and cannot look inside a worker; workers pull over plain HTTP requests, so there is no connection to watch either. It only learns about work through acks: without an ack the job is not done.',
      },
      {
        text: 'job-7 is lost for good: leasing it took it out of the queue, and the only process that knew about it has crashed.',
        explanation:
          'A leased job stays in the broker until it is acked. Keeping it is the whole point of a lease: when the lease expires the job goes back to pending.',
      },
      {
        text: 'job-7 goes straight to the dead-letter queue, because a crash in the middle of a job counts as a failure for a person.',
        explanation:
          'Only a job that has used up its attempts (maxAttempts, 5 by default) goes to the dead-letter queue. A first crash just makes it pending again.',
      },
    ],
  },
  {
    question: 'Which delivery guarantee does this work queue give a handler?',
    choices: [
      {
        text: 'At-least-once: every job is handed out until someone acks it, so it may run more than once.',
        correct: true,
        explanation:
          'Yes. Lease expiry and retries make sure a job is not forgotten, and the same mechanisms can hand it out again after the work was already done. Make the handler idempotent and the effect is "once".',
      },
      {
        text: 'At-most-once: once a worker has leased a job, the broker never hands it to anyone else.',
        explanation:
          'That would be true only if the broker deleted a job when it leased it. Ours keeps it until the ack, and redelivers on expiry or fail.',
      },
      {
        text: 'Exactly-once: leases and tokens make sure each job\'s handler runs one time and one only.',
        explanation:
          'Tokens stop a stale worker from acking, but they cannot undo what it already did. No broker can promise that a side effect outside it (an e-mail, a payment) happens exactly once: "exactly-once" in practice means at-least-once plus an idempotent handler.',
      },
      {
        text: 'None at all: whenever a worker crashes mid-job, the job it was working on is lost.',
        explanation:
          'Leases exist precisely so that a worker crash does not lose the job: the job comes back when the lease expires.',
      },
    ],
  },
  {
    question: 'A job takes about 40 s and the visibility timeout is 10 s. What should the worker do?',
    choices: [
      {
        text: 'Send a heartbeat every few seconds while it works; each one moves the lease\'s expiry one timeout later.',
        correct: true,
        explanation:
          'Right. A heartbeat says "still alive, still working" and sets the lease to expire one visibility timeout from now. If the worker dies, the heartbeats stop and the job comes back soon, instead of after one huge timeout.',
      },
      {
        text: 'Ack the job as soon as it is leased and then do the work, so the lease can never run out under it.',
        explanation:
          'Acking first turns the queue into at-most-once: if the worker crashes during the 40 s, the job is already marked done and is never retried.',
      },
      {
        text: 'Nothing: the broker sees that the worker is still busy and waits for it as long as the job takes.',
        explanation:
          'The broker cannot tell slow from dead, so it waits only as long as the lease says. After 10 s another worker would get the same job while the first is still working on it.',
      },
      {
        text: 'Raise the visibility timeout to an hour for every job, so that even the slowest job finishes in time.',
        explanation:
          'That works for the long job but means that when any worker crashes, its job waits up to an hour before anyone retries it. Heartbeats give both: long jobs and quick recovery.',
      },
    ],
  },
  {
    question:
      'Worker A leased job-3 (token job-3.1), stalled for 15 s, and the job was redelivered to worker B (token job-3.2). Now A wakes up and acks with job-3.1. What does the broker do?',
    choices: [
      {
        text: 'Refuses the ack with 409 wrong-lease: job-3 is now held by another lease, job-3.2, so A\'s token no longer counts.',
        correct: true,
        explanation:
          'Yes. The token names one lease of one job, so a stale worker cannot finish (or fail) a job that someone else now holds. Whatever A already did outside the broker still happened, which is why handlers must be idempotent.',
      },
      {
        text: 'Refuses it with 409 lease-expired: A\'s lease ran out while A was stalled, and that is what A needs to hear.',
        explanation:
          'That is the answer A gets while its expired lease is still the last one the job had (the job waiting in line, or dead). Here B holds lease job-3.2, so the broker says the job is held by another lease: wrong-lease.',
      },
      {
        text: 'Accepts it and marks job-3 done: the work was finished, and B\'s copy of it is merely wasted effort.',
        explanation:
          'Accepting it would let a worker that lost its lease decide the outcome of a job someone else holds. The token check exists to stop exactly that.',
      },
      {
        text: 'Accepts it and cancels B\'s lease, because A held the job first and its work is already finished.',
        explanation:
          'The broker has no way to stop B, and the newer lease is the one that counts. A stale request is refused.',
      },
    ],
  },
  {
    question: 'Why does the broker wait a random time between 0 and base × 2^(attempt−1) (capped) before retrying a failed job?',
    choices: [
      {
        text: 'Doubling backs off from a struggling dependency; the randomness spreads retries so failed jobs do not all return at once.',
        correct: true,
        explanation:
          'Right. This is the "full jitter" scheme from Marc Brooker\'s "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015). Without jitter, jobs that failed together retry together, in waves.',
      },
      {
        text: 'The growing wait makes sure that the next retry succeeds, and the random part gives every worker a fair share of the retries.',
        explanation:
          'Waiting gives a struggling dependency time to recover, but nothing guarantees success; that is why there is also maxAttempts and a dead-letter queue. Which worker gets a retry is decided by who asks first, not by the delay.',
      },
      {
        text: 'The core calls Math.random to choose which worker gets the retried job, and the wait depends on that worker\'s load.',
        explanation:
          'The core calls no Math.random at all. The random number arrives as `jitter` inside the fail command, so replaying the log gives the same delay again.',
      },
      {
        text: 'It slows producers down when the queue fills up, so the broker is never asked to store more jobs than it can hold.',
        explanation:
          'Backoff delays retries of one failed job; it does not touch producers. Slowing producers is backpressure, a different mechanism.',
      },
    ],
  },
  {
    question: 'A job whose payload makes the handler throw every time has failed 5 times (maxAttempts = 5). What happens to it?',
    choices: [
      {
        text: 'It becomes dead: no worker gets it again, and it stays in the dead-letter queue until a person redrives it.',
        correct: true,
        explanation:
          'Yes. A poison message would otherwise be retried for ever and keep workers busy with work that cannot succeed. Dead jobs keep their lastError, and POST /jobs/:id/redrive puts one back once the bug is fixed.',
      },
      {
        text: 'It is retried for ever with the backoff capped at 30 s, because giving up on a job would lose data.',
        explanation:
          'Retrying for ever is the problem a dead-letter queue solves: a job that can never succeed would use a worker every 30 s for ever. Parking it loses nothing.',
      },
      {
        text: 'It is deleted, since a job that failed five times in a row can never succeed and only wastes workers.',
        explanation:
          'Deleting it would silently lose data. The failure might be a bug you fix tomorrow, so the job is parked, not thrown away.',
      },
      {
        text: 'It is sent back to the producer with its last error, so the producer can fix the payload and resend it.',
        explanation:
          'The producer may be long gone (that is the point of decoupling), and the broker has no way to call it. The broker keeps the job where operators can see it.',
      },
    ],
  },
  {
    question: 'The broker replies 201 to an enqueue only after the record is on disk, yet it does not call fsync once per request. How?',
    choices: [
      {
        text: 'Group commit: requests that arrive during one fsync share the next one, and each reply waits for the fsync covering its record.',
        correct: true,
        explanation:
          'Right. No reply is sent before its record is durable, but many requests share one fsync, so throughput grows with the number of concurrent requests.',
      },
      {
        text: 'It replies as soon as the record is written to the file, and calls fsync once a second in the background, which is nearly as safe.',
        explanation:
          'That is faster but dishonest: a crash in that second loses jobs the producer was told were stored. Our broker does not reply before the fsync.',
      },
      {
        text: 'It never calls fsync: once write() returns, the operating system has the bytes and will get them onto the disk.',
        explanation:
          'write() only puts the bytes in the operating system\'s page cache. A power cut or kernel crash can lose them; fsync asks the device to make them durable.',
      },
      {
        text: 'It batches replies: it holds every 201 until a hundred requests have arrived, then writes them all with one fsync.',
        explanation:
          'Waiting for a fixed count would leave a lone producer hanging until 99 others show up. Group commit never waits for company: the next fsync starts as soon as the previous one ends, with whatever has arrived.',
      },
    ],
  },
  {
    question: 'Why does every command in the pure core carry its own `now` instead of the core calling Date.now()?',
    choices: [
      {
        text: 'So the core is deterministic: tests choose the time, and replaying the log rebuilds the same state, deadlines included.',
        correct: true,
        explanation:
          'Yes. If the core read the clock, replaying the log an hour later would see every lease as long expired and produce a different state. With `now` in the command, replay is just "apply the log again".',
      },
      {
        text: 'Because calling Date.now() on every command is slow enough to matter when the broker handles thousands a second.',
        explanation: 'Date.now() is cheap. The reason is determinism, not speed.',
      },
      {
        text: 'Because the broker\'s clock is the one true time of the whole system, so each command should carry a copy of it.',
        explanation:
          'Clocks drift and jump (Session 1: there is no shared clock). The point is not that the time is right but that replay sees the same time as the first run.',
      },
      {
        text: 'So that each worker can send its own clock\'s time with a command, and the broker can order the commands by who sent them first.',
        explanation:
          'Only the broker (the adapter) creates commands and puts its own time in them; workers never choose `now`, and commands are ordered by when the broker applies them.',
      },
    ],
  },
  {
    question: 'How does a work queue (like ours) differ from a log-based broker such as Kafka (DDIA ch. 11)?',
    choices: [
      {
        text: 'A queue hands each job to one worker and retires it once acked; a log keeps every message, and each consumer tracks its own offset.',
        correct: true,
        explanation:
          'Right. A work queue is built for sharing out jobs; a log is built for many readers and replay, since messages can be re-read from any offset. DDIA ch. 11 compares the two.',
      },
      {
        text: 'A log deletes each message as soon as one consumer has read it, whereas a work queue keeps every single job it ever got for later replay.',
        explanation:
          'That swaps the two. A log keeps messages (until a retention limit) and consumers just move their offset forward; a work queue retires a job once it is acked.',
      },
      {
        text: 'None that matters: "queue" and "log" are two names for the same idea, a list of messages that is read in order.',
        explanation: 'They differ in who gets each message, whether it is kept, and who tracks progress.',
      },
      {
        text: 'A work queue never hands a job out twice, while a log redelivers every message to every consumer after each crash.',
        explanation:
          'Redelivery after a crash is central to a work queue (lease expiry). In a log, a consumer that restarts re-reads from its last committed offset, not from the start.',
      },
    ],
  },
];
