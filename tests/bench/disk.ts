// How long an fsync takes on the disk the servers write to, measured in the same run.
//
// Both servers answer only after an fsync, so this one figure explains most of the others: beanstalkd
// -f 0 does one fsync per put and per delete, one after the other (no batching), so its jobs/s is close
// to 1 / (2 × fsync time) however many clients there are; our broker's group commit covers every record
// that arrived during the previous fsync with the next one, so it gains from more clients. On a shared
// machine this figure moves a lot from minute to minute: it is printed beside the results.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentiles, type Percentiles } from './load.ts';

/** Appends a 100-byte line and fsyncs it, `count` times, in a temp file; returns p50/p99 in ms. */
export function fsyncLatency(count = 200, dir = os.tmpdir()): Percentiles {
  const file = path.join(fs.mkdtempSync(path.join(dir, 'bench-fsync-')), 'probe.log');
  const line = Buffer.from(`${'x'.repeat(99)}\n`);
  const fd = fs.openSync(file, 'a');
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      fs.writeSync(fd, line);
      fs.fsyncSync(fd);
      samples.push(performance.now() - start);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  return percentiles(samples);
}
