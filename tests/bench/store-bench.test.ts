// The store bench's pure parts: percentiles, the figures computed from request records, number formatting,
// the comparison rows, the two charts and the page part. (The bench itself is not a test: it measures.)

import { describe, expect, it } from 'vitest';
import { percentiles } from './load.ts';
import type { Answer, KvClient } from './store-cluster.ts';
import { answer } from './store-cluster.ts';
import { availability, runLoop, throughput, topReasons, type OpRecord } from './store-load.ts';
import {
  availabilityChart,
  availabilityTable,
  comparisonRows,
  escapeXml,
  fragment,
  loadTable,
  msText,
  percentText,
  ratio,
  ratioText,
  writesChart,
  type AvailabilityRun,
  type LoadRun,
  type StoreBenchReport,
} from './store-report.ts';
import type { Throughput } from './store-load.ts';

const ok = (startMs: number, ms: number): OpRecord => ({ startMs, ms, ok: true });
const failed = (startMs: number, reason: string): OpRecord => ({ startMs, ms: 3000, ok: false, reason });

describe('percentiles (nearest rank)', () => {
  it('gives the 50th and 99th of 1..100, whatever the input order', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(values)).toEqual({ p50: 50, p99: 99 });
  });
  it('of one value is that value; of none is NaN', () => {
    expect(percentiles([7])).toEqual({ p50: 7, p99: 7 });
    const none = percentiles([]);
    expect(Number.isNaN(none.p50) && Number.isNaN(none.p99)).toBe(true);
  });
  it('p99 of 1,000 values sits at the 990th', () => {
    expect(percentiles(Array.from({ length: 1000 }, (_, i) => i + 1)).p99).toBe(990);
  });
});

describe('figures from request records', () => {
  it('throughput counts successful requests completed inside the window; latency is theirs only', () => {
    const records = [ok(0, 1), ok(100, 3), ok(1990, 20), failed(10, 'no majority')];
    const t = throughput(records, 2);
    expect(t.opsPerSec).toBe(1); // two of the three successes completed by 2,000 ms
    expect(t.ok).toBe(3);
    expect(t.failed).toBe(1);
    expect(t.latency).toEqual({ p50: 3, p99: 20 });
    expect(t.failures).toEqual([{ reason: 'no majority', count: 1 }]);
  });

  it('availability is the share answered among the requests started in the range', () => {
    const records = [failed(0, 'x'), failed(1000, 'x'), ok(4000, 1), ok(6000, 1), ok(7000, 1)];
    expect(availability(records).share).toBeCloseTo(3 / 5);
    expect(availability(records, 5000)).toMatchObject({ attempted: 2, answered: 2, share: 1 });
    expect(availability(records, 0, 2000)).toMatchObject({ attempted: 2, answered: 0, share: 0 });
    expect(Number.isNaN(availability([]).share)).toBe(true);
  });

  it('groups failure reasons with their numbers blurred, most frequent first', () => {
    const records = [failed(0, 'no answer within 3000 ms'), failed(1, 'no answer within 3001 ms'), failed(2, 'no majority'), ok(3, 1)];
    expect(topReasons(records)).toEqual([
      { reason: 'no answer within N ms', count: 2 },
      { reason: 'no majority', count: 1 },
    ]);
  });

  it('an answer is ok only for the expected statuses, and says why otherwise', () => {
    expect(answer(404, { error: 'not found' }, undefined, [200, 404])).toEqual({ ok: true, status: 404 });
    expect(answer(503, { error: 'unavailable', reason: 'no majority for n1+n2+n3' }, undefined, [200])).toEqual({
      ok: false,
      status: 503,
      reason: 'no majority for n1+n2+n3',
    });
    expect(answer(0, null, 'ECONNREFUSED', [200]).reason).toBe('ECONNREFUSED');
    expect(answer(500, 'boom', undefined, [200]).reason).toBe('boom');
  });
});

