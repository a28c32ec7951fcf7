// The Raft bench's pure parts: quantiles, the failover summary and target, the two charts and page parts.
// (The bench itself is not a test: it measures. No timing is asserted here.)
import { describe, expect, it } from 'vitest';
import {
  failoverChart,
  failoverFragment,
  summarize,
  targetMet,
  throughputFragment,
  throughputTable,
  type FailoverReport,
  type RaftBenchReport,
  type ThroughputFigures,
} from './raft-report.ts';
import { quantile } from './load.ts';

const machine = { cpu: 'Test CPU', cores: 2, memory: '24 GiB', os: 'Linux', node: 'v20', loadAverageAtStart: [0.5, 0.4, 0.3], loadAverageAtEnd: [1, 1, 1] };
const failover = (samples: number[][], noLeader = 0): FailoverReport => ({
  settings: { crashes: samples[0]!.length, nodes: 5, heartbeatMs: 50, delayMs: [5, 25], limitMs: 10_000, seed: 1 },
  runs: samples.map((s, i) => ({ timeoutMs: i === samples.length - 1 ? [150, 300] : [150, 150 + 5 * (i + 1)], samplesMs: [...s].sort((a, b) => a - b), noLeader: i === 0 ? noLeader : 0 })),
});
const figures = (opsPerSec: number, failed = 0): ThroughputFigures => ({ opsPerSec, ok: 100, failed, latency: { p50: 1.5, p99: 20 }, failures: failed > 0 ? [{ reason: 'HTTP 503', count: failed }] : [] });
const report = (over: Partial<RaftBenchReport>): RaftBenchReport => ({ date: '2026-11-29T19:00:00Z', command: 'npm run bench:raft', machine, ...over });

describe('quantile (nearest rank)', () => {
  it('picks the ranked sample, NaN for none', () => {
    const s = [10, 20, 30, 40];
    expect(quantile(s, 0.5)).toBe(20);
    expect(quantile(s, 0.75)).toBe(30);
    expect(quantile(s, 1)).toBe(40);
    expect(quantile(s, 0)).toBe(10);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('failover summary and target', () => {
  it('summarizes median, p90, p99 and worst', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const m = summarize({ timeoutMs: [150, 300], samplesMs: samples, noLeader: 2 });
    expect(m).toMatchObject({ label: '150–300 ms', median: 50, p90: 90, p99: 99, worst: 100, noLeader: 2 });
  });
  it('meets the target only with median ≤ 300, worst ≤ 513 and every crash replaced', () => {
    expect(targetMet(failover([[200, 250, 500]]))).toMatchObject({ median: true, worst: true });
    expect(targetMet(failover([[200, 350, 360]]))).toMatchObject({ median: false, worst: true });
    expect(targetMet(failover([[200, 250, 600]]))).toMatchObject({ median: true, worst: false });
    expect(targetMet(failover([[200, 250, 260]], 1))).toMatchObject({ worst: false });
    const other: FailoverReport = { ...failover([[1]]), runs: [{ timeoutMs: [150, 155], samplesMs: [1], noLeader: 0 }] };
    expect(targetMet(other)).toBeNull();
  });
});

describe('failover chart and part', () => {
  const r = failover([[180, 200, 220], [170, 190, 400]]);
  it('draws one curve per setting, reaching 100% at its last sample', () => {
    const svg = failoverChart(r);
    const paths = [...svg.matchAll(/<path d="([^"]+)"[^>]*data-timeout="([^"]+)"/g)];
    expect(paths.map((p) => p[2])).toEqual(['150–155 ms', '150–300 ms']);
    // The last vertical step of each curve goes to the top of the plot (share 1 = y 28).
    for (const [, d] of paths) expect(d).toMatch(/V28\.0 H/);
    expect(svg).toContain('Timeouts 150–300 ms: median 190 ms');
  });
  it('is one HTML block a Vue template can compile: no blank line inside the SVG, no mustache', () => {
    const part = failoverFragment(report({ failover: r }));
    const svg = part.slice(part.indexOf('<svg'), part.indexOf('</svg>'));
    expect(svg).not.toMatch(/\n\s*\n/);
    expect(part).not.toContain('{{');
    expect(part).toContain('| 150–300 ms | 190 ms |');
    expect(part).toMatch(/target ≤ 300 ms: met/);
  });
  it('says when it was not measured', () => {
    expect(failoverFragment(report({}))).toContain('Not measured yet');
  });
});

describe('throughput table and part', () => {
  const t = (etcd: ThroughputFigures | null): RaftBenchReport =>
    report({
      throughput: {
        settings: { nodes: 3, valueBytes: 256, warmupMs: 1000, windowMs: 5000, timeoutMs: 5000, fsync: 'fsync before every acknowledgement' },
        ours: 'examples/raft/node',
        etcd: etcd === null ? null : 'etcd 3.4.23',
        fsyncP50Ms: 2.5,
        rows: [{ clients: 64, ours: figures(3300, 2), etcd }],
      },
    });
  it('prints the ratio ours ÷ etcd', () => {
    const row = throughputTable(t(figures(3000)).throughput!)[2]!;
    expect(row).toContain('3,300');
    expect(row).toContain('3,000');
    expect(row).toMatch(/1\.10×|1\.1×/);
  });
  it('marks a missing etcd and reports failures', () => {
    const part = throughputFragment(t(null));
    expect(part).toContain('not measured');
    expect(part).toContain('ours at 64 clients: 2 failed (HTTP 503 ×2)');
    expect(part).not.toContain('{{');
  });
});
