// What happens to the simulated store cluster, and how it is written down.
//
// A run is fixed by two things: the seed and the script. The seed decides every chance (message delays,
// losses, which key a workload client picks); the script lists what is done to the cluster at simulated times
// (crash a node, cut a partition, send a request). The script has a short text form, so a run fits in a URL
// (`?example=cluster&seed=7&script=...`) and on a command line (`npm run sim:store -- --seed 7 --script "..."`).
//
// Pure: no node: imports, no clock, no randomness, so it runs in Node and in the browser alike.

import type { Consistency } from '../core/types.ts';

// #region actions
export type OpName = 'get' | 'put' | 'delete' | 'cas';

/** A client request the script (or the learner) sends to one node. Values and keys: see NAME below. */
export interface RequestSpec {
  node: string; // the node the client talks to; a `forward` answer sends it on (at most 2 hops)
  op: OpName;
  key: string;
  consistency: Consistency; // cas is always strong
  value?: string; // put, cas
  expected?: string | null; // cas: null = the key must be absent
}

/** Something done to the cluster at a simulated time in whole ms. */
export type Action =
  | { at: number; do: 'crash' | 'restart'; node: string }
  /** Cut every link between a node of `a` and a node of `b` (b empty: everyone not in a). */
  | { at: number; do: 'partition'; a: string[]; b: string[] }
  /** Restore every link. */
  | { at: number; do: 'heal' }
  /** Network settings from now on: loss and duplication in percent, one-way delay range in ms. */
  | { at: number; do: 'network'; loss: number; dup: number; delay: [number, number] }
  /** Start `count` workload clients doing `mode` requests on `keys` until `until` (ms). */
  | { at: number; do: 'clients'; count: number; mode: Consistency; keys: string[]; until: number }
  | ({ at: number; do: 'request' } & RequestSpec);
// #endregion actions

/** Node names, keys and values in a script: letters, digits, '_' and '-' (the text form uses : , . / as separators). */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

// #region script-text
/**
 * "1500:crash:n2,4000:restart:n2,3000:partition:n1.n2/n3.n4.n5,9000:heal,0:network:10:2:5-80,
 *  0:clients:4:strong:k1.k2:20000,2000:put:n1:strong:k1:blue,2500:get:n4:eventual:k1,2600:delete:n3:strong:k1,
 *  2700:cas:n2:k1:-:red" (cas: expected then value; "-" = absent).
 */
export function encodeScript(script: readonly Action[]): string {
  return script.map(encodeAction).join(',');
}

function encodeAction(a: Action): string {
  switch (a.do) {
    case 'crash':
    case 'restart':
      return `${a.at}:${a.do}:${a.node}`;
    case 'partition':
      return `${a.at}:partition:${a.a.join('.')}${a.b.length > 0 ? `/${a.b.join('.')}` : ''}`;
    case 'heal':
      return `${a.at}:heal`;
    case 'network':
      return `${a.at}:network:${a.loss}:${a.dup}:${a.delay[0]}-${a.delay[1]}`;
    case 'clients':
      return `${a.at}:clients:${a.count}:${a.mode}:${a.keys.join('.')}:${a.until}`;
    case 'request':
      if (a.op === 'cas') return `${a.at}:cas:${a.node}:${a.key}:${a.expected ?? '-'}:${a.value}`;
      return `${a.at}:${a.op}:${a.node}:${a.consistency}:${a.key}${a.op === 'put' ? `:${a.value}` : ''}`;
  }
}

const EXAMPLE = '(e.g. "1500:crash:n2", "3000:partition:n1.n2/n3.n4.n5", "9000:heal", "2000:put:n1:strong:k1:blue")';
const KNOWN = 'crash, restart, partition, heal, network, clients, get, put, delete, cas';

/** The inverse of encodeScript. Throws an Error that names the bad item and says what was expected. */
export function parseScript(text: string): Action[] {
  if (text.trim() === '') return [];
  return text.split(',').map((raw, i) => parseAction(raw.trim(), i + 1));
}

