// A Raft node's configuration, read from environment variables (what Docker and the runner set), checked
// before anything starts. A wrong value is a usage error: the server prints USAGE and exits with status 2
// (examples/shared/env-config.ts, configFromEnv).

import path from 'node:path';

export const USAGE = `usage: RAFT_ID=n1 PORT=7401 RAFT_PEERS=n1=http://127.0.0.1:7401,n2=http://127.0.0.1:7402,n3=http://127.0.0.1:7403 \\
       [RAFT_DATA=examples/raft/.data/n1] node --import tsx examples/raft/node/server.ts

  RAFT_ID              this node's name: a member of RAFT_PEERS ([a-z0-9-], 1 to 32 characters, e.g. n1)
  PORT                 the port to listen on (0 picks a free one; the real one is printed)
  RAFT_PEERS           every member as name=url, comma-separated, this node included; the names are the
                       members of the Raft cluster (a fixed membership: 1 to 9 nodes)
  RAFT_DATA            where this node keeps its term, vote, log and snapshot (default
                       examples/raft/.data/<RAFT_ID>); one node per directory
  RAFT_SNAPSHOT_EVERY  take a snapshot (and compact the log) every this many applied entries (default 1000;
                       0 = never)
  HOST                 the interface to listen on (default 127.0.0.1; containers use 0.0.0.0)

The node ticks every 10 ms: election timeout 15-30 ticks (150-300 ms), heartbeat every 5 ticks (50 ms).
Clients: GET/PUT/DELETE /kv/<key>, POST /kv/<key>/cas, GET /status (see the top of server.ts).`;

/** A node name: lower-case letters, digits and dashes. */
export const NODE_NAME = /^[a-z0-9-]{1,32}$/;

export interface RaftServerConfig {
  id: string;
  host: string;
  port: number;
  /** Every member's base URL (no trailing slash), this node's included; the keys are the members. */
  peers: Record<string, string>;
  dataDir: string;
  snapshotEvery: number;
}

export type ConfigResult = { ok: true; config: RaftServerConfig } | { ok: false; error: string };

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && url.search === '';
  } catch {
    return false;
  }
}

/** Parses `name=url,name=url`. Returns the map or what is wrong with it. */
export function parsePeers(text: string): { ok: true; peers: Record<string, string> } | { ok: false; error: string } {
  const peers: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const url = eq === -1 ? '' : part.slice(eq + 1).replace(/\/+$/, '');
    if (!NODE_NAME.test(name)) return { ok: false, error: `"${name}" is not a node name ([a-z0-9-], 1 to 32 characters)` };
    if (Object.hasOwn(peers, name)) return { ok: false, error: `${name} is listed twice` };
    if (!isHttpUrl(url)) return { ok: false, error: `${name} needs an http:// URL, as in ${name}=http://127.0.0.1:7401 (got "${url}")` };
    peers[name] = url;
  }
  const count = Object.keys(peers).length;
  if (count === 0) return { ok: false, error: 'no members given' };
  if (count > 9) return { ok: false, error: `${count} members given; this course's Raft takes at most 9` };
  return { ok: true, peers };
}

export function parseRaftConfig(env: Record<string, string | undefined>): ConfigResult {
  const fail = (error: string): ConfigResult => ({ ok: false, error });
  const get = (name: string) => (env[name] ?? '').trim();
  const id = get('RAFT_ID');
  if (id === '') return fail('RAFT_ID is not set');
  if (!NODE_NAME.test(id)) return fail(`RAFT_ID "${id}" is not a node name ([a-z0-9-], 1 to 32 characters, e.g. n1)`);
  const portText = get('PORT');
  if (portText === '') return fail('PORT is not set');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return fail(`PORT must be a port number from 0 to 65535, got "${portText}"`);
  if (get('RAFT_PEERS') === '') return fail('RAFT_PEERS is not set');
  const peers = parsePeers(get('RAFT_PEERS'));
  if (!peers.ok) return fail(`RAFT_PEERS: ${peers.error}`);
  if (!Object.hasOwn(peers.peers, id)) return fail(`RAFT_PEERS must list this node too (${id}=http://...); it lists ${Object.keys(peers.peers).join(', ')}`);
  const everyText = get('RAFT_SNAPSHOT_EVERY');
  const snapshotEvery = everyText === '' ? 1000 : Number(everyText);
  if (everyText !== '' && (!/^\d+$/.test(everyText) || !Number.isSafeInteger(snapshotEvery))) {
    return fail(`RAFT_SNAPSHOT_EVERY must be a whole number >= 0 (0 = never), got "${everyText}"`);
  }
  const dataDir = path.resolve(get('RAFT_DATA') || path.join('examples', 'raft', '.data', id));
  return { ok: true, config: { id, host: get('HOST') || '127.0.0.1', port, peers: peers.peers, dataDir, snapshotEvery } };
}
