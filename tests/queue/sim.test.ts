// The seeded queue simulation (examples/queue/sim/world.ts): the chapter's claims, checked on the timeline
// the live example shows. Every queue decision in it is the real core's, so these are claims about the core
// and its adapter rules (log what changed, reclaim on time, replay on restart), seen through the simulation.
import { describe, expect, it } from 'vitest';
import { apply, createQueue, stats, type QueueState } from '../../examples/queue/core/queue.ts';
import {
  act,
  createWorld,
  encodeScript,
  eventsSince,
  faultTour,
  formatEvent,
  parseScript,
  runToEnd,
  runUntil,
  scriptOf,
  step,
  timeline,
  view,
  type Action,
  type TimelineEvent,
  type World,
} from '../../examples/queue/sim/world.ts';

const lines = (events: TimelineEvent[]) => events.map(formatEvent);
const count = (events: TimelineEvent[], kind: string, jobId?: string) =>
  events.filter((e) => e.kind === kind && (jobId === undefined || e.jobId === jobId)).length;

/** What the log on the simulated disk rebuilds: a fresh queue with every logged command applied again. */
function replayLog(world: World): QueueState {
  const state = createQueue();
  for (const cmd of world.broker.log) apply(state, cmd);
  return state;
}

describe('same seed, same run', () => {
  it('the same seed and script give the same timeline twice', () => {
    const a = runToEnd({ seed: 11, script: faultTour });
    const b = runToEnd({ seed: 11, script: faultTour });
    expect(a.timeline.length).toBeGreaterThan(30);
    expect(lines(b.timeline)).toEqual(lines(a.timeline));
    expect(b.view).toEqual(a.view);
  });

  it('different seeds give different timelines', () => {
    const runs = [1, 2, 3].map((seed) => lines(runToEnd({ seed, script: faultTour }).timeline).join('\n'));
    expect(new Set(runs).size).toBe(3);
  });

  it('running in small slices (as the browser does) gives the same timeline as running headless', () => {
    const headless = runToEnd({ seed: 4, script: faultTour });
    const world = createWorld({ seed: 4, script: faultTour });
    const seen: TimelineEvent[] = [];
    for (let t = 0; !view(world).finished && t < 120_000; t += 16) seen.push(...runUntil(world, t));
    expect(lines(seen)).toEqual(lines(headless.timeline));
    expect(lines(timeline(world))).toEqual(lines(headless.timeline));
  });

  it('step returns at least one event per call until the run is finished, and the same timeline', () => {
    const headless = runToEnd({ seed: 8 });
    const world = createWorld({ seed: 8 });
    const seen: TimelineEvent[] = [];
    for (let i = 0; i < 1_000 && !view(world).finished; i++) {
      const events = step(world);
      // The step that finishes the run may be silent (a worker hearing "ok" to its last ack).
      if (!view(world).finished) expect(events.length).toBeGreaterThan(0);
      seen.push(...events);
    }
    expect(view(world).finished).toBe(true);
    expect(step(world)).toEqual([]);
    expect(lines(seen)).toEqual(lines(headless.timeline));
  });

  it('runUntil leaves the clock exactly at t, and an action at T runs after every event at T', () => {
    const world = createWorld({ seed: 3, script: [{ at: 140, do: 'crash-broker' }] });
    runUntil(world, 100);
    expect(world.now).toBe(100);
    const events = runUntil(world, 140);
    expect(world.now).toBe(140);
    const crash = events.findIndex((e) => e.kind === 'broker-crashed');
    expect(crash).toBeGreaterThanOrEqual(0);
    expect(events.slice(crash + 1).every((e) => e.at === 140)).toBe(true);
    // Nothing that was due at 140 was left for after the crash.
    expect(world.agenda.filter((d) => d.at === 140 && d.phase === 0 && d.due.type === 'deliver')).toEqual([]);
  });
});

