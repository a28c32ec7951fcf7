// Exercise 04 (the term fence) must tell right from wrong, and its expected answers must be the store's.
//  - The table's answers are read from the real node.ts; here they are held against each message type's own
//    handler (a refused request never reaches it, a passed one does), so the "probe" the exercise uses to
//    read `pass` cannot drift from what the node does with that very message.
//  - The solution passes every check and prints what it measured; the starter fails every check.
//  - Each wrong answer in fixtures/04-*.ts fails where its mistake shows, with the hint that names it; the
//    model runs catch the ones that break safety or liveness (two leaders in a term, an old write stored, no
//    leader at all), and a failing random run prints the command that replays it.
import { describe, expect, it } from 'vitest';
import { exercise, storeAnswer, storeTable } from '../../examples/exercises/04-term-fence/index.ts';
import { fence as solution } from '../../examples/exercises/04-term-fence/solution.ts';
import { MESSAGE_TYPES, REQUESTS, type GroupView } from '../../examples/exercises/04-term-fence/fence-types.ts';
import { randomOptions, simulate } from '../../examples/exercises/04-term-fence/model.ts';
import { block, failed, passed, runSolution, runStarter, runWrong, summary } from './run-checker.ts';

const EX = '04-term-fence';
const [NEWER, SAME, OLDER, STORY, RUNS] = exercise.checks.map((c) => c.name) as [string, string, string, string, string];

describe('the expected answers come from the store', () => {
  it('the table covers every view x message type x older/same/newer term: 225 cases', () => {
    const t = storeTable();
    expect(MESSAGE_TYPES).toHaveLength(9);
    expect([t.newer.length, t.same.length, t.older.length]).toEqual([90, 45, 90]);
  });

  it('in node.ts an older request gets a stale reply with the node\'s term, an older answer none, and nothing older reaches a handler', () => {
    const view: GroupView = { term: 3, votedFor: null, role: 'follower' };
    for (const type of MESSAGE_TYPES) {
      const got = storeAnswer(view, type, 2);
      expect(got.pass, type).toBe(false);
      expect(got.reply, type).toEqual(REQUESTS.includes(type) ? { type: 'stale', to: 'n2', term: 3 } : null);
      expect(got.save, type).toBeNull();
      expect(got.view, type).toEqual(view);
    }
  });

  it('in node.ts a newer term makes a leader a follower with no vote, saved, and the message passes', () => {
    expect(storeAnswer({ term: 3, votedFor: 'n1', role: 'leader' }, 'heartbeat', 7)).toEqual({
      pass: true,
      view: { term: 7, votedFor: null, role: 'follower' },
      save: { term: 7, votedFor: null },
      reply: null,
    });
  });

  it('the solution agrees with node.ts on every case (in-process, no checker)', () => {
    const t = storeTable();
    for (const c of [...t.newer, ...t.same, ...t.older]) expect(solution(c.view, c.msg), JSON.stringify(c)).toEqual(c.want);
  });

  it('the model is deterministic per seed, and a correct fence keeps it safe over 100 runs', () => {
    expect(simulate(solution, randomOptions(7))).toEqual(simulate(solution, randomOptions(7)));
    for (let seed = 1; seed <= 100; seed++) expect(simulate(solution, randomOptions(seed)).violation, `seed ${seed}`).toBeUndefined();
  });
});

describe('the reference solution and the starter', () => {
  it('the solution passes and prints the table sizes, the story and the random runs\' figures', async () => {
    const r = await runSolution(EX);
    expect(block(r.stdout, NEWER)).toContain("the same answer as the store's node.ts in all 90 cases");
    expect(block(r.stdout, STORY)).toMatch(/late messages of term 1 from n\d arrived after the others had moved on: (\d+) refused, none stored/);
    expect(block(r.stdout, STORY)).toMatch(/stepped down at [\d.]+ s on seeing a vote-request of term 2/);
    expect(block(r.stdout, RUNS)).toMatch(/100 runs: \d+ elections won .* \d+ messages of an older term refused, \d+ leaders stepped down on seeing a newer term/);
  });

  it('--seed N plays one random run', async () => {
    const r = await runSolution(EX, '--seed', '3');
    expect(block(r.stdout, RUNS)).toContain('1 run: ');
  });

  it('the untouched starter fails every check, pointing at TODO 1 first and at its own line', async () => {
    const r = await runStarter(EX, 'term-fence.ts', 5, NEWER);
    expect(r.stdout).not.toContain('replay this run alone');
  });
});

