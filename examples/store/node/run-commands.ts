// The commands a learner gives the running store, in one place: typed at the runner's prompt
// (`put k v eventual`, `kill n3`, `partition n1,n2 | n3,n4,n5`) or from a second terminal
// (`npm run store -- put k v --consistency eventual --node n2`; cli.ts). Both go through parseCommand, and
// both run the key and partition commands the same way (runCommand), straight against the nodes' HTTP API.
// Only kill/stop/restart need the process that started the nodes: the CLI asks the runner for those.

import { http, NoAnswer, type HttpAnswer } from './run-http.ts';

export type Consistency = 'strong' | 'eventual';

export type Command =
  | { kind: 'put'; key: string; value: string; consistency: Consistency; node?: string; context?: Record<string, number> }
  | { kind: 'get'; key: string; consistency: Consistency; node?: string }
  | { kind: 'delete'; key: string; consistency: Consistency; node?: string; context?: Record<string, number> }
  | { kind: 'cas'; key: string; expected: string | null; value: string; node?: string }
  | { kind: 'partition'; sides: string[][] }
  | { kind: 'heal' }
  | { kind: 'block'; node: string; peers: string[] }
  | { kind: 'kill' | 'stop' | 'restart'; node: string }
  | { kind: 'status' }
  | { kind: 'help' };

/** Commands that need the runner (it owns the processes). */
export const PROCESS_COMMANDS = ['kill', 'stop', 'restart'] as const;
const KNOWN_VERBS = ['put', 'get', 'delete', 'cas', 'partition', 'heal', 'block', 'kill', 'stop', 'restart', 'status', 'help'];

export const HELP = [
  'put <key> <value> [strong|eventual] [--node nX] [--context JSON]   write a key (default strong)',
  'get <key> [strong|eventual] [--node nX]                             read a key',
  'delete <key> [strong|eventual] [--node nX] [--context JSON]         delete a key',
  '  (the level as a last word, or as --consistency strong|eventual, e.g. put k v --consistency eventual --node n4)',
  'cas <key> <expected> <value> [--node nX]                            compare-and-set (strong); --absent for "no value yet"',
  'partition n1,n2 | n3,n4,n5                                          cut the network (nodes you leave out form one more side)',
  'heal                                                                remove every cut',
  'block <node> <peer,peer>                                            one node drops traffic to/from those peers (admin API)',
  'kill <node>      stop <node>      restart <node>                    crash (SIGKILL), stop (SIGTERM), start again',
  'status                                                              leaders and terms of every replica set',
];

/** The options each command takes; any other --option is an error (a typo must not be ignored). */
const OPTIONS: Record<string, readonly string[]> = {
  put: ['consistency', 'node', 'context'],
  get: ['consistency', 'node'],
  delete: ['consistency', 'node', 'context'],
  cas: ['node', 'absent'],
};
const OPTION_TEXT: Record<string, string> = {
  consistency: '--consistency strong|eventual',
  node: '--node nX',
  context: '--context JSON',
  absent: '--absent',
};

