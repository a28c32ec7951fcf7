// Quiz for Session 2, "The queue system" (rendered by <Quiz> on docs/fundamentals/02-queue-system.md).
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
        text: 'The broker notices the crash at once and marks job-7 as done, because the e-mail was sent.',
        explanation:
          'The broker never sees the e-mail and cannot look inside a worker. It only learns about work through acks; without an ack the job is not done.',
      },
      {
        text: 'job-7 is lost: it was leased, so it is no longer in the queue.',
        explanation:
          'A leased job stays in the broker until it is acked. Keeping it is the whole point of a lease: when the lease expires the job goes back to pending.',
      },
      {
        text: 'job-7 goes straight to the dead-letter queue.',
        explanation:
          'Only a job that has used up its attempts (maxAttempts, 5 by default) goes to the dead-letter queue. A first crash just makes it pending again.',
      },
    ],
  },
  {
    question: 'Which delivery guarantee does this work queue give a handler?',
    choices: [
      {
        text: 'At-least-once: every job is handled until someone acks it, possibly more than once.',
        correct: true,
        explanation:
          'Yes. Lease expiry and retries make sure a job is not forgotten, and the same mechanisms can hand it out again after the work was already done. Make the handler idempotent and the effect is "once".',
      },
      {
        text: 'At-most-once: a job is handed out once and never again.',
        explanation:
          'That would be true only if the broker deleted a job when it leased it. Ours keeps it until the ack, and redelivers on expiry or fail.',
      },
      {
        text: 'Exactly-once: the broker guarantees each job runs one time.',
        explanation:
          'No broker can promise that a side effect outside it (an e-mail, a payment) happens exactly once; a worker can crash between the effect and the ack. "Exactly-once" in practice means at-least-once plus an idempotent handler.',
      },
      {
        text: 'No guarantee at all: jobs are lost whenever a worker crashes.',
        explanation:
          'Leases exist precisely so that a worker crash does not lose the job: the job comes back when the lease expires.',
      },
    ],
  },
  {
    question: 'A job takes about 40 s and the visibility timeout is 10 s. What should the worker do?',
    choices: [
      {
        text: 'Send a heartbeat every few seconds while it works, which moves the lease\'s expiry later.',
        correct: true,
        explanation:
          'Right. A heartbeat says "still alive, still working" and sets the lease to expire one visibility timeout from now. If the worker dies, the heartbeats stop and the job comes back soon, instead of after one huge timeout.',
      },
      {
        text: 'Ack the job as soon as it is leased, then do the work.',
        explanation:
          'Acking first turns the queue into at-most-once: if the worker crashes during the 40 s, the job is already marked done and is never retried.',
      },
      {
        text: 'Nothing: the broker waits for a worker as long as it takes.',
        explanation:
          'The broker cannot tell slow from dead, so it waits only as long as the lease says. After 10 s another worker would get the same job while the first is still working on it.',
      },
      {
        text: 'Set the visibility timeout to one hour for every job.',
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
        text: 'Refuses the ack with 409 wrong-lease: job-3 is now held by lease job-3.2.',
        correct: true,
        explanation:
          'Yes. The token names one lease of one job, so a stale worker cannot finish (or fail) a job that someone else now holds. Whatever A already did outside the broker still happened, which is why handlers must be idempotent.',
      },
      {
        text: 'Accepts it and marks job-3 done, so B\'s work is wasted but harmless.',
        explanation:
          'Accepting it would let a worker that lost its lease decide the outcome of a job someone else holds. The token check exists to stop exactly that.',
      },
      {
        text: 'Crashes, because two workers hold the same job.',
        explanation:
          'Only one lease exists at a time; A\'s ended when it expired. And the broker never crashes on input: a bad request gets an error answer.',
      },
      {
        text: 'Accepts it and cancels B\'s lease.',
        explanation:
          'The broker has no way to stop B, and the newer lease is the one that counts. A stale request is refused.',
      },
    ],
  },
  {
    question: 'Why does the broker wait a random time between 0 and base × 2^(attempt−1) (capped) before retrying a failed job?',
    choices: [
      {
        text: 'The doubling backs off from a dependency that is struggling, and the randomness ("full jitter") spreads retries out so failed jobs do not all come back at the same moment.',
        correct: true,
        explanation:
          'Right. This is the "full jitter" scheme from Marc Brooker\'s "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015). Without jitter, jobs that failed together retry together, in waves.',
      },
      {
        text: 'To make sure every retry succeeds.',
        explanation:
          'Waiting gives a struggling dependency time to recover, but nothing guarantees success. That is why there is also maxAttempts and a dead-letter queue.',
      },
      {
        text: 'Because the core calls Math.random to pick which worker gets the job.',
        explanation:
          'The core calls no Math.random at all. The random number arrives as `jitter` inside the fail command, so replaying the log gives the same delay again.',
      },
      {
        text: 'To slow producers down when the queue is full.',
        explanation:
          'Backoff delays retries of one failed job; it does not touch producers. Slowing producers is backpressure, a different mechanism.',
      },
    ],
  },
  {
    question: 'A job whose payload makes the handler throw every time has failed 5 times (maxAttempts = 5). What happens to it?',
    choices: [
      {
        text: 'It becomes dead: it leaves the waiting list and sits in the dead-letter queue until a person inspects it and redrives it.',
        correct: true,
        explanation:
          'Yes. A poison message would otherwise be retried forever and keep workers busy with work that cannot succeed. Dead jobs keep their lastError, and POST /jobs/:id/redrive puts one back once the bug is fixed.',
      },
      {
        text: 'It is retried forever, with the backoff capped at 30 s.',
        explanation:
          'Retrying forever is the problem a dead-letter queue solves: a job that can never succeed would use a worker every 30 s for ever.',
      },
      {
        text: 'It is deleted, since it can never succeed.',
        explanation:
          'Deleting it would silently lose data. The failure might be a bug you fix tomorrow, so the job is parked, not thrown away.',
      },
      {
        text: 'It is sent back to the producer.',
        explanation:
          'The producer may be long gone (that is the point of decoupling). The broker keeps the job where operators can see it.',
      },
    ],
  },
  {
    question: 'The broker replies 201 to an enqueue only after the record is on disk, yet it does not call fsync once per request. How?',
    choices: [
      {
        text: 'Group commit: records that arrive while one fsync is running are written together and made durable by the next single fsync; each reply waits for the fsync that covers its record.',
        correct: true,
        explanation:
          'Right. No reply is sent before its record is durable, but many requests share one fsync, so throughput grows with the number of concurrent requests.',
      },
      {
        text: 'It replies at once and fsyncs every second in the background.',
        explanation:
          'That is faster but dishonest: a crash in that second loses jobs the producer was told were stored. Our broker does not reply before the fsync.',
      },
      {
        text: 'It never calls fsync; writing to the file is enough.',
        explanation:
          'write() only puts the bytes in the operating system\'s page cache. A power cut or kernel crash can lose them; fsync asks the device to make them durable.',
      },
      {
        text: 'It keeps the jobs in memory only and rebuilds them from the producers after a crash.',
        explanation:
          'Producers cannot be expected to remember every job they ever sent. The broker\'s log on disk is what survives a crash, and replay rebuilds the state from it.',
      },
    ],
  },
  {
    question: 'Why does every command in the pure core carry its own `now` instead of the core calling Date.now()?',
    choices: [
      {
        text: 'So the core is deterministic: tests choose the time, and replaying the logged commands rebuilds exactly the same state, leases and deadlines included.',
        correct: true,
        explanation:
          'Yes. If the core read the clock, replaying the log an hour later would see every lease as long expired and produce a different state. With `now` in the command, replay is just "apply the log again".',
      },
      {
        text: 'Because Date.now() is too slow to call on every command.',
        explanation:
          'Date.now() is cheap. The reason is determinism, not speed.',
      },
      {
        text: 'Because the broker\'s clock is always right, so it should be written down.',
        explanation:
          'Clocks drift and jump (Session 1: there is no shared clock). The point is not that the time is right but that replay sees the same time as the first run.',
      },
      {
        text: 'So that workers can set the time of their own leases.',
        explanation:
          'Only the broker (the adapter) creates commands and puts its own time in them; workers never choose `now`.',
      },
    ],
  },
  {
    question: 'How does a work queue (like ours) differ from a log-based broker such as Kafka (DDIA ch. 11)?',
    choices: [
      {
        text: 'A work queue hands each job to one worker and retires it once acked (most brokers delete it; ours keeps it marked done); a log keeps messages in order and each consumer tracks its own offset, so messages can be re-read.',
        correct: true,
        explanation:
          'Right. A work queue is built for sharing out jobs; a log is built for many readers and replay. DDIA ch. 11 compares the two.',
      },
      {
        text: 'A log deletes each message as soon as one consumer has read it.',
        explanation:
          'That describes a work queue. A log keeps messages (until a retention limit) and consumers just move their offset forward.',
      },
      {
        text: 'There is no difference; "queue" and "log" are two names for the same thing.',
        explanation:
          'They differ in who gets each message, whether it is kept, and who tracks progress.',
      },
      {
        text: 'A work queue never redelivers; a log always does.',
        explanation:
          'Redelivery after a crash is central to a work queue (lease expiry). In a log, a consumer that restarts re-reads from its last committed offset.',
      },
    ],
  },
];
