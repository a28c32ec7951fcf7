// The browser client's small decisions, kept apart from the DOM so a unit test can check them: which chat
// servers there are, which one to try next, how long to wait before trying, and what to tell the learner about
// the connection. No DOM, no timers, no randomness of its own (the caller passes a random number in).

import { chatTopology } from '../node/topology.ts';

// #region servers
/**
 * A server as the page knows it: its HTTP origin (the page, /health) and its WebSocket URL.
 * Written as "127.0.0.1:7301", "http://127.0.0.1:7301" or "ws://127.0.0.1:7301/ws": all mean the same server.
 * A port alone ("7302" or ":7302") means that port on the host the page came from (`origin`), so a list of
 * ports works whether the learner typed localhost, 127.0.0.1 or the machine's name.
 */
export interface ServerAddress {
  http: string;
  ws: string;
}

export function serverAddress(text: string, origin = ''): ServerAddress | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const port = /^:?(\d{1,5})$/.exec(trimmed);
  if (port !== null) {
    const base = origin === '' ? null : serverAddress(origin);
    if (base === null || Number(port[1]) > 65535) return null;
    const url = new URL(base.http);
    return serverAddress(`${url.protocol}//${url.hostname}:${port[1]}`);
  }
  const withScheme = /^[a-z]+:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return null;
  return { http: `${secure ? 'https' : 'http'}://${url.host}`, ws: `${secure ? 'wss' : 'ws'}://${url.host}/ws` };
}

/**
 * Every server the page may use, the one that served it first. `listed` comes from the server (its
 * CHAT_PEERS) or the local topology; the page's own server is first (it is the one we know is up).
 */
export function serverList(origin: string, listed: readonly string[]): ServerAddress[] {
  const out: ServerAddress[] = [];
  for (const text of [origin, ...listed]) {
    const address = serverAddress(text, origin);
    if (address !== null && !out.some((known) => known.ws === address.ws)) out.push(address);
  }
  return out;
}

/**
 * Without a list from the server: if the page came from one of the local topology's chat servers
 * (localhost:7301, :7302), the others are on the same host at their topology ports.
 */
export function topologyPeers(origin: string): string[] {
  const address = serverAddress(origin);
  if (address === null) return [];
  const url = new URL(address.http);
  const ports = chatTopology().slice(1).map((spec) => String(spec.port));
  return ports.includes(url.port) ? ports.map((port) => `${url.protocol}//${url.hostname}:${port}`) : [];
}

/**
 * The servers this page uses, in the order it tries them.
 * - `?servers=a,b` (the query) wins: exactly those, the page's own server first if it is one of them.
 * - Else the list the server put in the page (`<meta name="chat-peers">`, from its CHAT_PEERS: the runner and
 *   Docker set it from the real ports), its own server first.
 * - Else (a page from an older server) the local topology's ports, if the page came from one of them.
 */
export function chooseServers(origin: string, query: string | null, peers: string | null): ServerAddress[] {
  const split = (text: string | null) => (text ?? '').split(',').filter((t) => t.trim() !== '');
  const fromQuery = serverList('', split(query).map((t) => serverAddress(t, origin)?.http ?? ''));
  if (fromQuery.length > 0) {
    const own = serverAddress(origin);
    const i = own === null ? -1 : fromQuery.findIndex((s) => s.ws === own.ws);
    return i <= 0 ? fromQuery : [fromQuery[i]!, ...fromQuery.filter((_, j) => j !== i)];
  }
  const listed = split(peers);
  return serverList(origin, listed.length > 0 ? listed : topologyPeers(origin));
}

// #endregion servers

// #region backoff
/** After a connection is lost, the next server to try: the other one (round-robin). */
export function nextServer(count: number, current: number): number {
  return count === 0 ? 0 : (current + 1) % count;
}

/**
 * How long to wait before reconnect attempt `attempt` (1, 2, 3, ...): the first try is almost at once (another
 * server is probably up), then the wait doubles up to `maxMs`. `random` in [0, 1) spreads the clients out, so a
 * thousand clients of a dead server do not all knock on the other one in the same millisecond.
 */
export function backoffMs(attempt: number, random: number, baseMs = 250, maxMs = 8000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
// #endregion backoff

// #region state
export type Phase = 'connecting' | 'connected' | 'reconnecting' | 'caught-up';

export interface ConnectionView {
  phase: Phase;
  /** The server's own name (from `welcome`) or its address while we are not yet connected. */
  server: string;
  /** Reconnect attempts since the last successful connection (0 while connected). */
  attempt: number;
}

/** The status line: what a sighted learner sees and what a screen reader announces. */
export function describe(view: ConnectionView): string {
  switch (view.phase) {
    case 'connecting':
      return `Connecting to ${view.server}…`;
    case 'connected':
      return `Connected to ${view.server}, catching up…`;
    case 'reconnecting':
      return `Connection lost. Reconnecting to ${view.server} (attempt ${view.attempt})…`;
    case 'caught-up':
      return `Caught up on ${view.server}.`;
  }
}
// #endregion state
