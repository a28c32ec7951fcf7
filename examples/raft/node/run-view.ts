// The live view of `npm run example:raft` (run.ts): what every node says about itself (GET /status), drawn as
// plain text. Pure: it turns snapshots into lines, and the runner decides how to print them (redrawn in place
// about twice a second on a terminal; on a pipe, a one-line summary now and then, and a line whenever the
// leader changes).
//
//   node  port  process    state        role       term  leader  commit  applied  last  snap  blocks
//   n1    7401  pid 4242   up           leader        3  n1          12       12    12     0  -
//   n2    7402  pid 4243   partitioned  candidate     7  -           10       10    11     0  n1,n3,n4,n5
//   n3    7403  killed -9  down         -             -  -            -        -     -     -  -
//
// commit: the highest log index this node knows is committed (stored by a majority); applied: how far its key-
// value state machine has got; last: its last log index (entries beyond commit are not safe yet); snap: the
// last index its snapshot covers (the log before it is compacted away).

/** What GET /status returns (raft-contract.md); extra fields are ignored. */
export interface RaftStatus {
  id: string;
  role: 'follower' | 'candidate' | 'leader';
  term: number;
  leaderId: string | null;
  commitIndex: number;
  lastApplied: number;
  lastIndex: number;
  snapshotIndex: number;
  members?: string[];
  blocked?: string[];
}

export interface NodeSnapshot {
  name: string;
  port: number;
  /** What the runner knows of the process: running (with pid), or why not. */
  process: { pid: number } | { stopped: string };
  /** Its answer to GET /status, or why there was none. */
  status: RaftStatus | { error: string };
}

export const hasStatus = (s: NodeSnapshot['status']): s is RaftStatus => !('error' in s);

/** One word for a node: up, partitioned (it blocks someone), down (not running, or no answer). */
export function nodeState(n: NodeSnapshot): 'up' | 'partitioned' | 'down' {
  if (!hasStatus(n.status)) return 'down';
  return (n.status.blocked?.length ?? 0) > 0 ? 'partitioned' : 'up';
}

/**
 * The leader as the cluster sees it: the node that says it leads, in the highest term any leader reports. A
 * leader cut off in an old term may still think it leads (it has not heard of the new term yet); that one is
 * not the leader, and the view marks it "stale" (see renderView).
 */
export function currentLeader(nodes: readonly NodeSnapshot[]): { name: string; term: number } | null {
  let best: { name: string; term: number } | null = null;
  for (const n of nodes) {
    if (!hasStatus(n.status) || n.status.role !== 'leader') continue;
    if (best === null || n.status.term > best.term) best = { name: n.name, term: n.status.term };
  }
  return best;
}

const pad = (s: string | number, w: number) => String(s).padEnd(w);
const padL = (s: string | number, w: number) => String(s).padStart(w);

/**
 * The table, one string per line. `columns` is the terminal's width (process.stdout.columns): a terminal cuts
 * every line at columns - 1 characters (run-screen.ts), so when the full table is wider than that, the view
 * drops the port and the state column (down shows as the role, a cut as the blocks) and shortens the process
 * cell; below that (under 80 columns), one short line per node as in summaryLine. Without `columns` (the
 * scrolling `status` command, which wraps instead of cutting) the full table.
 *
 *   node process     role       term leader commit applied  last  snap  blocks
 *   n1   4242        old leader    2 n1          7       7     8     0  n2,n3,n4,n5
 *   n4   killed -9   down          - -           -       -     -     -  -
 */