function parseAction(item: string, n: number): Action {
  const bad = (why: string): Error => new Error(`script item ${n} "${item}" ${why}`);
  const [atText, name, ...args] = item.split(':');
  if (atText === undefined || !/^\d+$/.test(atText) || !Number.isSafeInteger(Number(atText))) {
    throw bad(`must start with a time in whole milliseconds ${EXAMPLE}`);
  }
  const at = Number(atText);
  const arity = (count: number, form: string): void => {
    if (args.length !== count) throw bad(`needs the form "${at}:${name}${form}"`);
  };
  const nameOf = (text: string | undefined, what: string): string => {
    if (text === undefined || !NAME.test(text)) throw bad(`has a bad ${what} "${text ?? ''}" (letters, digits, _ and -; at most 32)`);
    return text;
  };
  const names = (text: string | undefined, what: string): string[] => (text ?? '').split('.').map((t) => nameOf(t, what));
  const whole = (text: string | undefined, what: string, max = Number.MAX_SAFE_INTEGER): number => {
    if (text === undefined || !/^\d+$/.test(text) || Number(text) > max) throw bad(`needs ${what}, a whole number${max < Number.MAX_SAFE_INTEGER ? ` from 0 to ${max}` : ''}`);
    return Number(text);
  };
  const consistency = (text: string | undefined): Consistency => {
    if (text !== 'strong' && text !== 'eventual') throw bad(`needs a consistency, strong or eventual, not "${text ?? ''}"`);
    return text;
  };
  switch (name) {
    case 'crash':
    case 'restart':
      arity(1, ':NODE');
      return { at, do: name, node: nameOf(args[0], 'node name') };
    case 'heal':
      arity(0, '');
      return { at, do: 'heal' };
    case 'partition': {
      arity(1, ':n1.n2/n3.n4.n5 (or :n1 for n1 against the rest)');
      const [left, right, ...more] = args[0]!.split('/');
      if (more.length > 0) throw bad('has more than two sides');
      const a = names(left, 'node name');
      const b = right === undefined ? [] : names(right, 'node name');
      if (a.some((x) => b.includes(x))) throw bad('puts a node on both sides');
      return { at, do: 'partition', a, b };
    }
    case 'network': {
      arity(3, ':LOSS%:DUP%:MIN-MAX (e.g. 0:network:10:2:5-80)');
      const range = /^(\d+)-(\d+)$/.exec(args[2]!);
      if (!range || Number(range[1]) > Number(range[2]) || Number(range[2]) > 10_000) throw bad('needs a delay range MIN-MAX in ms, MIN <= MAX <= 10000');
      return { at, do: 'network', loss: whole(args[0], 'a loss in percent', 100), dup: whole(args[1], 'a duplication in percent', 100), delay: [Number(range[1]), Number(range[2])] };
    }
    case 'clients': {
      arity(4, ':COUNT:strong|eventual:KEY.KEY:UNTIL');
      const count = whole(args[0], 'a number of clients', 50);
      if (count < 1) throw bad('needs at least one client');
      return { at, do: 'clients', count, mode: consistency(args[1]), keys: names(args[2], 'key'), until: whole(args[3], 'an end time in ms') };
    }
    case 'get':
    case 'delete':
      arity(3, ':NODE:strong|eventual:KEY');
      return { at, do: 'request', op: name, node: nameOf(args[0], 'node name'), consistency: consistency(args[1]), key: nameOf(args[2], 'key') };
    case 'put':
      arity(4, ':NODE:strong|eventual:KEY:VALUE');
      return { at, do: 'request', op: 'put', node: nameOf(args[0], 'node name'), consistency: consistency(args[1]), key: nameOf(args[2], 'key'), value: nameOf(args[3], 'value') };
    case 'cas':
      arity(4, ':NODE:KEY:EXPECTED:VALUE (EXPECTED "-" = absent)');
      return {
        at,
        do: 'request',
        op: 'cas',
        node: nameOf(args[0], 'node name'),
        consistency: 'strong',
        key: nameOf(args[1], 'key'),
        expected: args[2] === '-' ? null : nameOf(args[2], 'expected value'),
        value: nameOf(args[3], 'value'),
      };
    default:
      throw bad(`has an unknown action "${name ?? ''}" (known: ${KNOWN})`);
  }
}
// #endregion script-text

/**
 * The page link that replays a run, `path?example=cluster&seed=N&script=…`. Colons, commas, dots and slashes
 * stay readable; everything else is escaped.
 */
export function linkToRun(path: string, run: { seed: number; script: readonly Action[] }, example = 'cluster'): string {
  let href = `${path}?example=${example}&seed=${run.seed}`;
  if (run.script.length > 0) {
    href += `&script=${encodeURIComponent(encodeScript(run.script)).replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%2F/g, '/')}`;
  }
  return href;
}