describe('runLoop', () => {
  it('records only requests started after the warm-up, labels them, and waits for those in flight', async () => {
    let calls = 0;
    const client: KvClient = {
      put: async () => ({ ok: true, status: 200 }),
      get: async () => ({ ok: true, status: 200 }),
      close: () => {},
    };
    const { records } = await runLoop({
      clients: [client, client],
      warmupMs: 30,
      durationMs: 40,
      op: async (c, _i, n): Promise<Answer> => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        return n % 2 === 0 ? c.put('k', 'v') : { ok: false, status: 503, reason: 'refused' };
      },
      label: (_i, n) => (n % 2 === 0 ? 'write' : 'read'),
    });
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(calls); // the warm-up's requests are not in it
    expect(records.every((r) => r.startMs >= 0)).toBe(true);
    expect(records.every((r) => (r.label === 'write') === r.ok)).toBe(true);
    expect(records.filter((r) => !r.ok).every((r) => r.reason === 'refused')).toBe(true);
  });
});

describe('formatting', () => {
  it('ratios', () => {
    expect(ratio(10, 4)).toBe(2.5);
    expect(ratio(10, 0)).toBeNull();
    expect(ratio(NaN, 4)).toBeNull();
    expect(ratioText(2.5)).toBe('2.50×');
    expect(ratioText(12.345)).toBe('12.3×');
    expect(ratioText(0.0042)).toBe('0.0042×');
    expect(ratioText(null)).toBe('–');
  });
  it('percentages never round to 0% or 100% unless exact', () => {
    expect(percentText(1)).toBe('100%');
    expect(percentText(0)).toBe('0%');
    expect(percentText(0.9996)).toBe('99.9%');
    expect(percentText(0.0004)).toBe('0.1%');
    expect(percentText(0.6)).toBe('60%');
    expect(percentText(NaN)).toBe('–');
  });
  it('milliseconds', () => {
    expect(msText(1.234)).toBe('1.23');
    expect(msText(12.34)).toBe('12.3');
    expect(msText(1234.5)).toBe('1,235');
    expect(msText(NaN)).toBe('–');
  });
  it('escapes markup', () => {
    expect(escapeXml('a<b & "c">')).toBe('a&lt;b &amp; &quot;c&quot;&gt;');
  });
});

// ---- a report with made-up figures ------------------------------------------------------------------

const t = (opsPerSec: number, p50 = 1, p99 = 5, failedCount = 0): Throughput => ({
  opsPerSec,
  ok: Math.round(opsPerSec * 4),
  failed: failedCount,
  latency: { p50, p99 },
  failures: [],
});
const clients = [1, 16, 64];
const load: LoadRun[] = clients.flatMap((n, k) => [
  { system: 'store' as const, op: 'write' as const, level: 'strong' as const, clients: n, result: t(100 * (k + 1)) },
  { system: 'store' as const, op: 'write' as const, level: 'eventual' as const, clients: n, result: t(400 * (k + 1)) },
  { system: 'etcd' as const, op: 'write' as const, level: 'linearizable' as const, clients: n, result: t(200 * (k + 1)) },
  { system: 'store' as const, op: 'read' as const, level: 'strong' as const, clients: n, result: t(300) },
  { system: 'etcd' as const, op: 'read' as const, level: 'linearizable' as const, clients: n, result: t(600) },
  { system: 'etcd' as const, op: 'read' as const, level: 'serializable' as const, clients: n, result: t(900) },
]);
const av = (share: number) => ({ attempted: 100, answered: Math.round(share * 100), share, failures: [] });
const availabilityRuns: AvailabilityRun[] = [
  { system: 'store', mode: 'strong', op: 'write', cutOff: 1, side: 'majority', members: ['n1', 'n2', 'n3', 'n4'], whole: av(0.9), settled: av(1) },
  { system: 'store', mode: 'strong', op: 'write', cutOff: 1, side: 'minority', members: ['n5'], whole: av(0), settled: av(0) },
  { system: 'store', mode: 'eventual', op: 'write', cutOff: 1, side: 'minority', members: ['n5'], whole: av(0.6), settled: av(0.6) },
  { system: 'store', mode: 'eventual', op: 'read', cutOff: 1, side: 'minority', members: ['n5'], whole: av(0.55), settled: av(0.6) },
  { system: 'etcd', mode: 'linearizable', op: 'write', cutOff: 1, side: 'majority', members: ['e1', 'e2', 'e4', 'e5'], whole: av(0.97), settled: av(1) },
  { system: 'etcd', mode: 'linearizable', op: 'write', cutOff: 1, side: 'minority', members: ['e3'], whole: null, settled: null },
];
const settings: StoreBenchReport['settings'] = {
  members: 5,
  clients,
  warmupMs: 1000,
  writeMs: 4000,
  readMs: 3000,
  valueBytes: 256,
  timeoutMs: 3000,
  partitionMs: 10_000,
  settledFromMs: 5000,
  partitionClients: 4,
};
const report: StoreBenchReport = {
  date: '2026-11-30T10:00:00.000Z',
  command: 'npm run bench:store',
  machine: { cpu: 'Test CPU × 2', memory: '24 GB', os: 'Linux', node: 'v20', loadAverageAtStart: [1, 1, 1], loadAverageAtEnd: [2, 2, 2] },
  versions: { store: 'examples/store/node', etcd: 'etcd 3.4.23 (go1.19.8)' },
  fsync: { atStart: { p50: 0.2, p99: 1 }, atEnd: { p50: 0.2, p99: 1 } },
  settings,
  partitionMethods: { store: 'admin block', etcd: 'SIGSTOP <the minority>' },
  load,
  rows: comparisonRows(load, clients),
  availability: availabilityRuns,
  seconds: 180,
};

