// The chat bench's pure parts: adding up the load generators' results (throughput, percentiles, missing
// copies), what limited a window, the ratios, the table, the chart and the page part. (The bench itself is
// not a test: it measures. No timing is asserted here.)

import { describe, expect, it } from 'vitest';
import type { RunResult } from './chat-load.ts';
import {
  bottleneck,
  chart,
  cpuPerMessage,
  fragment,
  pairs,
  ratioLines,
  ratios,
  summarize,
  systemEvents,
  table,
  type ChatBenchReport,
  type PhaseResult,
  type SystemRun,
} from './chat-report.ts';

const result = (over: Partial<RunResult>): RunResult => ({
  sent: 0,
  expectedCopies: 0,
  receivedCopies: 0,
  deliveredInWindow: 0,
  windowMs: 2000,
  latencies: [],
  duplicates: 0,
  refused: 0,
  gaveUp: 0,
  errors: {},
  closes: {},
  cpuMs: 0,
  ...over,
});

describe('summarize: the load generators added up', () => {
  const a = result({ sent: 10, expectedCopies: 100, receivedCopies: 100, deliveredInWindow: 1000, latencies: Array.from({ length: 50 }, (_, i) => i + 1), cpuMs: 400, errors: { 'rate-limited': 1 } });
  const b = result({ sent: 30, expectedCopies: 300, receivedCopies: 297, deliveredInWindow: 3000, latencies: Array.from({ length: 50 }, (_, i) => 100 - i), cpuMs: 600, errors: { 'rate-limited': 2 }, closes: { '4008': 1 } });
  const s = summarize([a, b], { s1: 50, bus: 20 }, 60);

  it('rates are per second of the window, over every process', () => {
    expect(s.sendsPerSec).toBe(20); // 40 sent in 2 s
    expect(s.deliveredPerSec).toBe(2000); // 4,000 copies in 2 s
    expect(s.sent).toBe(40);
  });
  it('percentiles are over all samples of all processes (nearest rank)', () => {
    expect(s.latency.p50).toBe(50);
    expect(s.latency.p90).toBe(90);
    expect(s.latency.p99).toBe(99);
    expect(s.latency.max).toBe(100);
  });
  it('counts the copies that never came, and adds up error frames and closes', () => {
    expect(s.missing).toBe(3);
    expect(s.errors).toEqual({ 'rate-limited': 3 });
    expect(s.closes).toEqual({ '4008': 1 });
  });
  it('sends refused and stalls are added up', () => {
    const t = summarize([result({ refused: 2, gaveUp: 1 }), result({ refused: 3 })], {});
    expect([t.refused, t.gaveUp]).toEqual([5, 1]);
  });
  it('adds the load generator CPU (% of one core) to the system processes', () => {
    expect(s.cpu).toEqual({ s1: 50, bus: 20, 'load generator': 50 }); // 1,000 ms of CPU in 2,000 ms
    expect(s.machineBusy).toBe(60);
  });
  it('CPU per message sent: % of a core over messages/s, in µs', () => {
    expect(cpuPerMessage({ cpu: { bus: 40, s1: 20 }, sendsPerSec: 1000 })).toEqual({ bus: 400, s1: 200 });
    expect(Number.isNaN(cpuPerMessage({ cpu: { bus: 1 }, sendsPerSec: 0 }).bus)).toBe(true);
  });
  it('of no samples gives NaN latencies, not a crash', () => {
    const empty = summarize([result({})], {});
    expect(Number.isNaN(empty.latency.p50) && Number.isNaN(empty.latency.max)).toBe(true);
    expect(empty.deliveredPerSec).toBe(0);
  });
});

describe('systemEvents', () => {
  it('counts lost buses and closed clients by code, per process', () => {
    const events = systemEvents([
      { name: 's1', lines: ['chat server s1 listening on http://127.0.0.1:1', 's1: lost the bus (timeout); clients...', 's1: closing client c7 (4000: no ping)', 's1: closing client c9 (4000: x)'] },
      { name: 's2', lines: ['s2: closing client c1 (4008: slow consumer)'] },
    ]);
    expect(events).toEqual({ 's1 lost the bus': 1, 's1 closed a client with 4000': 2, 's2 closed a client with 4008': 1 });
  });
});

