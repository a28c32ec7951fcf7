// Exercise 06 (a room's fan-out with bounded per-client queues) must tell right from wrong.
//  - The room player is deterministic, produces what the checks are about (drops, reconnects, stalls), and
//    with the solution ends with every client holding every message; the reference fan-out is the core's.
//  - The solution passes and prints what the rooms did; the starter fails every check, pointing at TODO 1.
//  - Each wrong answer in fixtures/06-*.ts fails the check aimed at its mistake, with the hint that names it,
//    and passes the checks its mistake does not touch.
import { describe, expect, it } from 'vitest';
import { emptyQueue, offer } from '../../examples/chat/core/fanout.ts';
import { exercise } from '../../examples/exercises/06-fanout/index.ts';
import { playRoom, referenceFanOut, type Client, type Watch } from '../../examples/exercises/06-fanout/room.ts';
import * as solution from '../../examples/exercises/06-fanout/solution.ts';
import { block, failed, passed, runSolution, runStarter, runWrong, summary } from './run-checker.ts';

const EX = '06-fanout';
const [OFFER, FLUSHED, FANOUT, ROOMS] = exercise.checks.map((c) => c.name) as [string, string, string, string];

describe('the reference fan-out and the room player', () => {
  it('referenceFanOut is the core offer folded over the members; a full member is dropped and the rest still get it', () => {
    const full = { queued: 2, dropped: false };
    const r = referenceFanOut({ a: full, b: emptyQueue(), out: emptyQueue() }, ['a', 'b'], 2);
    expect(r).toEqual({ queues: { a: { queued: 2, dropped: true }, b: { queued: 1, dropped: false }, out: emptyQueue() }, send: ['b'], drop: ['a'] });
    expect(r.queues.a).toEqual(offer(full, 2).queue);
  });

  it('is deterministic, drops and reconnects clients, and with the solution every client ends with every message', () => {
    let drops = 0;
    let resumed = 0;
    let ignored = 0;
    for (let seed = 1; seed <= 50; seed++) {
      let end: { clients: Readonly<Record<string, Client>>; messages: number } | undefined;
      const watch: Watch = {
        onFanOut(e, got, want) {
          expect(got).toEqual(want);
          ignored += e.members.filter((m) => e.queues[m]!.dropped).length;
        },
        onOffer(_e, got, want) {
          expect(got).toEqual(want);
        },
        onFlushed(_e, got, want) {
          expect(got).toEqual(want);
        },
        onReceive() {},
        onEnd(e) {
          end = e;
        },
      };
      const stats = playRoom(solution, seed, 80, watch);
      expect(stats).toEqual(playRoom(solution, seed, 80, { ...watch, onEnd() {} }));
      drops += stats.drops;
      resumed += stats.reconnects;
      for (const c of Object.values(end!.clients)) expect(c.received).toEqual(Array.from({ length: end!.messages }, (_, i) => i + 1));
      expect(end!.clients.c1!.drops).toBe(0);
    }
    expect(drops).toBeGreaterThan(100);
    expect(resumed).toBe(drops);
    expect(ignored).toBeGreaterThan(50); // dropped members still in the room, passed by
  });
});

describe('the reference solution and the starter', () => {
  it('the solution passes and prints what the rooms did', async () => {
    const r = await runSolution(EX);
    expect(block(r.stdout, ROOMS)).toMatch(
      /200 rooms: [\d,]+ messages to [\d,]+ clients, [\d,]+ frames written; [1-9][\d,]* slow-consumer drops \(each once, at the limit\), [1-9][\d,]* reconnects that resumed with nothing lost; the always-fast client c1 never had more than \d frames? queued and was never dropped/,
    );
  });

  it('--seed N replays one room', async () => {
    const r = await runSolution(EX, '--seed', '7');
    expect(block(r.stdout, ROOMS)).toContain('1 room: ');
  });

  it('the untouched starter fails every check, pointing at TODO 1 and its own line', async () => {
    const r = await runStarter(EX, 'fanout.ts', 4, OFFER);
    expect(failed(r.stdout, ROOMS)).toContain('replay this run alone: npm run check -- 06-fanout --seed 1');
  });
});

describe('exercise 06 fails the wrong fan-outs, each where it goes wrong', () => {
  it('drops every time: a dropped client is dropped again; offer and fanOut say to drop once', async () => {
    const r = await runWrong(EX, '06-drops-every-time.ts');
    passed(r.stdout, FLUSHED);
    expect(failed(r.stdout, OFFER)).toContain("Check `dropped` first and answer 'ignore'.");
    expect(failed(r.stdout, FANOUT)).toContain('gone was dropped, and your fanOut dropped it again');
    expect(failed(r.stdout, ROOMS)).toMatch(/room \d+, step \d+: fanOut of seq \d+[^\n]*\n {4}c\d was dropped at seq \d+, and your fanOut dropped it again for seq \d+\./);
    expect(block(r.stdout, ROOMS)).toMatch(/replay this run alone: npm run check -- 06-fanout --file tests\/exercises\/fixtures\/06-drops-every-time.ts --seed \d+/);
  });

  it('off by one: a full queue takes one more; the hint says the queue grows past its bound', async () => {
    const r = await runWrong(EX, '06-off-by-one.ts');
    expect(failed(r.stdout, OFFER)).toContain('The queue is full (1 of 1): sending lets it grow past its bound');
    expect(failed(r.stdout, FANOUT)).toContain('b was sent the message with its queue full (3 of 3 frames queued).');
    expect(failed(r.stdout, ROOMS)).toMatch(/c\d was sent seq \d+ with its queue full/);
  });

  it('stops at the slow client: offer and flushed pass, the members after it get nothing', async () => {
    const r = await runWrong(EX, '06-stops-at-slow.ts');
    passed(r.stdout, OFFER);
    passed(r.stdout, FLUSHED);
    const b = failed(r.stdout, FANOUT);
    expect(b).toContain('c (2 of 3 frames queued) got nothing for the message, after b was dropped in the same fan-out.');
    expect(b).toContain('hint: A slow client must not stop the others');
    expect(failed(r.stdout, ROOMS)).toMatch(/got nothing for seq \d+, after c\d was dropped in the same fan-out/);
    expect(summary(r.stdout)).toEqual({ passed: 2, failed: 2 });
  });

  it('flushed brings a dropped client back: the hint says it stays dropped until it reconnects', async () => {
    const r = await runWrong(EX, '06-flush-undrops.ts');
    passed(r.stdout, OFFER);
    passed(r.stdout, FANOUT);
    expect(failed(r.stdout, FLUSHED)).toContain('hint: flushed brought a dropped client back.');
    failed(r.stdout, ROOMS);
  });

  it('sends to every queue: a client outside the room gets the message', async () => {
    const r = await runWrong(EX, '06-every-queue.ts');
    expect(failed(r.stdout, FANOUT)).toContain("hint: Only the room's members get its messages: loop over `members`");
    expect(summary(r.stdout)).toEqual({ passed: 3, failed: 1 });
  });

  it('changes the queue it is given: the frozen input stops it, and the hint says to return a new object', async () => {
    const r = await runWrong(EX, '06-mutates.ts');
    const b = failed(r.stdout, OFFER);
    expect(b).toContain('your code changed an object it was given');
    expect(b).toContain('at tests/exercises/fixtures/06-mutates.ts:');
    expect(b).toContain('hint: Do not change the queue');
  });
});