describe('comparison rows', () => {
  it('pairs each of our levels with etcd: both write levels with its (linearizable) write, eventual reads with serializable', () => {
    const rows = report.rows;
    expect(rows).toHaveLength(12);
    const row = (op: string, level: string, n: number) => rows.find((r) => r.op === op && r.storeLevel === level && r.clients === n)!;
    expect(row('write', 'strong', 16)).toMatchObject({ etcdLevel: 'linearizable', ratio: 0.5 });
    expect(row('write', 'eventual', 64)).toMatchObject({ etcdLevel: 'linearizable', ratio: 2 });
    expect(row('read', 'strong', 1)).toMatchObject({ etcdLevel: 'linearizable', ratio: 0.5 });
    expect(row('read', 'eventual', 1)).toMatchObject({ etcdLevel: 'serializable', store: null, ratio: null });
  });

  it('the table prints a ratio per row, and the failures of a run', () => {
    const withFailures = comparisonRows(
      [
        { system: 'store', op: 'write', level: 'strong', clients: 1, result: t(50, 2, 9, 3) },
        { system: 'etcd', op: 'write', level: 'linearizable', clients: 1, result: t(200) },
      ],
      [1],
    );
    const lines = loadTable(withFailures);
    expect(lines[2]).toBe('| write: strong ↔ etcd linearizable | 1 | 50 (3 failed) | 2.00 / 9.00 | 200 | 1.00 / 5.00 | 0.25× |');
    expect(lines[3]).toBe('| write: eventual ↔ etcd linearizable | 1 | – | – | 200 | 1.00 / 5.00 | – |');
  });
});

