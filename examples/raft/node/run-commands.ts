// The commands typed at `npm run example:raft`'s prompt: parsed here (pure, tested on its own), and the key
// commands run here against the nodes' HTTP API (raft-http-api: GET/PUT/DELETE /kv/<key>, POST /kv/<key>/cas).
// The process commands (kill, restart) and the network ones (partition, heal) need the runner's processes and
// its record of the cut; run.ts does those.

import { splitWords } from '../../store/node/run-commands.ts';
import type { HttpAnswer } from '../../store/node/run-http.ts';
import type { RaftClient } from './client.ts';

export { splitWords };

export type Command =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'delete'; key: string }
  | { kind: 'cas'; key: string; expected: string | null; value: string }
  | { kind: 'kill' | 'restart'; node: string }
  | { kind: 'partition'; sides: string[][] }
  | { kind: 'heal' }
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'quit' };

const USAGE: Record<string, string> = {
  put: 'put <key> <value>',
  get: 'get <key>',
  delete: 'delete <key>',
  cas: 'cas <key> <expected|-> <value>',
  kill: 'kill <node>',
  restart: 'restart <node>',
  partition: 'partition <nodes…> | <nodes…>',
  heal: 'heal',
  status: 'status',
  help: 'help',
  quit: 'quit',
};
const VERBS = Object.keys(USAGE);

export const HELP = [
  'put <key> <value>                  write a key (sent to the leader; a follower would answer 421 with where it is)',
  'get <key>                          read a key (through the log, so it sees every write acknowledged before it)',
  'delete <key>                       delete a key',
  'cas <key> <expected|-> <value>     compare-and-set: write <value> only if the key holds <expected> (- = absent)',
  'kill <node>                        crash a node (SIGKILL: no goodbye, nothing flushed beyond what it fsynced)',
  'restart <node>                     start a node again on its disk (after kill), or restart a running one',
  'partition n1 n2 | n3 n4 n5         cut the network between the sides (nodes you leave out form one more side)',
  'heal                               mend every cut',
  'status                             the view, once, as text',
  'help                               this list      quit   stop every node and exit (Ctrl-C does the same)',
  'Nodes: n1 n2 n3 n4 n5. Quote a value with spaces: put motto "hello world"',
];

