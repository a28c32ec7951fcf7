// The live view of `npm run example:store` (run.ts): what every node says about itself (GET /status), drawn
// as plain text. Pure: it turns snapshots into lines, and the runner decides how to print them (redrawn in
// place on a terminal, a short summary every few seconds otherwise).
//
//   node  port  process      state         ring   keys  leads  blocks
//   n1    7101  pid 4242     up            19.8%    12      2  -
//   n3    7103  killed       down              -     -      -  -
//
//   replica set   leader  term  what each replica says (L leader, F follower, C candidate, x no answer)
//   n1+n2+n3      n1         4  n1 L4  n2 F4  n3 x
//
// "ring" is the share of the hash space the node owns as the first of a key's replicas (the arcs before its
// 128 tokens); each key is also copied to the next two distinct nodes clockwise, so a node holds about three
// times that share of the keys. "keys" is how many keys the node holds a copy of.

import { createRing, type Ring } from '../core/ring.ts';

export interface GroupView {
  id: string;
  replicas: string[];
  role: 'follower' | 'candidate' | 'leader';
  term: number;
  leader: string | null;
  keys?: number;
  ready?: boolean;
}

/** What GET /status returns (store-contract.md); extra fields are ignored. */
export interface StatusView {
  node: string;
  members: string[];
  groups: GroupView[];
  keys: number;
  blocked?: string[];
}

export interface NodeSnapshot {
  name: string;
  port: number;
  /** What the runner knows of the process: running (with pid), or why not. */
  process: { pid: number } | { stopped: string };
  /** Its answer to GET /status, or why there was none. */
  status: StatusView | { error: string };
}

const HASH_SPACE = 2 ** 32;

/** The share of the ring (0..1) each node owns as a key's first replica: the arc ending at each of its tokens. */
export function ringShare(ring: Ring): Record<string, number> {
  const share: Record<string, number> = Object.fromEntries(ring.nodes.map((n) => [n, 0]));
  const tokens = ring.tokens;
  tokens.forEach((t, i) => {
    const prev = i === 0 ? tokens[tokens.length - 1]!.position - HASH_SPACE : tokens[i - 1]!.position;
    share[t.node]! += (t.position - prev) / HASH_SPACE;
  });
  return share;
}

const hasStatus = (s: NodeSnapshot['status']): s is StatusView => !('error' in s);

/** One word for a node: up, partitioned (blocks someone), down (no answer), stopped. */
export function nodeState(n: NodeSnapshot): string {
  if ('stopped' in n.process && !hasStatus(n.status)) return 'down';
  if (!hasStatus(n.status)) return 'no answer';
  return (n.status.blocked?.length ?? 0) > 0 ? 'partitioned' : 'up';
}

const pad = (s: string | number, w: number) => String(s).padEnd(w);
const padL = (s: string | number, w: number) => String(s).padStart(w);
const roleLetter = { leader: 'L', follower: 'F', candidate: 'C' } as const;

export interface GroupRow {
  id: string;
  replicas: string[];
  /** The replica that says it leads in the highest term any replica reports, or null. */
  leader: string | null;
  term: number;
  views: { node: string; view: string }[];
}

/** Every replica set any node reports, with what each of its replicas says about it. */
export function groupRows(nodes: readonly NodeSnapshot[]): GroupRow[] {
  const byId = new Map<string, { replicas: string[]; views: Map<string, GroupView> }>();
  for (const n of nodes) {
    if (!hasStatus(n.status)) continue;
    for (const g of n.status.groups) {
      const entry = byId.get(g.id) ?? { replicas: [...g.replicas].sort(), views: new Map() };
      entry.views.set(n.name, g);
      byId.set(g.id, entry);
    }
  }
  return [...byId.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, { replicas, views }]) => {
      const term = Math.max(0, ...[...views.values()].map((g) => g.term));
      const leaders = [...views.entries()].filter(([, g]) => g.role === 'leader' && g.term === term);
      return {
        id,
        replicas,
        term,
        leader: leaders.length === 1 ? leaders[0]![0] : null,
        views: replicas.map((r) => {
          const g = views.get(r);
          return { node: r, view: g ? `${roleLetter[g.role]}${g.term}` : 'x' };
        }),
      };
    });
}

export interface ViewOptions {
  /** Ring members when no node answers (the topology's names). */
  members: readonly string[];
  vnodes?: number;
  /** Show the per-replica-set table (dropped when the terminal is short). */
  groups?: boolean;
}

/** The whole view, one string per line. */
export function renderView(nodes: readonly NodeSnapshot[], options: ViewOptions): string[] {
  const answered = nodes.map((n) => n.status).filter(hasStatus);
  const members = answered[0]?.members ?? [...options.members];
  const share = ringShare(createRing(members, options.vnodes));
  const lines: string[] = [];
  lines.push(`${pad('node', 6)}${pad('port', 7)}${pad('process', 13)}${pad('state', 13)}${padL('ring', 6)}${padL('keys', 6)}${padL('leads', 7)}  blocks`);
  for (const n of nodes) {
    const st = hasStatus(n.status) ? n.status : undefined;
    const proc = 'pid' in n.process ? `pid ${n.process.pid}` : n.process.stopped;
    const ring = share[n.name] === undefined ? '-' : `${(share[n.name]! * 100).toFixed(1)}%`;
    const leads = st ? st.groups.filter((g) => g.role === 'leader').length : '-';
    const blocked = st?.blocked?.length ? st.blocked.join(',') : '-';
    lines.push(`${pad(n.name, 6)}${pad(n.port, 7)}${pad(proc, 13)}${pad(nodeState(n), 13)}${padL(ring, 6)}${padL(st ? st.keys : '-', 6)}${padL(leads, 7)}  ${blocked}`);
  }
  if (options.groups !== false) {
    const rows = groupRows(nodes);
    lines.push('');
    lines.push(`${pad('replica set', 14)}${pad('leader', 8)}${padL('term', 5)}  what each replica says (L leader, F follower, C candidate, x no answer)`);
    if (rows.length === 0) lines.push('(no node answers yet)');
    for (const r of rows) {
      const views = r.views.map((v) => `${v.node} ${v.view}`.padEnd(8)).join(' ');
      lines.push(`${pad(r.id, 14)}${pad(r.leader ?? 'none', 8)}${padL(r.term, 5)}  ${views}`);
    }
  }
  return lines;
}

/** One line for a log file or a pipe: who is up, and the leader and term of every replica set. */
export function summaryLine(nodes: readonly NodeSnapshot[]): string {
  const states = nodes.map((n) => `${n.name} ${nodeState(n)}${hasStatus(n.status) ? ` (${n.status.keys} ${n.status.keys === 1 ? 'key' : 'keys'})` : ''}`).join(', ');
  const rows = groupRows(nodes);
  const leaders = rows.map((r) => `${r.id}:${r.leader ?? 'none'}/t${r.term}`).join(' ');
  return `${states} | leaders ${leaders || '(none yet)'}`;
}