describe('writes chart', () => {
  const svg = writesChart(report);
  it('is accessible: a title and a description that carries every figure', () => {
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="store-bench-writes-title store-bench-writes-desc"/);
    expect(svg).toContain('<title id="store-bench-writes-title">');
    const desc = /<desc id="store-bench-writes-desc">([^<]*)<\/desc>/.exec(svg)![1]!;
    for (const n of ['100', '400', '200', '800', '1,200', '600']) expect(desc).toContain(n);
    expect(desc).toContain('64 clients: our store, strong 300, our store, eventual 1,200, etcd (always linearizable) 600');
  });
  it('labels each bar with its value, and bar heights follow the values', () => {
    const bars = [...svg.matchAll(/<rect data-value="\d+" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(bars).toHaveLength(9);
    expect(bars[5]).toBeCloseTo(bars[2]! * 2, 0); // etcd: 400 at 16 clients, 200 at 1
    expect(Math.max(...bars)).toBe(bars[7]); // the tallest: eventual at 64 clients (1,200)
    expect(bars[7]! / bars[0]!).toBeCloseTo(12, 0); // 1,200 / 100
    for (const label of ['>100<', '>1,200<', '>600<']) expect(svg).toContain(label);
  });
  it('follows light and dark mode: colours only from CSS variables and currentColor', () => {
    const colours = [...svg.matchAll(/(?:fill|stroke)(?:=|:\s*)"?([^;"]+)/g)].map((m) => m[1]!.trim());
    for (const c of colours) expect(c).toMatch(/^(var\(--vp-c-[a-z0-9-]+(, [^)]+\)?)?\)?|currentColor|none|[\d.]+)$/);
  });
  it('is one HTML block (no blank line) with its tags closed', () => {
    expect(svg).not.toMatch(/\n\s*\n/);
    expect(svg.match(/<svg /g)).toHaveLength(1);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
  it('leaves out a series that was not measured', () => {
    const etcdOnly = writesChart({ ...report, load: load.filter((r) => r.system === 'etcd') });
    expect(etcdOnly).not.toContain('our store, strong');
    expect([...etcdOnly.matchAll(/<rect data-value=/g)]).toHaveLength(3);
  });
});

describe('availability chart and table', () => {
  const svg = availabilityChart(report);
  it('has a bar per measured side and mode, as wide as its share, and says "not measured" otherwise', () => {
    const full = Number(/<line x1="([\d.]+)"[^>]*stroke-dasharray/.exec(svg)![1]) - 190; // the 100% mark
    const bars = [...svg.matchAll(/<rect data-value="([\d.]+)" x="190" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(bars.map(([share]) => share)).toEqual([0.9, 0.97, 0.6]); // the 0% bar is not drawn
    for (const [share, width] of bars) expect(width).toBeCloseTo(share! * full, 0);
    expect(svg).toContain('>not measured<');
    expect(svg).toContain('>0%<');
    expect(svg).toContain('>60%<');
    expect(svg).not.toMatch(/\n\s*\n/);
  });
  it('describes every figure in words', () => {
    const desc = /<desc id="store-bench-availability-desc">([^<]*)<\/desc>/.exec(svg)![1]!;
    expect(desc).toContain('minority side (1 member: n5): our store, strong 0%, our store, eventual 60%, etcd (always linearizable) not measured');
  });
  it('the table has writes and reads per system, mode and side, with the settled share in brackets', () => {
    const lines = availabilityTable(report);
    expect(lines).toContain('| our store, eventual | 1 | minority (n5) | 60% (60%) | 55% (60%) |');
    expect(lines).toContain('| etcd, linearizable | 1 | minority (e3) | not measured | – |');
    expect(lines).toContain('| our store, strong | 1 | majority (n1, n2, n3, n4) | 90% (100%) | – |');
  });
});

describe('the page part', () => {
  const md = fragment(report);
  it('holds both charts, both tables and how it was measured', () => {
    expect(md.match(/<svg /g)).toHaveLength(2);
    expect(md.match(/<\/svg>/g)).toHaveLength(2);
    expect(md).toContain('| write: strong ↔ etcd linearizable | 64 | 300 |');
    expect(md).toContain('fsync on');
    expect(md).toContain('run `npm run bench:store`');
    expect(md).toContain('SIGSTOP &lt;the minority&gt;'); // text from outside is escaped: a raw tag would break the page
  });
  it('compiles as a Vue template: no mustaches, and no blank line inside an SVG', () => {
    expect(md).not.toContain('{{');
    for (const block of md.match(/<svg[\s\S]*?<\/svg>/g)!) expect(block).not.toMatch(/\n\s*\n/);
  });
  it('leaves the availability part out when it was not measured', () => {
    const noPartition = fragment({ ...report, availability: [], partitionMethods: {} });
    expect(noPartition.match(/<svg /g)).toHaveLength(1);
    expect(noPartition).not.toContain('Availability:');
  });
});