export function renderView(nodes: readonly NodeSnapshot[], columns = Number.POSITIVE_INFINITY): string[] {
  const leader = currentLeader(nodes);
  const footer = leader === null ? 'no leader right now (an election is under way, or no majority can talk)' : `leader: ${leader.name} in term ${leader.term}`;
  const fits = (lines: string[]) => lines.every((l) => l.length <= columns - 1);
  const stale = (st: RaftStatus) => st.role === 'leader' && leader !== null && st.term < leader.term;
  const num = (x: number | undefined) => (x === undefined ? '-' : x);
  const wide = [
    `${pad('node', 6)}${pad('port', 7)}${pad('process', 12)}${pad('state', 13)}${pad('role', 14)}${padL('term', 5)}  ${pad('leader', 7)}${padL('commit', 7)}${padL('applied', 9)}${padL('last', 6)}${padL('snap', 6)}  blocks`,
  ];
  for (const n of nodes) {
    const st = hasStatus(n.status) ? n.status : undefined;
    const proc = 'pid' in n.process ? `pid ${n.process.pid}` : n.process.stopped;
    const role = st ? (stale(st) ? 'leader(stale)' : st.role) : '-';
    wide.push(
      `${pad(n.name, 6)}${pad(n.port, 7)}${pad(proc, 12)}${pad(nodeState(n), 13)}${pad(role, 14)}${padL(num(st?.term), 5)}  ${pad(st?.leaderId ?? '-', 7)}${padL(num(st?.commitIndex), 7)}${padL(num(st?.lastApplied), 9)}${padL(num(st?.lastIndex), 6)}${padL(num(st?.snapshotIndex), 6)}  ${st?.blocked?.length ? st.blocked.join(',') : '-'}`,
    );
  }
  if (fits(wide)) return [...wide, footer];
  // 79 characters with four blocked peers and indexes below 100,000.
  const narrow = [`${pad('node', 5)}${pad('process', 12)}${pad('role', 11)}${padL('term', 4)} ${pad('leader', 7)}${padL('commit', 6)}${padL('applied', 8)}${padL('last', 6)}${padL('snap', 6)}  blocks`];
  for (const n of nodes) {
    const st = hasStatus(n.status) ? n.status : undefined;
    const proc = 'pid' in n.process ? String(n.process.pid) : n.process.stopped.replace('SIG', '').slice(0, 11);
    const role = st ? (stale(st) ? 'old leader' : st.role) : 'down';
    narrow.push(
      `${pad(n.name, 5)}${pad(proc, 12)}${pad(role, 11)}${padL(num(st?.term), 4)} ${pad(st?.leaderId ?? '-', 7)}${padL(num(st?.commitIndex), 6)}${padL(num(st?.lastApplied), 8)}${padL(num(st?.lastIndex), 6)}${padL(num(st?.snapshotIndex), 6)}  ${st?.blocked?.length ? st.blocked.join(',') : '-'}`,
    );
  }
  if (fits(narrow)) return [...narrow, footer];
  // Very narrow: role letter and term, commit, applied, last, snapshot; the blocks as "cut off from".
  const letter = { leader: 'L', follower: 'F', candidate: 'C' } as const;
  const short = nodes.map((n) => {
    if (!hasStatus(n.status)) return `${n.name} down`;
    const s = n.status;
    return `${n.name} ${stale(s) ? 'old ' : ''}${letter[s.role] ?? '?'}${s.term} ->${s.leaderId ?? '-'} c${s.commitIndex} a${s.lastApplied} l${s.lastIndex} s${s.snapshotIndex}${s.blocked?.length ? ` x${s.blocked.join(',')}` : ''}`;
  });
  return ['L/F/C term ->leader c=commit a=applied l=last s=snap x=blocks', ...short, footer.replace(' (an election is under way, or no majority can talk)', '')];
}

/** One line for a pipe or a log file: the leader, then each node's role, term, commit and applied index. */
export function summaryLine(nodes: readonly NodeSnapshot[]): string {
  const leader = currentLeader(nodes);
  const letter = { leader: 'L', follower: 'F', candidate: 'C' } as const;
  const each = nodes.map((n) => {
    if (!hasStatus(n.status)) return `${n.name} down`;
    const s = n.status;
    return `${n.name} ${letter[s.role] ?? '?'}${s.term} c${s.commitIndex} a${s.lastApplied}${nodeState(n) === 'partitioned' ? ' partitioned' : ''}`;
  });
  return `${leader ? `leader ${leader.name} (term ${leader.term})` : 'no leader'} | ${each.join(', ')}`;
}