describe('bottleneck', () => {
  it('names a server-side process near a full core as the limit', () => {
    expect(bottleneck({ s1: 97, s2: 40, bus: 30 }, [40, 35], 95)).toMatch(/^the system \(s1 at 97% of a core\)/);
  });
  it('names the load generator when one of its processes is near a full core', () => {
    expect(bottleneck({ s1: 50, bus: 30 }, [92, 60], 95)).toMatch(/^the load generator/);
  });
  it('says both when both are', () => {
    expect(bottleneck({ s1: 90 }, [90], 100)).toMatch(/^both/);
  });
  it('blames the machine when no one process is at a core but all cores are busy, and counts other programs', () => {
    const text = bottleneck({ s1: 40, bus: 20 }, [30, 30], 95, 2);
    expect(text).toMatch(/^the machine: its 2 cores were 95% busy/);
    expect(text).toMatch(/using 120% of a core and other programs 70%/);
  });
  it('says when nothing was CPU-bound', () => {
    expect(bottleneck({ s1: 10 }, [10], 20)).toMatch(/^no process was CPU-bound/);
  });
});

// ---- a report ------------------------------------------------------------------------------------------------

const phase = (delivered: number, p50: number, p99: number, over: Partial<PhaseResult> = {}): PhaseResult => ({
  sent: delivered / 5,
  sendsPerSec: delivered / 10,
  deliveredPerSec: delivered,
  latency: { p50, p99, p90: p99, max: p99 },
  expectedCopies: 100,
  receivedCopies: 100,
  missing: 0,
  duplicates: 0,
  refused: 0,
  gaveUp: 0,
  errors: {},
  closes: {},
  cpu: { s1: 50, 'load generator': 40 },
  machineBusy: 70,
  bottleneck: 'no process was CPU-bound (the bench processes used 90% of a core, of 200%)',
  ...over,
});
const system = (key: SystemRun['key'], label: string, rate: PhaseResult, closed: PhaseResult): SystemRun => ({
  key,
  label,
  servers: key === 'one-server' ? 1 : 2,
  bus: key.startsWith('redis') ? 'Redis 7 in memory' : 'course bus in memory',
  version: null,
  connectMs: 2000,
  phases: { rate, closed },
  events: key === 'bus' ? { 's1 lost the bus': 1 } : {},
});
const report: ChatBenchReport = {
  date: '2026-12-01T10:00:00.000Z',
  command: 'npm run bench:chat',
  note: 'a <busy> machine',
  machine: { cpu: 'Test CPU × 2', cores: 2, memory: '8 GB', os: 'Linux 6', node: 'v20.0.0', loadAverageAtStart: [1, 2, 3], loadAverageAtEnd: [4, 5, 6] },
  settings: { clients: 1000, rooms: 100, perRoom: 10, workers: 2, textChars: 100, warmupMs: 2000, durationMs: 8000, drainMs: 5000, perClientPerSec: 0.5, maxPerClientPerSec: 18, rateLimitPerSec: 20, durable: true },
  systems: [
    system('one-server', 'one server (course bus)', phase(5000, 1.5, 10), phase(30000, 50, 200)),
    system('bus', 'course bus, 2 servers', phase(5000, 2, 20), phase(20000, 80, 300)),
    system('redis', 'Redis, 2 servers', phase(5000, 4, 10), phase(10000, 150, 600, { missing: 7, expectedCopies: 1000, closes: { '4008': 2 }, refused: 3 })),
    system('bus-fsync', 'course bus with fsync, 2 servers', phase(5000, 3, 30), phase(15000, 100, 400)),
    system('redis-fsync', 'Redis with fsync, 2 servers', phase(5000, 6, 60), phase(5000, 300, 900)),
  ],
  seconds: 120,
};

