// What happens to the simulated chat, and how it is written down.
//
// A run is fixed by the seed, the mode (with or without the sequencer) and the script. The seed decides every
// chance (delays, lost frames, what the clients say and when); the script lists what is done at simulated
// times (a client sends a message, a link is cut, delayed or made lossy, a server is killed or restarted). The
// script has a short text form, so a run fits in a URL (`?example=chat&seed=7&script=...`) and on a command
// line (`npm run sim:chat -- --seed 7 --script "..."`).
//
// Pure: no node: imports, no clock, no randomness, so it runs in Node and in the browser alike.

import { CLIENTS, LINKS, ROOMS, SERVERS, type LinkName, type ServerName } from './types.ts';

// #region actions
export type Action =
  | { at: number; do: 'send'; client: string; room: string; text: string }
  | { at: number; do: 'cut' | 'heal'; link: LinkName }
  /** One-way delay range of a link from now on, in ms. */
  | { at: number; do: 'delay'; link: LinkName; delay: [number, number] }
  /** Percent of a link's frames lost from now on (each loss breaks the connection it was on). */
  | { at: number; do: 'drop'; link: LinkName; drop: number }
  | { at: number; do: 'kill' | 'restart'; server: ServerName };
// #endregion actions

/** The longest text a script (and so a link) carries. */
export const MAX_TEXT = 200;

// #region script-text
/** "1500:send:c1:lobby:hi%20all,2000:cut:c1,3000:heal:c1,0:delay:s1-s2:500-900,0:drop:c2:20,4000:kill:s1" */
export function encodeScript(script: readonly Action[]): string {
  return script.map(encodeAction).join(',');
}

function encodeAction(a: Action): string {
  switch (a.do) {
    case 'send':
      return `${a.at}:send:${a.client}:${a.room}:${encodeURIComponent(a.text)}`;
    case 'cut':
    case 'heal':
      return `${a.at}:${a.do}:${a.link}`;
    case 'delay':
      return `${a.at}:delay:${a.link}:${a.delay[0]}-${a.delay[1]}`;
    case 'drop':
      return `${a.at}:drop:${a.link}:${a.drop}`;
    case 'kill':
    case 'restart':
      return `${a.at}:${a.do}:${a.server}`;
  }
}

const KNOWN = 'send, cut, heal, delay, drop, kill, restart';

/** The inverse of encodeScript. Throws an Error that names the bad item and says what was expected. */
export function parseScript(text: string): Action[] {
  if (text.trim() === '') return [];
  return text.split(',').map((raw, i) => parseAction(raw.trim(), i + 1));
}

function parseAction(item: string, n: number): Action {
  const bad = (why: string): Error => new Error(`script item ${n} "${item}" ${why}`);
  const [atText, name, ...args] = item.split(':');
  if (atText === undefined || !/^\d+$/.test(atText) || !Number.isSafeInteger(Number(atText))) {
    throw bad('must start with a time in whole milliseconds (e.g. "2000:kill:s1", "1500:send:c1:lobby:hello")');
  }
  const at = Number(atText);
  const arity = (count: number, form: string): void => {
    if (args.length !== count) throw bad(`needs the form "${at}:${name}${form}"`);
  };
  const link = (text: string | undefined): LinkName => {
    if (!(LINKS as readonly string[]).includes(text ?? '')) throw bad(`names no link "${text ?? ''}" (links: ${LINKS.join(', ')})`);
    return text as LinkName;
  };
  const server = (text: string | undefined): ServerName => {
    if (!(SERVERS as readonly string[]).includes(text ?? '')) throw bad(`names no server "${text ?? ''}" (servers: ${SERVERS.join(', ')})`);
    return text as ServerName;
  };
  switch (name) {
    case 'send': {
      arity(3, ':CLIENT:ROOM:TEXT');
      const client = CLIENTS.find((c) => c.id === args[0]);
      if (client === undefined) throw bad(`names no client "${args[0]}" (clients: ${CLIENTS.map((c) => c.id).join(', ')})`);
      if (!(client.rooms as readonly string[]).includes(args[1]!)) throw bad(`: ${client.id} is not in room "${args[1]}" (it is in ${client.rooms.join(', ')})`);
      let text: string;
      try {
        text = decodeURIComponent(args[2]!);
      } catch {
        throw bad('has text that is not percent-encoded correctly');
      }
      if (text.trim() === '' || text.length > MAX_TEXT) throw bad(`needs a text of 1 to ${MAX_TEXT} characters`);
      return { at, do: 'send', client: client.id, room: args[1]!, text };
    }
    case 'cut':
    case 'heal':
      arity(1, ':LINK');
      return { at, do: name, link: link(args[0]) };
    case 'delay': {
      arity(2, ':LINK:MIN-MAX (e.g. 0:delay:s1-s2:500-900)');
      const range = /^(\d+)-(\d+)$/.exec(args[1]!);
      if (!range || Number(range[1]) > Number(range[2]) || Number(range[2]) > 10_000) throw bad('needs a delay range MIN-MAX in ms, MIN <= MAX <= 10000');
      return { at, do: 'delay', link: link(args[0]), delay: [Number(range[1]), Number(range[2])] };
    }
    case 'drop': {
      arity(2, ':LINK:PERCENT (e.g. 0:drop:c2:20)');
      if (!/^\d+$/.test(args[1]!) || Number(args[1]) > 100) throw bad('needs a percent, a whole number from 0 to 100');
      return { at, do: 'drop', link: link(args[0]), drop: Number(args[1]) };
    }
    case 'kill':
    case 'restart':
      arity(1, ':SERVER');
      return { at, do: name, server: server(args[0]) };
    default:
      throw bad(`has an unknown action "${name ?? ''}" (known: ${KNOWN})`);
  }
}
// #endregion script-text

/** Rooms a script may name (for the browser's checks). */
export const ROOM_NAMES: readonly string[] = ROOMS;

/**
 * The page link that replays a run, `path?example=chat&seed=N[&sequencer=off][&script=…]`. Colons, commas,
 * dots and dashes stay readable; everything else is escaped.
 */
export function linkToRun(path: string, run: { seed: number; sequencer: boolean; script: readonly Action[] }): string {
  let href = `${path}?example=chat&seed=${run.seed}`;
  if (!run.sequencer) href += '&sequencer=off';
  if (run.script.length > 0) href += `&script=${encodeURIComponent(encodeScript(run.script)).replace(/%3A/g, ':').replace(/%2C/g, ',')}`;
  return href;
}
