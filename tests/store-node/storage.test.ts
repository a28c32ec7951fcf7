// The store node's disk (examples/store/node/storage.ts), in-process: group commit, replay through the
// core's `replay`, a torn last line cut off, a corrupt middle line refused, compaction into a snapshot.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Change } from '../../examples/store/core/types.ts';
import { put, empty } from '../../examples/store/core/versions.ts';
import { CorruptDataError, openStorage, segmentFileName, snapshotFileName } from '../../examples/store/node/storage.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';

afterAll(stopAll);

const quiet = { compactBytes: 0, warn: () => {} };
const value = (v: string, counter = 1) => put(empty<string>(), v, {}, 'n1', counter);
const storeChange = (key: string, v: string): Change => ({ kind: 'store', key, stored: value(v) });

async function fresh(changes: Change[][], compactBytes = 0): Promise<string> {
  const dir = makeTempDir('store-storage-');
  const { log } = await openStorage(dir, { ...quiet, compactBytes });
  await Promise.all(changes.map((c) => log.append(c)));
  await log.close();
  return dir;
}

describe('the change log', () => {
  it('replays what was appended, in order, with the core\'s replay', async () => {
    const dir = await fresh([
      [{ kind: 'term', group: 'g', term: 1, votedFor: 'n2' }, storeChange('a', 'one')],
      [storeChange('a', 'two'), storeChange('b', 'x')],
      [{ kind: 'store', key: 'b', stored: null }, { kind: 'pending', key: 'c', write: { term: 1, seq: 1, value: 'p' } }],
      [{ kind: 'strong', key: 's', value: { term: 1, seq: 2, value: 'strong' } }],
      [],
    ]);
    const { saved, log, summary } = await openStorage(dir, quiet);
    await log.close();
    expect(saved.terms).toEqual({ g: { term: 1, votedFor: 'n2' } });
    expect(saved.store).toEqual({ a: value('two') });
    expect(saved.pending).toEqual({ c: { term: 1, seq: 1, value: 'p' } });
    expect(saved.strong).toEqual({ s: { term: 1, seq: 2, value: 'strong' } });
    expect(summary).toMatch(/^recovered 1 eventual keys, 1 strong keys, 1 pending writes, 1 group terms from 7 logged changes in /);
  });

  it('appends of many steps at once share fsyncs (group commit), and each resolves only once on disk', async () => {
    const dir = makeTempDir('store-storage-');
    const { log } = await openStorage(dir, quiet);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append([storeChange(`k${i}`, 'v')])));
    expect(log.counters.changes).toBe(50);
    expect(log.counters.fsyncs).toBeLessThan(50);
    expect(fs.readFileSync(path.join(dir, segmentFileName(1)), 'utf8').split('\n').length).toBe(51);
    await log.close();
  });

  it('cuts off a torn last line (a crash mid-write), with a warning', async () => {
    const dir = await fresh([[storeChange('a', 'kept')]]);
    const file = path.join(dir, segmentFileName(1));
    fs.appendFileSync(file, '{"kind":"store","key":"b","sto');
    const warnings: string[] = [];
    const { saved, log } = await openStorage(dir, { compactBytes: 0, warn: (l) => warnings.push(l) });
    expect(Object.keys(saved.store)).toEqual(['a']);
    expect(warnings.join('\n')).toMatch(/ends with a torn line \(30 bytes/);
    await log.append([storeChange('c', 'after')]);
    await log.close();
    const again = await openStorage(dir, quiet);
    await again.log.close();
    expect(Object.keys(again.saved.store).sort()).toEqual(['a', 'c']);
  });

  it('refuses to start when a line in the middle is unreadable, rather than lose what follows', async () => {
    const dir = await fresh([[storeChange('a', '1')], [storeChange('b', '2')]]);
    const file = path.join(dir, segmentFileName(1));
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[0] = '{"kind":"store",garbage';
    fs.writeFileSync(file, lines.join('\n'));
    await expect(openStorage(dir, quiet)).rejects.toThrow(CorruptDataError);
    await expect(openStorage(dir, quiet)).rejects.toThrow(/line 1 is unreadable but later lines are fine; the log is corrupt, refusing to start/);
  });

  it('compacts a big log into a snapshot, and recovers the same data from it', async () => {
    const dir = makeTempDir('store-storage-');
    const { log } = await openStorage(dir, { compactBytes: 2_000, warn: () => {} });
    const store: Record<string, ReturnType<typeof value>> = {};
    for (let i = 0; i < 40; i++) {
      const change = storeChange(`k${i % 10}`, `v${i}`);
      store[`k${i % 10}`] = value(`v${i}`);
      const written = log.append([change]);
      if (log.wantsCompaction()) await log.compact({ terms: {}, store: structuredClone(store), strong: {}, pending: {} });
      await written;
    }
    await log.close();
    expect(log.counters.compactions).toBeGreaterThan(0);
    const files = fs.readdirSync(dir).sort();
    expect(files.filter((f) => f.startsWith('snapshot-'))).toHaveLength(1);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    const { saved, log: reopened, summary } = await openStorage(dir, quiet);
    await reopened.close();
    expect(saved.store).toEqual(store);
    expect(summary).toMatch(/from snapshot-\d{6}\.json and \d+ logged changes/);
  });

  it('refuses to start when a segment after the snapshot is missing, and ignores an unfinished snapshot', async () => {
    const dir = await fresh([[storeChange('a', '1')]]);
    fs.writeFileSync(path.join(dir, snapshotFileName(1) + '.tmp'), '{"half');
    const warnings: string[] = [];
    const first = await openStorage(dir, { compactBytes: 0, warn: (l) => warnings.push(l) });
    await first.log.close();
    expect(warnings.join('\n')).toMatch(/removed snapshot-000001\.json\.tmp, an unfinished snapshot/);
    expect(Object.keys(first.saved.store)).toEqual(['a']);
    fs.writeFileSync(path.join(dir, segmentFileName(3)), JSON.stringify(storeChange('z', '3')) + '\n');
    await expect(openStorage(dir, quiet)).rejects.toThrow(/changes-000002\.log is missing \(found changes-000003\.log\)/);
  });
});