/** Parses words like ['put', 'k', 'v', '--consistency', 'eventual', '--node', 'n2']; returns an error text when wrong. */
export function parseCommand(words: readonly string[], nodes: readonly string[]): Command | { error: string } {
  const flags: Record<string, string> = {};
  const given: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--absent') {
      flags.absent = 'yes';
      given.push('absent');
    } else if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      const name = eq === -1 ? w.slice(2) : w.slice(2, eq);
      if (!Object.hasOwn(OPTION_TEXT, name) || name === 'absent') {
        given.push(name);
        continue; // reported below, once the command (and so its options) is known
      }
      const value = eq === -1 ? words[++i] : w.slice(eq + 1);
      if (value === undefined) return { error: `--${name} needs a value` };
      if (Object.hasOwn(flags, name)) return { error: `--${name} is given twice` };
      flags[name] = value;
      given.push(name);
    } else positional.push(w);
  }
  const [verb, ...args] = positional;
  if (given.includes('help') || words[0] === '-h') return { kind: 'help' };
  const known = verb !== undefined && KNOWN_VERBS.includes(verb);
  const allowed = known ? (OPTIONS[verb] ?? []) : Object.keys(OPTION_TEXT);
  const wrong = given.find((name) => !allowed.includes(name));
  if (wrong !== undefined) {
    const takes = !known ? `the options are ${allowed.map((o) => OPTION_TEXT[o]).join(', ')}` : allowed.length > 0 ? `${verb} takes ${allowed.map((o) => OPTION_TEXT[o]).join(', ')}` : `${verb} takes no options`;
    return { error: `unknown option --${wrong}${known && Object.hasOwn(OPTION_TEXT, wrong) ? ` for ${verb}` : ''}; ${takes}` };
  }
  const node = flags.node;
  if (node !== undefined && !nodes.includes(node)) return { error: `unknown node "${node}" (the nodes are ${nodes.join(', ')})` };
  const checkNode = (n: string | undefined, what: string): string | { error: string } =>
    n === undefined ? { error: `${what} needs a node name (${nodes.join(', ')})` } : nodes.includes(n) ? n : { error: `unknown node "${n}" (the nodes are ${nodes.join(', ')})` };

  // The consistency level: --consistency X, or a last word "strong"/"eventual".
  let consistency: string = flags.consistency ?? 'strong';
  const last = args[args.length - 1];
  const takesLevel = verb === 'put' ? 3 : 2; // put k v [level]; get/delete k [level]
  if ((verb === 'put' || verb === 'get' || verb === 'delete') && args.length === takesLevel && (last === 'strong' || last === 'eventual')) {
    if (flags.consistency !== undefined && flags.consistency !== last) return { error: `two levels given: "${last}" and --consistency ${flags.consistency}; give one` };
    consistency = last;
    args.pop();
  }
  if (consistency !== 'strong' && consistency !== 'eventual') return { error: `consistency must be strong or eventual, got "${consistency}"` };
  let context: Record<string, number> | undefined;
  if (flags.context !== undefined) {
    try {
      context = JSON.parse(flags.context) as Record<string, number>;
    } catch {
      return { error: `--context must be JSON, e.g. --context '{"n1":2}'` };
    }
  }

  switch (verb) {
    case 'put':
      if (args.length !== 2) return { error: 'usage: put <key> <value> [strong|eventual] [--node nX]' };
      return { kind: 'put', key: args[0]!, value: args[1]!, consistency, node, context };
    case 'get':
      if (args.length !== 1) return { error: 'usage: get <key> [strong|eventual] [--node nX]' };
      return { kind: 'get', key: args[0]!, consistency, node };
    case 'delete':
      if (args.length !== 1) return { error: 'usage: delete <key> [strong|eventual] [--node nX]' };
      return { kind: 'delete', key: args[0]!, consistency, node, context };
    case 'cas':
      if (flags.absent === 'yes' && args.length === 2) return { kind: 'cas', key: args[0]!, expected: null, value: args[1]!, node };
      if (args.length !== 3) return { error: 'usage: cas <key> <expected> <value>   or   cas <key> --absent <value>' };
      return { kind: 'cas', key: args[0]!, expected: args[1]!, value: args[2]!, node };
    case 'partition': {
      const named = args.join(' ').split(/[\s|]+/).filter((s) => s !== '').map((side) => side.split(',').filter((n) => n !== ''));
      for (const n of named.flat()) if (!nodes.includes(n)) return { error: `unknown node "${n}" (the nodes are ${nodes.join(', ')})` };
      if (new Set(named.flat()).size !== named.flat().length) return { error: 'a node can be on one side only' };
      const rest = nodes.filter((n) => !named.flat().includes(n));
      const sides = rest.length > 0 ? [...named, rest] : named;
      if (named.length === 0 || sides.length < 2) return { error: 'usage: partition n1,n2 | n3,n4,n5   (at least two sides)' };
      return { kind: 'partition', sides };
    }
    case 'heal':
      return { kind: 'heal' };
    case 'block': {
      const who = checkNode(args[0], 'block');
      if (typeof who !== 'string') return who;
      const peers = (args[1] ?? '').split(',').filter((p) => p !== '');
      for (const p of peers) if (!nodes.includes(p)) return { error: `unknown node "${p}"` };
      return { kind: 'block', node: who, peers };
    }
    case 'kill':
    case 'stop':
    case 'restart': {
      const who = checkNode(args[0], verb);
      return typeof who === 'string' ? { kind: verb, node: who } : who;
    }
    case 'status':
      return { kind: 'status' };
    case 'help':
    case undefined:
      return { kind: 'help' };
    default:
      return { error: `unknown command "${verb}"` };
  }
}

/** Splits a typed line into words, keeping "quoted words" together. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return words;
}

/** For each node, the peers it must block so that the sides cannot talk to each other. */
export function blocksFor(sides: readonly string[][]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const side of sides) for (const n of side) out[n] = sides.filter((s) => s !== side).flat().sort();
  return out;
}

export interface Target {
  /** node name -> base URL, e.g. n1 -> http://127.0.0.1:7101 */
  urls: Record<string, string>;
}

const kvPath = (key: string) => `/kv/${encodeURIComponent(key)}`;

/**
 * Runs a key or network command against the nodes and returns the lines to print. A key command goes to
 * --node, or to the first node that accepts a connection (n1, then n2, ...); the node forwards it to the
 * key's leader or replica itself.
 */
