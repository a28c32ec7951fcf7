// Exercise 07 (resume from a sequence number) must tell right from wrong.
//  - The chat player runs the real sequencer and server core, is deterministic, and produces what the checks
//    are about (disconnects, restarts, duplicates, early messages, rejoins, gap notices); with the solution
//    every screen ends equal to the sequencer's log.
//  - The solution passes and prints what the chats did; the starter fails every check, pointing at TODO 1.
//  - Each wrong receiver in fixtures/07-*.ts fails the check aimed at its mistake, with the hint that names
//    it, and passes the checks its mistake does not touch; a seeded failure names the seq and how to replay.
import { describe, expect, it } from 'vitest';
import { exercise } from '../../examples/exercises/07-resume/index.ts';
import { playChat, type Watch } from '../../examples/exercises/07-resume/chat.ts';
import * as solution from '../../examples/exercises/07-resume/solution.ts';
import { block, failed, passed, runSolution, runStarter, runWrong, summary } from './run-checker.ts';

const EX = '07-resume';
const [JOIN, IN_ORDER, EARLY, GAP, CHATS] = exercise.checks.map((c) => c.name) as [string, string, string, string, string];

describe('the chat player (real sequencer, two real chat servers, hostile links)', () => {
  it('is deterministic and, with the solution, ends with every screen equal to the sequencer\'s log', () => {
    const totals = { messages: 0, disconnects: 0, restarts: 0, duplicates: 0, held: 0, rejoins: 0, lost: 0 };
    for (let seed = 1; seed <= 30; seed++) {
      const screens: string[] = [];
      const watch: Watch = {
        onCall(_e, got, want) {
          expect(got).toEqual(want);
        },
        onShow() {},
        onEnd({ clients, log }) {
          for (const c of Object.values(clients)) {
            for (const room of c.rooms) {
              const shown = c.shown[room] ?? [];
              // Every seq is on screen once, in order, except those a gap notice announced.
              expect(c.cursor[room] ?? 0).toBe(log[room]!.length);
              expect(shown).toEqual([...shown].sort((a, b) => a - b));
              expect(new Set(shown).size).toBe(shown.length);
              screens.push(`${c.name} ${room} ${shown.join(',')}`);
            }
          }
        },
      };
      const stats = playChat(solution, seed, 150, watch);
      const again: string[] = [];
      expect(playChat(solution, seed, 150, { ...watch, onEnd: ({ clients }) => { for (const c of Object.values(clients)) for (const room of c.rooms) again.push(`${c.name} ${room} ${(c.shown[room] ?? []).join(',')}`); } })).toEqual(stats);
      expect(again).toEqual(screens);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += stats[k];
    }
    // The chats do produce what the checks are about.
    expect(totals.messages).toBeGreaterThan(2000);
    expect(totals.disconnects).toBeGreaterThan(300);
    expect(totals.restarts).toBeGreaterThan(20);
    expect(totals.duplicates).toBeGreaterThan(1000);
    expect(totals.held).toBeGreaterThan(500);
    expect(totals.rejoins).toBeGreaterThan(200);
    expect(totals.lost).toBeGreaterThan(20);
  });
});

describe('the reference solution and the starter', () => {
  it('the solution passes and prints what the chats did', async () => {
    const r = await runSolution(EX);
    expect(block(r.stdout, CHATS)).toMatch(
      /100 chats: [\d,]+ messages sequenced; [1-9][\d,]* forced disconnects, [1-9][\d,]* server restarts; your receiver dropped [1-9][\d,]* duplicates, held [1-9][\d,]* early messages, asked to rejoin [1-9][\d,]* times, and skipped [1-9][\d,]* messages that a gap notice announced; every screen ended equal to the sequencer's log/,
    );
  });

  it('--seed N replays one chat', async () => {
    const r = await runSolution(EX, '--seed', '3');
    expect(block(r.stdout, CHATS)).toContain('1 chat: ');
  });

  it('the untouched starter fails every check, pointing at TODO 1 and its own line', async () => {
    const r = await runStarter(EX, 'resume.ts', 5, JOIN);
    expect(failed(r.stdout, CHATS)).toContain('replay this run alone: npm run check -- 07-resume --seed 1');
  });
});

describe('exercise 07 fails the wrong receivers, each where it goes wrong', () => {
  it('joins after last + 1: one seq would be skipped; the hint says what after means', async () => {
    const r = await runWrong(EX, '07-after-plus-one.ts');
    expect(failed(r.stdout, JOIN)).toContain('Yours:    {"type":"join","room":"lobby","after":8}');
    expect(r.stdout).toContain('hint: after means "I have everything up to here": the server sends every seq ABOVE it. after: 8 skips seq 8.');
    for (const name of [IN_ORDER, EARLY, GAP]) passed(r.stdout, name);
    expect(failed(r.stdout, CHATS)).toMatch(/chat \d+, step \d+, \w+: \(re\)connecting: joining room \w+/);
  });

  it('shows the last seq again: a duplicate on screen, named by its seq', async () => {
    const r = await runWrong(EX, '07-shows-last-again.ts');
    expect(failed(r.stdout, IN_ORDER)).toContain('hint: seq 4 was already shown (the last seq shown is 4): it is a duplicate');
    expect(failed(r.stdout, CHATS)).toMatch(/chat \d+, step \d+, \w+: room \w+ \(last (\d+), held \[[\d, ]*\], [^)]*\): seq \1 arrives\./);
    expect(block(r.stdout, CHATS)).toMatch(/replay this run alone: npm run check -- 07-resume --file tests\/exercises\/fixtures\/07-shows-last-again.ts --seed \d+/);
  });

  it('shows early messages at once (highest seq wins): the hint says it skips the ones before', async () => {
    const r = await runWrong(EX, '07-shows-early.ts');
    expect(failed(r.stdout, EARLY)).toContain('hint: seq 6 arrived while the last seq shown is 4: showing it now skips 5, a gap on screen');
    failed(r.stdout, CHATS);
  });

  it('never asks to rejoin: a message lost while live would never come; the hint says to rejoin after last', async () => {
    const r = await runWrong(EX, '07-no-rejoin.ts');
    expect(failed(r.stdout, EARLY)).toContain("Ask: rejoin: { type: 'join', room: 'lobby', after: 4 } (TODO 4).");
    expect(summary(r.stdout)).toEqual({ passed: 3, failed: 2 });
  });

  it('rejoins on every early message: the hint names the storm of joins', async () => {
    const r = await runWrong(EX, '07-rejoin-storm.ts');
    expect(failed(r.stdout, EARLY)).toContain('starts a storm of joins');
    expect(summary(r.stdout)).toEqual({ passed: 3, failed: 2 });
  });

  it('ignores a gap notice: last stays put and the messages after the gap never show', async () => {
    const r = await runWrong(EX, '07-ignores-gap.ts');
    for (const name of [JOIN, IN_ORDER, EARLY]) passed(r.stdout, name);
    expect(failed(r.stdout, GAP)).toContain('hint: Move last to 40');
    expect(failed(r.stdout, CHATS)).toMatch(/gap notice \d+\.\.\d+\.\n {4}Expected: show \[[\d, ]*\]/);
  });

  it('changes the held list it is given: the frozen input stops it, and the hint says to copy', async () => {
    const r = await runWrong(EX, '07-mutates.ts');
    const b = failed(r.stdout, EARLY);
    expect(b).toContain('your code changed an object it was given');
    expect(b).toContain('hint: Do not change the receiver, a room or a held list');
  });
});
