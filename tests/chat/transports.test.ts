// `npm run demo:transports` (examples/chat/node/transports.ts): the pure half (workload, percentiles, the
// event-stream parser, arguments, table) checked exactly, and one short real run on loopback checked for what
// does not depend on timing: every update arrives once by every transport, and each transport makes the number
// of HTTP requests its design implies.
import { describe, expect, test } from 'vitest';
import { runDemo } from '../../examples/chat/node/transports.ts';
import {
  SseParser,
  formatTable,
  parseArgs,
  percentile,
  schedule,
  summarise,
  type TransportCounts,
} from '../../examples/chat/node/transports-workload.ts';

describe('the workload', () => {
  test('the same seed gives the same schedule; another seed another one', () => {
    expect(schedule(7, 50, 20)).toEqual(schedule(7, 50, 20));
    expect(schedule(8, 50, 20)).not.toEqual(schedule(7, 50, 20));
  });

  test('updates are numbered 1..count and never go back in time', () => {
    const plan = schedule(1, 200, 20);
    expect(plan.map((u) => u.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (let i = 1; i < plan.length; i++) expect(plan[i]!.atMs).toBeGreaterThanOrEqual(plan[i - 1]!.atMs);
    expect(plan[0]!.atMs).toBeGreaterThanOrEqual(0);
  });

  test('the gaps average the mean asked for (exponential gaps: a Poisson process)', () => {
    const plan = schedule(3, 20_000, 20);
    const mean = plan.at(-1)!.atMs / plan.length;
    expect(mean).toBeGreaterThan(19);
    expect(mean).toBeLessThan(21);
    // Exponential, not uniform: about 1 - 1/e (63 %) of the gaps are shorter than the mean.
    const gaps = plan.map((u, i) => u.atMs - (i === 0 ? 0 : plan[i - 1]!.atMs));
    const short = gaps.filter((g) => g < 20).length / gaps.length;
    expect(short).toBeGreaterThan(0.6);
    expect(short).toBeLessThan(0.66);
  });
});

describe('the summary maths', () => {
  test('percentiles by nearest rank', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    const fifty = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(percentile(fifty, 99)).toBe(50); // of 50 values, p99 is the slowest
    expect(percentile(fifty, 50)).toBe(25);
    expect(percentile([4], 1)).toBe(4);
    expect(percentile([], 50)).toBeNaN();
  });

  test('summarise rounds to 0.1 ms and divides the bytes by the updates received', () => {
    const counts: TransportCounts = {
      transport: 'x',
      requests: 3,
      emptyAnswers: 1,
      bytes: 1000,
      latenciesMs: [0.26, 1.04, 10.96],
      received: 3,
      duplicates: 0,
    };
    expect(summarise(counts, 4)).toEqual({
      transport: 'x',
      requests: 3,
      emptyAnswers: 1,
      bytes: 1000,
      bytesPerUpdate: 333,
      received: 3,
      expected: 4,
      duplicates: 0,
      p50Ms: 1,
      p99Ms: 11,
    });
    expect(summarise({ ...counts, received: 0, latenciesMs: [] }, 4)).toMatchObject({ bytesPerUpdate: 0, p50Ms: NaN });
  });

  test('the table has a header and one aligned row per transport, and shows what is missing', () => {
    const row = summarise({ transport: 'WebSocket', requests: 1, emptyAnswers: 0, bytes: 5526, latenciesMs: [0.3], received: 1, duplicates: 2 }, 2);
    const lines = formatTable([row, { ...row, transport: 'long polling' }]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^transport\s+HTTP requests\s+empty answers\s+bytes\s+bytes\/update\s+received\s+p50 ms\s+p99 ms$/);
    expect(lines[1]).toContain('5,526');
    expect(lines[1]).toContain('1/2 (+2 dup)');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('the server-sent events parser', () => {
  const stream = ': a comment\nid: 1\ndata: {"seq":1}\n\nid: 2\ndata: first line\ndata: second line\n\r\nevent: other\ndata: x\n\n';

  test('reads id and data fields; several data lines join with a newline; comments are skipped', () => {
    expect(new SseParser().push(stream)).toEqual([
      { id: '1', data: '{"seq":1}' },
      { id: '2', data: 'first line\nsecond line' },
      { data: 'x' },
    ]);
  });

  test('gives the same events however the stream is cut into chunks', () => {
    const whole = new SseParser().push(stream);
    for (let cut = 1; cut < stream.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))];
      expect(events, `cut at ${cut}`).toEqual(whole);
    }
    const byChar = new SseParser();
    expect([...stream].flatMap((c) => byChar.push(c))).toEqual(whole);
  });

  test('an event is not complete until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('data: half')).toEqual([]);
    expect(parser.push('\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ data: 'half' }]);
  });
});

describe('the command line', () => {
  test('defaults, and each option', () => {
    expect(parseArgs([])).toEqual({ seed: 1, updates: 50, meanGapMs: 20, pollMs: 100, json: false });
    expect(parseArgs(['--seed', '0', '--updates', '10', '--mean-gap-ms', '5', '--poll-ms', '250', '--json'])).toEqual({
      seed: 0,
      updates: 10,
      meanGapMs: 5,
      pollMs: 250,
      json: true,
    });
  });

  test('refuses what it does not know, and numbers that are not whole or too small', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
    expect(() => parseArgs(['--updates', '0'])).toThrow(/--updates needs a whole number from 1/);
    expect(() => parseArgs(['--poll-ms', '1.5'])).toThrow(/--poll-ms/);
    expect(() => parseArgs(['--seed'])).toThrow(/got nothing/);
  });
});

describe('a real run on loopback', () => {
  test('every transport delivers every update exactly once, with the requests its design implies', async () => {
    const updates = 12;
    const lines: string[] = [];
    const rows = await runDemo({ seed: 5, updates, meanGapMs: 5, pollMs: 25, json: true }, (line) => lines.push(line));
    expect(lines).toHaveLength(5); // the workload, then one line per transport
    expect(rows.map((r) => r.transport)).toEqual(['short polling (every 25 ms)', 'long polling', 'server-sent events', 'WebSocket']);
    for (const r of rows) {
      expect(r, r.transport).toMatchObject({ received: updates, expected: updates, duplicates: 0 });
      expect(r.bytes, r.transport).toBeGreaterThan(0);
      expect(Number.isFinite(r.p99Ms)).toBe(true);
    }
    const [short, long, sse, ws] = rows;
    // One request, held open, for the two push transports; nothing answered empty.
    expect(sse).toMatchObject({ requests: 1, emptyAnswers: 0 });
    expect(ws).toMatchObject({ requests: 1, emptyAnswers: 0 });
    // Long polling: one request per answer, and every answer but a rare timeout carries news.
    expect(long!.requests).toBeGreaterThanOrEqual(2);
    expect(long!.requests).toBeLessThanOrEqual(updates + 1);
    expect(long!.emptyAnswers).toBe(0);
    // Short polling asks at least until the last update is there, and its answers count it.
    expect(short!.requests).toBeGreaterThanOrEqual(1);
    expect(short!.emptyAnswers).toBeLessThan(short!.requests);
  });
});