export async function runCommand(cmd: Command, target: Target): Promise<{ ok: boolean; lines: string[] }> {
  const names = Object.keys(target.urls);
  switch (cmd.kind) {
    case 'put':
    case 'get':
    case 'delete':
    case 'cas': {
      const order = cmd.node ? [cmd.node] : names;
      const { method, path, body } =
        cmd.kind === 'put'
          ? { method: 'PUT', path: `${kvPath(cmd.key)}?consistency=${cmd.consistency}`, body: { value: cmd.value, ...(cmd.context ? { context: cmd.context } : {}) } }
          : cmd.kind === 'get'
            ? { method: 'GET', path: `${kvPath(cmd.key)}?consistency=${cmd.consistency}`, body: undefined }
            : cmd.kind === 'delete'
              ? { method: 'DELETE', path: `${kvPath(cmd.key)}?consistency=${cmd.consistency}`, body: cmd.context ? { context: cmd.context } : undefined }
              : { method: 'POST', path: `${kvPath(cmd.key)}/cas`, body: { expected: cmd.expected, value: cmd.value } };
      const lines: string[] = [];
      for (const name of order) {
        try {
          const answer = await http(method, target.urls[name]! + path, body, 10_000);
          return { ok: answer.status < 300 || (answer.status === 404 && cmd.kind === 'get'), lines: [...lines, describeAnswer(name, cmd, answer)] };
        } catch (err) {
          if (err instanceof NoAnswer && err.kind === 'refused' && !cmd.node) {
            lines.push(`${name} is not answering (connection refused); trying the next node`);
            continue;
          }
          return { ok: false, lines: [...lines, `${name}: ${err instanceof Error ? err.message : String(err)}`] };
        }
      }
      return { ok: false, lines: [...lines, 'no node accepted the connection: is the store running? (npm run example:store)'] };
    }
    case 'partition':
    case 'heal':
    case 'block': {
      const blocks: Record<string, string[]> =
        cmd.kind === 'partition' ? blocksFor(cmd.sides) : cmd.kind === 'heal' ? Object.fromEntries(names.map((n) => [n, []])) : { [cmd.node]: cmd.peers };
      const lines: string[] = [];
      let ok = true;
      await Promise.all(
        Object.entries(blocks).map(async ([name, peers]) => {
          const result = await setBlocks(target.urls[name]!, peers, names.filter((n) => n !== name && !peers.includes(n)));
          if (!result.ok) ok = false;
          lines.push(`${name}: ${result.ok ? (peers.length > 0 ? `drops traffic to and from ${peers.join(', ')}` : 'talks to everyone') : result.error}`);
        }),
      );
      lines.sort();
      if (cmd.kind === 'partition') lines.unshift(`partition: ${cmd.sides.map((s) => s.join(',')).join(' | ')}`);
      return { ok, lines };
    }
    case 'help':
      return { ok: true, lines: HELP };
    default:
      return { ok: false, lines: [`"${cmd.kind}" is not a node command`] };
  }
}

/**
 * Makes one node block exactly `peers`: POST /admin/block {peers}, then POST /admin/heal for the `others` it
 * may still block from an earlier cut (with no peers to block, one POST /admin/heal for everyone). An error
 * names the request that failed.
 */
export async function setBlocks(url: string, peers: readonly string[], others: readonly string[]): Promise<{ ok: true } | { ok: false; error: string }> {
  const calls: [string, unknown][] = peers.length > 0 ? [['/admin/block', { peers }], ...(others.length > 0 ? [['/admin/heal', { peers: others }] as [string, unknown]] : [])] : [['/admin/heal', {}]];
  for (const [route, body] of calls) {
    try {
      const answer = await http('POST', `${url}${route}`, body, 3_000);
      if (answer.status >= 300) return { ok: false, error: `POST ${route} answered ${answer.status} ${JSON.stringify(answer.body)}` };
    } catch (err) {
      const why = err instanceof NoAnswer ? err.message : err instanceof Error ? err.message : String(err);
      const down = err instanceof NoAnswer && err.kind === 'refused' ? ' (a node that is down cannot be told; when the runner restarts it, it tells it the current cut)' : '';
      return { ok: false, error: `POST ${route} failed: ${why}${down}` };
    }
  }
  return { ok: true };
}

/** "200 from n2 (replica set n1+n2+n4, leader n1, term 3): values [\"v\"], context {...}" */
export function describeAnswer(node: string, cmd: Command, answer: HttpAnswer): string {
  const b = answer.body ?? {};
  const where = b.group ? ` (replica set ${b.group}, leader ${b.leader ?? 'none'}, term ${b.term ?? '?'})` : '';
  const head = `${answer.status} from ${node}${where}`;
  if (answer.status === 200 && cmd.kind === 'get') {
    const values: string[] = b.values ?? [];
    const siblings = values.length > 1 ? ` — ${values.length} concurrent versions (siblings); write with --context '${JSON.stringify(b.context)}' to replace them` : '';
    return `${head}: ${JSON.stringify(values)}${siblings}; context ${JSON.stringify(b.context ?? {})}`;
  }
  if (answer.status === 200) return `${head}: ok; context ${JSON.stringify(b.context ?? {})}`;
  if (answer.status === 404) return `${head}: not found`;
  if (answer.status === 409) return `${head}: not swapped, the key holds ${JSON.stringify(b.values ?? [])}`;
  if (answer.status === 503) return `${head}: REFUSED (${b.reason ?? 'unavailable'}): ${b.error ?? ''} — nothing was written`;
  if (answer.status === 504) return `${head}: OUTCOME UNKNOWN: ${b.error ?? ''}`;
  return `${head}: ${JSON.stringify(b)}`;
}
