// Where the broker's time goes: a summary of the V8 CPU profile that `node --cpu-prof` writes at exit
// (a .cpuprofile file; open it in Chrome DevTools > Performance for the full picture).
// Self time per function (the time spent in the function itself, not in what it calls), and per area.

import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number; // microseconds
  endTime: number;
  samples?: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  share: number; // of the busy time (all samples but idle), 0..1
}

export interface ProfileSummary {
  file: string;
  totalMs: number; // the process's life while profiled
  idleMs: number; // waiting in the event loop: for the network, for an fsync, for nothing
  top: ProfileLine[];
  areas: ProfileLine[];
}

export function summariseProfile(file: string, topN = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const totalHits = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const msPerHit = totalHits === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / totalHits;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let idleHits = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleHits += hits;
      continue;
    }
    const { functionName, url, lineNumber } = node.callFrame;
    // tsx compiles our .ts files, so their line numbers are not the source's: name the file only.
    const where = url === '' ? '' : url.includes('/examples/') ? ` ${shortUrl(url)}` : ` ${shortUrl(url)}:${lineNumber + 1}`;
    const name = `${functionName || '(anonymous)'}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byArea.set(area(functionName, url), (byArea.get(area(functionName, url)) ?? 0) + hits);
  }
  const lines = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, ms: hits * msPerHit, share: hits / Math.max(1, totalHits - idleHits) }));
  return { file, totalMs: totalHits * msPerHit, idleMs: idleHits * msPerHit, top: lines(byFunction, topN), areas: lines(byArea, 12) };
}

/**
 * The profile of the broker's main thread. Node writes one file per thread (CPU.<date>.<time>.<pid>.<thread>.<n>
 * .cpuprofile); with tsx there is also the module loader's thread, idle nearly all the time. We take the
 * file with the most time that is not idle.
 */
export function busiestProfile(dir: string): ProfileSummary | null {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  const busy = (s: ProfileSummary) => s.totalMs - s.idleMs;
  return files
    .map((f) => summariseProfile(path.join(dir, f)))
    .reduce<ProfileSummary | null>((a, b) => (a === null || busy(b) > busy(a) ? b : a), null);
}

/** Coarse buckets that answer "is it our code, JSON, HTTP, the file system, or idle?". */
function area(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'V8/native, not attributed (program)';
  if (url.includes('/examples/queue/core/')) return 'queue core (examples/queue/core)';
  if (url.includes('/examples/queue/node/')) return 'broker adapter (examples/queue/node)';
  if (url.includes('node_modules/tsx') || url.includes('node_modules/esbuild')) return 'tsx loader';
  if (/node:internal\/(http|_http)|node:_http|node:http/.test(url)) return 'node http';
  if (/node:internal\/(net|stream|streams)|node:net|node:stream/.test(url)) return 'node net/streams';
  if (/node:internal\/fs|node:fs/.test(url)) return 'node fs';
  if (url.startsWith('node:')) return 'other node internals';
  if (url === '') return `native: ${functionName}`;
  return 'other';
}

function shortUrl(url: string): string {
  const i = url.indexOf('/examples/');
  if (i !== -1) return url.slice(i + 1);
  return url.replace(/^file:\/\/.*\/node_modules\//, '');
}