/** The closest known word, for "did you mean": one edit away (a typo), or a prefix. */
function closest(word: string, known: readonly string[]): string | undefined {
  return known.find((k) => k.startsWith(word) && word.length >= 2) ?? known.find((k) => editDistance(k, word) <= 1 + (k.length > 4 ? 1 : 0));
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Parses the words of one typed line; an error says what is wrong and what would be right. */
export function parseCommand(words: readonly string[], nodes: readonly string[]): Command | { error: string } {
  const [verb, ...args] = words;
  if (verb === undefined) return { kind: 'help' };
  const lower = verb.toLowerCase();
  if (!VERBS.includes(lower) && lower !== 'exit') {
    const guess = closest(lower, VERBS);
    return { error: `unknown command "${verb}"${guess ? ` — did you mean ${guess}? (${USAGE[guess]})` : ''}; type help for the list` };
  }
  const usage = (v: string) => ({ error: `usage: ${USAGE[v]}` });
  const node = (v: 'kill' | 'restart'): Command | { error: string } => {
    if (args.length !== 1) return { error: `usage: ${USAGE[v]}   (a node: ${nodes.join(', ')})` };
    const n = args[0]!.toLowerCase();
    if (!nodes.includes(n)) return unknownNode(args[0]!, nodes);
    return { kind: v, node: n };
  };
  switch (lower) {
    case 'put':
      return args.length === 2 ? { kind: 'put', key: args[0]!, value: args[1]! } : usage('put');
    case 'get':
      return args.length === 1 ? { kind: 'get', key: args[0]! } : usage('get');
    case 'delete':
      return args.length === 1 ? { kind: 'delete', key: args[0]! } : usage('delete');
    case 'cas':
      return args.length === 3 ? { kind: 'cas', key: args[0]!, expected: args[1] === '-' ? null : args[1]!, value: args[2]! } : { error: `usage: ${USAGE.cas}   (- for "the key is absent")` };
    case 'kill':
    case 'restart':
      return node(lower);
    case 'partition':
      return parsePartition(args, nodes);
    case 'heal':
    case 'status':
    case 'help':
      return args.length === 0 || lower === 'help' ? { kind: lower } : { error: `${lower} takes no arguments` };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    default:
      return usage(lower);
  }
}

function unknownNode(word: string, nodes: readonly string[]): { error: string } {
  const guess = closest(word.toLowerCase(), nodes);
  return { error: `unknown node "${word}"${guess ? ` — did you mean ${guess}?` : ''} (the nodes are ${nodes.join(', ')})` };
}

/**
 * `partition n1 n2 | n3 n4 n5`, also `n1,n2 | n3,n4,n5`, or without bars `n1,n2 n3,n4,n5` (each word one side).
 * Nodes left out form one more side; at least two sides.
 */
export function parsePartition(args: readonly string[], nodes: readonly string[]): Command | { error: string } {
  const text = args.join(' ');
  const sideTexts = text.includes('|') ? text.split('|') : args;
  const named = sideTexts.map((s) => s.split(/[\s,]+/).filter((n) => n !== '').map((n) => n.toLowerCase()));
  if (named.some((s) => s.length === 0) && text.includes('|')) return { error: `usage: ${USAGE.partition}   (a side between two bars is empty)` };
  const flat = named.flat();
  for (const [i, n] of flat.entries()) if (!nodes.includes(n)) return unknownNode(text.split(/[\s,|]+/).filter((w) => w !== '')[i] ?? n, nodes);
  if (new Set(flat).size !== flat.length) return { error: 'a node can be on one side only' };
  const rest = nodes.filter((n) => !flat.includes(n));
  const sides = (rest.length > 0 ? [...named, rest] : named).filter((s) => s.length > 0);
  if (sides.length < 2) return { error: `usage: ${USAGE.partition}   (at least two sides, e.g. partition n1 n2 | n3 n4 n5)` };
  return { kind: 'partition', sides };
}

/** For each node, the peers it must block so that the sides cannot talk to each other. */
export { blocksFor } from '../../store/node/run-commands.ts';

// #region cut
/**
 * Tells one node the cut: POST /admin/heal, then POST /admin/block with the peers it must drop (none: healed).
 * What it prints is what the NODE answered ({id, blocked}), not what was asked: a node that answers with
 * another id (the wrong port) or a blocked list other than `peers` is a failure, said so. A node that refuses
 * the connection while `starting()` says it is still coming up (a restart a moment ago) is asked again until it
 * listens (up to `waitMs`), so a partition typed right after a restart reaches it too.
 */
export async function tellCut(
  name: string,
  url: string,
  peers: readonly string[],
  post: (url: string, body: unknown) => Promise<HttpAnswer>,
  starting: () => boolean = () => false,
  waitMs = 20_000,
): Promise<{ ok: boolean; line: string }> {
  const deadline = Date.now() + waitMs;
  let last: HttpAnswer | undefined;
  for (const [route, body] of [['/admin/heal', {}], ...(peers.length > 0 ? [['/admin/block', { peers }]] : [])] as [string, unknown][]) {
    for (;;) {
      try {
        last = await post(`${url}${route}`, body);
        break;
      } catch (err) {
        const refused = (err as { kind?: string }).kind === 'refused';
        if (refused && starting() && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        return { ok: false, line: `${name}: POST ${route} failed: ${err instanceof Error ? err.message : String(err)}${refused && starting() ? ` (it did not listen within ${waitMs / 1000} s of its restart)` : ''}` };
      }
    }
    if (last.status >= 300) return { ok: false, line: `${name}: POST ${route} failed: ${last.status} ${JSON.stringify(last.body)}` };
  }
  const b = (last?.body ?? {}) as { id?: unknown; blocked?: unknown };
  const blocked = Array.isArray(b.blocked) ? b.blocked.map(String).sort() : undefined;
  if (b.id !== name) return { ok: false, line: `${name}: failed: ${url} answered as ${JSON.stringify(b.id)}, not ${name} (another program on its port?)` };
  if (blocked === undefined || blocked.join(',') !== [...peers].sort().join(',')) {
    return { ok: false, line: `${name}: failed: it answered 200 but says it blocks ${blocked?.length ? blocked.join(', ') : 'nobody'}, not ${peers.length > 0 ? peers.join(', ') : 'nobody'}` };
  }
  return { ok: true, line: `${name}: ${blocked.length > 0 ? `drops traffic to and from ${blocked.join(', ')}` : 'talks to everyone'}` };
}
// #endregion cut

// #region kv
/**
 * Sends one key command through the runner's RaftClient (client.ts): it starts at the leader it last heard
 * from, follows a 421 to the leader a follower names, and retries while there is no leader (503) or no answer
 * (a node just killed). Every attempt carries the same client id and sequence number, so a retry of a write
 * that did get applied is answered from the leader's record instead of being applied twice. Returns the lines
 * to print.
 */
export async function runKv(cmd: Extract<Command, { kind: 'put' | 'get' | 'delete' | 'cas' }>, client: RaftClient): Promise<{ ok: boolean; lines: string[] }> {
  const result =
    cmd.kind === 'put' ? await client.put(cmd.key, cmd.value) : cmd.kind === 'get' ? await client.get(cmd.key) : cmd.kind === 'delete' ? await client.delete(cmd.key) : await client.cas(cmd.key, cmd.expected, cmd.value);
  const tries = result.attempts > 1 ? `; ${result.attempts} attempts (redirects and retries carry the same client id and seq: applied once)` : '';
  if (!result.ok) {
    return {
      ok: false,
      lines: [
        result.outcome === 'unknown'
          ? `OUTCOME UNKNOWN: ${result.error}. It may have been applied (once, at most); get ${cmd.key} shows what the key holds now.`
          : result.status === 400 || result.status === 413
            ? `refused (${result.status}): ${result.error} — nothing was applied`
            : `not applied: ${result.error} (is a majority of the nodes up and able to talk?)`,
      ],
    };
  }
  return { ok: true, lines: [describe(cmd, result.node, { status: result.status, body: result.body }, tries)] };
}

function describe(cmd: Command, node: string, a: { status: number; body: Record<string, any> }, tries: string): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const b = a.body ?? {};
  const at = typeof b.index === 'number' ? `, log index ${b.index}${tries}` : tries;
  switch (cmd.kind) {
    case 'put':
      return `ok: ${cmd.key} = ${JSON.stringify(b.value ?? cmd.value)}, committed by leader ${node}${at}`;
    case 'get':
      return a.status === 404 ? `${cmd.key} is absent (leader ${node}${at})` : `${cmd.key} = ${JSON.stringify(b.value)} (leader ${node}${at})`;
    case 'delete':
      return `deleted ${cmd.key}; it held ${b.previous === null || b.previous === undefined ? 'nothing' : JSON.stringify(b.previous)} (leader ${node}${at})`;
    case 'cas':
      return a.status === 200
        ? `swapped: ${cmd.key} = ${JSON.stringify(cmd.value)} (it held ${b.previous === null || b.previous === undefined ? 'nothing' : JSON.stringify(b.previous)}; leader ${node}${at})`
        : `not swapped: ${cmd.key} holds ${b.value === null || b.value === undefined ? 'nothing' : JSON.stringify(b.value)}, not ${cmd.expected === null ? 'absent as expected' : `${JSON.stringify(cmd.expected)} as expected`} (leader ${node}${at})`;
    default:
      return `${a.status} from ${node}: ${JSON.stringify(b)}`;
  }
}
// #endregion kv