describe('exercise 04 fails the wrong answers, each with the hint for its mistake', () => {
  it('keeps the old vote: the newer-term check names it; with every node stuck on its own vote, no leader is ever elected', async () => {
    const r = await runWrong(EX, '04-keeps-vote.ts');
    const b = failed(r.stdout, NEWER);
    expect(b).toContain("Your fence:          lets it through, view { term: 4, votedFor: 'n3', role: 'follower' }, saves { term: 4, votedFor: 'n3' }, no reply.");
    expect(b).toContain('hint: You adopted term 4 but kept the vote for n3, cast in term 3.');
    passed(r.stdout, SAME);
    passed(r.stdout, OLDER);
    expect(failed(r.stdout, RUNS)).toMatch(/random run \d+: after 1\.5 s with no faults at all, no node leads/);
  });

  it('saves nothing: only the table can see it (a crash that forgets a term needs more than three nodes to hurt), and it does', async () => {
    const r = await runWrong(EX, '04-no-save.ts');
    expect(failed(r.stdout, NEWER)).toContain('hint: You adopted term 4 but saved nothing.');
    expect(summary(r.stdout)).toEqual({ passed: 4, failed: 1 });
  });

  it('refuses the same term (<= for <): the same-term check names it, and the group never elects anyone', async () => {
    const r = await runWrong(EX, '04-refuses-same-term.ts');
    expect(failed(r.stdout, SAME)).toContain('hint: A message of the SAME term (3) was refused. Only an OLDER term is refused: compare with <, not <=.');
    passed(r.stdout, NEWER);
    passed(r.stdout, OLDER);
    expect(failed(r.stdout, STORY)).toContain('no node leads');
  });

  it('answers answers: only the older-term check fails, on a vote, and the hint says to drop answers', async () => {
    const r = await runWrong(EX, '04-answers-answers.ts');
    const b = failed(r.stdout, OLDER);
    expect(b).toContain('receives a vote from n2 with term 2');
    expect(b).toContain('hint: a vote is an ANSWER');
    expect(summary(r.stdout)).toEqual({ passed: 4, failed: 1 });
  });

  it('adopts the term but keeps leading: the hint names two leaders, and the model finds them in one term', async () => {
    const r = await runWrong(EX, '04-stays-leader.ts');
    expect(failed(r.stdout, NEWER)).toContain('hint: A leader of term 3 heard of term 4 and went on LEADING in the new term');
    expect(failed(r.stdout, STORY)).toMatch(/in the story run: two leaders in term 2: n\d and n\d/);
    expect(failed(r.stdout, STORY)).toContain('still LEADING');
    const runs = failed(r.stdout, RUNS);
    expect(runs).toMatch(/random run (\d+): two leaders in term \d+/);
    const seed = /random run (\d+):/.exec(runs)![1];
    expect(runs).toContain(`replay this run alone: npm run check -- 04-term-fence --file tests/exercises/fixtures/04-stays-leader.ts --seed ${seed}`);
  });

  it('keeps leading and keeps the vote: the story check says in a sentence who should have stepped down, when, and what happened instead', async () => {
    const r = await runWrong(EX, '04-stays-leader-keeps-vote.ts');
    expect(failed(r.stdout, STORY)).toContain(
      'The story did not play out: n3, leading term 1, should have stepped down when it saw term 2 at 0.865 s, but it went on leading in term 2; ' +
        'its 8 late messages of term 1 should have met a newer leader, but no other node was ever elected in a later term.',
    );
  });

  it('no wrong fence gets a raw undefined or a JSON object in its messages and hints', async () => {
    const fixtures = ['04-keeps-vote.ts', '04-no-save.ts', '04-refuses-same-term.ts', '04-answers-answers.ts', '04-stays-leader.ts', '04-stays-leader-keeps-vote.ts', '04-lets-old-in.ts'];
    const runs = await Promise.all(fixtures.map((f) => runWrong(EX, f)));
    for (const [i, r] of runs.entries()) {
      expect(r.stdout, fixtures[i]).not.toMatch(/\bundefined\b/);
      expect(r.stdout, fixtures[i]).not.toMatch(/\{"/);
    }
  });

  it('lets an older term in: the older-term check names it; the model catches a follower storing a deposed leader\'s write', async () => {
    const r = await runWrong(EX, '04-lets-old-in.ts');
    expect(failed(r.stdout, OLDER)).toContain('hint: A message with an OLDER term (2 < 3) got through.');
    expect(failed(r.stdout, STORY)).toMatch(/n\d, in term 2, stored write n\d\.w\d+ of term 1 from n\d: a write of a deposed leader got in/);
    expect(failed(r.stdout, RUNS)).toMatch(/stored write \S+ of term \d+/);
  });
});