describe('ratios and the table', () => {
  it('pairs the course bus with Redis, in memory and with fsync', () => {
    expect(pairs(report).map((p) => [p.bus.key, p.redis.key, p.durable])).toEqual([
      ['bus', 'redis', false],
      ['bus-fsync', 'redis-fsync', true],
    ]);
    expect(pairs({ systems: report.systems.slice(0, 2) })).toEqual([]);
  });
  it('course bus ÷ Redis: delivered/s flat out, p50 and p99 at the fixed load', () => {
    expect(ratios(report.systems[1]!, report.systems[2]!)).toEqual({ delivered: 2, p50: 0.5, p99: 2 });
    expect(ratioLines(report)[0]).toBe('course bus ÷ Redis (both in memory): 2.00× the copies delivered/s flat out; 0.50× the p50 and 2.00× the p99 latency at the fixed load');
    expect(ratioLines(report)[1]).toMatch(/^course bus ÷ Redis \(both with fsync\): 3\.00×/);
  });
  it('has a row per system with both phases, the missing copies and what limited it', () => {
    const lines = table(report);
    expect(lines[0]).toMatch(/fixed load \(500 sent\/s\)/);
    expect(lines).toHaveLength(2 + 5);
    expect(lines[2]).toBe('| one server (course bus in memory) | 5,000 | 1.50 / 10.0 | 3,000 | 30,000 | 50.0 / 200 | no process was CPU-bound (the bench processes used 90% of a core, of 200%) |');
    expect(lines[4]).toMatch(/\| 10,000 \(7 missing\) \|/);
  });
});

describe('the chart', () => {
  const svg = chart(report);
  it('is accessible: a title and a description that carries every figure', () => {
    expect(svg).toMatch(/<title id="chat-bench-title">[^<]+<\/title>/);
    for (const figure of ['30,000', '20,000', '10,000', '15,000', '5,000', '1.50 / 10.0', '4.00 / 10.0', '6.00 / 60.0']) {
      expect(svg.match(/<desc[^>]*>([^<]*)<\/desc>/)![1]).toContain(figure);
    }
  });
  it('bar lengths follow the values', () => {
    const width = (value: string) => Number(new RegExp(`data-value="${value}" x="\\d+" y="[\\d.]+" width="([\\d.]+)"`).exec(svg)![1]);
    expect(width('30000')).toBeCloseTo(2 * width('15000'), 0);
    expect(width('60')).toBeCloseTo(6 * width('10'), 0); // the longest p99 against the shortest
  });
  it('follows light and dark mode: colours only from CSS variables and currentColor', () => {
    expect(svg).not.toMatch(/fill="#|stroke="#/);
  });
  it('is one HTML block (no blank line) with its tags closed', () => {
    expect(svg).not.toMatch(/\n\s*\n/);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
  it('says "not measured" for a system that was not', () => {
    const partial = chart({ ...report, systems: [{ ...report.systems[0]!, phases: {} }] });
    expect(partial).toContain('not measured');
  });
});

describe('the page part', () => {
  const md = fragment(report);
  it('holds the chart, the table, the ratios and how it was measured', () => {
    expect(md).toContain('<svg');
    expect(md).toContain('| system |');
    expect(md).toContain('- course bus ÷ Redis (both in memory)');
    expect(md).toMatch(/Measured 2026-12-01 on Test CPU × 2/);
    expect(md).toMatch(/rate limit of 20 frames\/s per connection, which is left as it is/);
    expect(md).toMatch(/course bus without DATA_DIR/);
    expect(md).toMatch(/appendfsync always/);
    expect(md).toContain('whole machine 70% busy');
    expect(md).toContain('one server (course bus in memory): s1 50% (167 µs), load generator 40% (133 µs)'); // 3,000 sent/s
    expect(md).toContain('Load average 1.0, 2.0, 3.0 at the start, 4.0, 5.0, 6.0 at the end');
  });
  it('reports copies that never arrived and closed connections', () => {
    expect(md).toContain('Redis in memory, 2 servers, flat out: 7 of 1,000 copies never arrived; 3 sends refused (not counted as sent); connections closed: 2× 4008.');
    expect(md).toContain('What the servers and buses reported during the run: course bus in memory, 2 servers: 1× s1 lost the bus.');
  });
  it('escapes text from outside (the note) and compiles as a Vue template: no mustaches', () => {
    expect(md).toContain('a &lt;busy&gt; machine');
    expect(md).not.toContain('{{');
  });
  it('without the fsync pair does not claim it', () => {
    const plain = fragment({ ...report, settings: { ...report.settings, durable: false }, systems: report.systems.slice(0, 3) });
    expect(plain).not.toMatch(/appendfsync always/);
    expect(ratioLines({ systems: report.systems.slice(0, 3) })).toHaveLength(1);
  });
});