describe('the fault tour (seed 1)', () => {
  const { timeline: events, view: end } = runToEnd({ seed: 1, script: faultTour });

  it('finishes with every job done or dead', () => {
    expect(end.finished).toBe(true);
    expect(end.broker.stats).toEqual({ pending: 0, leased: 0, done: 11, dead: 1, total: 12 });
    for (const job of end.broker.jobs) expect(['done', 'dead']).toContain(job.status);
  });

  it("the killed worker's job is redelivered to another worker once its lease has run out", () => {
    const kill = events.find((e) => e.kind === 'worker-killed')!;
    expect(kill.text).toMatch(/^kill worker-2: job-\d+ dies with it/);
    const jobId = kill.jobId!;
    // The lease worker-2 was holding, granted before the kill.
    const granted = events.filter((e) => e.jobId === jobId && e.at <= kill.at && /leased to worker-2/.test(e.text)).at(-1)!;
    const expired = events.find((e) => e.kind === 'lease-expired' && e.jobId === jobId && e.at > kill.at)!;
    expect(expired.text).toContain("worker-2's lease");
    // On time: the broker's wake-up timer (from the core's nextWakeup) fires the moment the lease ends.
    expect(expired.at).toBe(granted.at + 5_000);
    const redelivered = events.find((e) => e.kind === 'redelivered' && e.jobId === jobId && e.at >= expired.at)!;
    expect(redelivered.text).toMatch(new RegExp(`^${jobId} leased to worker-[13] \\(attempt \\d+: redelivered`));
  });

  it("a late ack is refused with the core's answer", () => {
    const refusals = events.filter((e) => e.kind === 'refused');
    expect(refusals.map((e) => e.text)).toContain('ack job-1 from worker-3 refused: job job-1 is now held by lease job-1.2, not job-1.1');
    const expiredLease = refusals.find((e) => /the lease job-\d+\.1 on job-\d+ expired/.test(e.text));
    expect(expiredLease).toBeDefined();
    // Refused means not counted: each of those jobs was acked once, by the worker holding the new lease.
    for (const r of refusals.filter((e) => e.text.startsWith('ack'))) expect(count(events, 'acked', r.jobId)).toBe(1);
  });

  it('the poison job reaches the dead-letter queue after maxAttempts', () => {
    const poison = end.broker.jobs.filter((j) => j.poison);
    expect(poison).toEqual([{ id: 'job-3', status: 'dead', attempts: 3, poison: true }]);
    expect(events.filter((e) => e.kind === 'dead').map((e) => e.jobId)).toEqual(['job-3']);
    expect(count(events, 'acked', 'job-3')).toBe(0);
  });

  it('no job is done twice and none is lost; each is enqueued once although the producer retried', () => {
    expect(count(events, 'acked')).toBe(11);
    for (let n = 1; n <= 12; n++) expect(count(events, 'acked', `job-${n}`) + count(events, 'dead', `job-${n}`)).toBe(1);
    expect(count(events, 'enqueued')).toBe(12);
    expect(events.filter((e) => e.node === 'producer' && e.kind === 'retry').length).toBeGreaterThan(2);
    // The first try of p-7 reached the broker and only its reply was lost in the crash: the key stopped a copy.
    expect(events.find((e) => e.kind === 'deduplicated')?.text).toBe('key p-7 again: that is job-7 already, so no second copy');
  });

  it('the broker rebuilt after a crash equals the broker before it (stats and jobs)', () => {
    const world = createWorld({ seed: 1, script: faultTour.filter((a) => a.do !== 'crash-broker' && a.do !== 'restart-broker') });
    runUntil(world, 1_500);
    const before = structuredClone(world.broker.state!);
    expect(stats(before).leased).toBeGreaterThan(0); // a crash with work in flight, not an idle broker
    act(world, { do: 'crash-broker' });
    expect(view(world).broker).toMatchObject({ up: false, stats: null, jobs: [] });
    runUntil(world, 7_000);
    const recovered = act(world, { do: 'restart-broker' }).find((e) => e.kind === 'broker-recovered')!;
    const after = world.broker.state!;
    expect(stats(after)).toEqual(stats(before));
    expect(after.jobs).toEqual(before.jobs);
    const s = stats(before);
    expect(recovered.text).toBe(
      `replayed ${world.broker.log.length} commands: ${s.pending} pending, ${s.leased} leased, ${s.done} done, ${s.dead} dead`,
    );
  });

  it('at every moment of the tour, replaying the log gives the live jobs (nothing applied goes unlogged)', () => {
    const world = createWorld({ seed: 1, script: faultTour });
    for (let i = 0; i < 2_000 && !view(world).finished; i++) {
      step(world);
      if (world.broker.state === null) continue;
      const replayed = replayLog(world);
      expect(replayed.jobs).toEqual(world.broker.state.jobs);
      expect(stats(replayed)).toEqual(stats(world.broker.state));
    }
  });
});

describe('eventsSince', () => {
  it('gives exactly the events after the first count, so a view can append only what is new', () => {
    const world = createWorld({ seed: 2 });
    runUntil(world, 3_000);
    const shown = timeline(world).length;
    runUntil(world, 6_000);
    const all = timeline(world);
    expect(all.length).toBeGreaterThan(shown);
    expect(eventsSince(world, shown)).toEqual(all.slice(shown));
    expect(eventsSince(world, all.length)).toEqual([]);
  });
});

describe('a poison job after the producer has made every job', () => {
  it('adds one more job, the poison one, which ends dead; the others are untouched', () => {
    const world = createWorld({ seed: 4, jobs: 3 });
    runUntil(world, 10_000); // the producer made all 3 long ago
    expect(view(world).producer).toMatchObject({ enqueued: 3, total: 3 });
    act(world, { do: 'poison' });
    runUntil(world, 60_000);
    const end = view(world);
    expect(end.finished).toBe(true);
    expect(end.broker.jobs.map((j) => [j.id, j.status, j.poison])).toEqual([
      ['job-1', 'done', false], ['job-2', 'done', false], ['job-3', 'done', false], ['job-4', 'dead', true],
    ]);
    expect(timeline(world).find((e) => e.kind === 'poison')?.text).toBe(
      'make the next job poison: the producer sends one more job, p-4, which will fail on every attempt',
    );
  });

  it('pressed while the last job is in flight, it poisons one more job rather than none', () => {
    // At 0 the producer sends p-1 (the only job) before the action at 0 runs: p-1 is already made.
    const end = runToEnd({ seed: 9, jobs: 1, script: [{ at: 0, do: 'poison' }] }).view;
    expect(end.broker.jobs.map((j) => [j.id, j.status, j.poison])).toEqual([['job-1', 'done', false], ['job-2', 'dead', true]]);
  });
});

describe('live actions replay from scriptOf', () => {
  it('a run driven by act() replays to the same timeline from its seed and script', () => {
    const world = createWorld({ seed: 21, script: [{ at: 2_000, do: 'poison' }] });
    runUntil(world, 1_200);
    act(world, { do: 'kill-worker', worker: 1 });
    runUntil(world, 2_000); // same moment as the scripted poison: the live action must come after it
    act(world, { do: 'set-timeout', ms: 1_500 });
    for (let i = 0; i < 5; i++) step(world);
    act(world, { do: 'crash-broker' });
    runUntil(world, 6_000);
    act(world, { do: 'restart-broker' });
    act(world, { do: 'restart-worker', worker: 1 });
    act(world, { do: 'set-timeout', ms: 5_000 });
    runUntil(world, 60_000);

    const script = scriptOf(world);
    expect(script.map((a) => a.do)).toEqual([
      'kill-worker', 'poison', 'set-timeout', 'crash-broker', 'restart-broker', 'restart-worker', 'set-timeout',
    ]);
    // Through the URL text and back, as a "Link to this run" does.
    const replay = createWorld({ seed: 21, script: parseScript(encodeScript(script)) });
    runUntil(replay, 60_000);
    expect(lines(timeline(replay))).toEqual(lines(timeline(world)));
    expect(view(replay)).toEqual(view(world));
  });

  it('act refuses a worker that does not exist', () => {
    const world = createWorld({ seed: 1 });
    expect(() => act(world, { do: 'kill-worker', worker: 4 })).toThrow('there is no worker 4 (workers are 1 to 3)');
    expect(scriptOf(world)).toEqual([]);
  });

  it('an action that cannot apply says so and changes nothing', () => {
    const world = createWorld({ seed: 1 });
    runUntil(world, 500);
    expect(act(world, { do: 'restart-broker' }).map((e) => e.text)).toEqual(['restart the broker: nothing to do, the broker is running']);
  });
});

describe('script text', () => {
  it('round-trips the contract example and the fault tour', () => {
    const text = '2500:kill-worker:2,6000:crash-broker,8000:restart-broker,900:poison,3000:set-timeout:2000';
    const script = parseScript(text);
    expect(script).toEqual<Action[]>([
      { at: 2500, do: 'kill-worker', worker: 2 },
      { at: 6000, do: 'crash-broker' },
      { at: 8000, do: 'restart-broker' },
      { at: 900, do: 'poison' },
      { at: 3000, do: 'set-timeout', ms: 2000 },
    ]);
    expect(encodeScript(script)).toBe(text);
    expect(parseScript(encodeScript(faultTour))).toEqual(faultTour);
    expect(parseScript('')).toEqual([]);
  });

  it.each([
    ['abc', 'script item 1 "abc" must start with a time in whole milliseconds'],
    ['100:poison,200:explode', 'script item 2 "200:explode" has an unknown action "explode"'],
    ['100:kill-worker', 'script item 1 "100:kill-worker" needs a worker number, a whole number of at least 1'],
    ['100:kill-worker:0', 'needs a worker number'],
    ['100:set-timeout:fast', 'needs a timeout in ms'],
    ['-5:poison', 'must start with a time'],
    ['1.5:poison', 'must start with a time'],
    ['100:poison:3', 'has too many parts'],
    ['100:kill-worker:2:9', 'has too many parts'],
  ])('rejects %j with a clear message', (text, message) => {
    expect(() => parseScript(text)).toThrow(message);
  });

  it('createWorld rejects a script that names a worker beyond the ones it has', () => {
    expect(() => createWorld({ seed: 1, script: parseScript('100:kill-worker:4') })).toThrow('there is no worker 4');
    expect(() => createWorld({ seed: 1, workers: 4, script: parseScript('100:kill-worker:4') })).not.toThrow();
  });
});

describe('formatEvent', () => {
  it('writes time, node and text in fixed columns, with no locale', () => {
    expect(formatEvent({ at: 12_345, node: 'worker-2', kind: 'leased', text: 'job-3 leased to worker-2 (attempt 1)' })).toBe(
      '  12.345s  worker-2   job-3 leased to worker-2 (attempt 1)',
    );
    expect(formatEvent({ at: 1_234_567, node: 'you', kind: 'poison', text: 'x' })).toBe('1234.567s  you        x');
  });
});
