// A store node's configuration, read from environment variables (what Docker and the runner set), checked
// before anything starts. A wrong value is a usage error: the server prints USAGE and exits with status 2.

import path from 'node:path';
import { NODE_NAME } from '../core/requests.ts';
import { defaultConfig, type StoreConfig } from '../core/types.ts';

export const USAGE = `usage: STORE_ID=n1 STORE_PORT=7101 STORE_PEERS=n1=http://127.0.0.1:7101,n2=http://127.0.0.1:7102,... \\
       [STORE_DATA_DIR=examples/store/.data/n1] node --import tsx examples/store/node/server.ts

  STORE_ID        this node's name: a member of STORE_PEERS ([a-z0-9-], 1 to 32 characters)
  STORE_PORT      the port to listen on (0 picks a free one; the real one is printed)
  STORE_PEERS     every member as name=url, comma-separated, this node included; the names are the members
  STORE_HOST      the interface to listen on (default 127.0.0.1; containers use 0.0.0.0)
  STORE_DATA_DIR  where this node keeps its log and snapshots (default examples/store/.data/<STORE_ID>);
                  one node per directory
  optional timings, in milliseconds (defaults in examples/store/core/types.ts, defaultConfig):
  STORE_HEARTBEAT_MS (${defaultConfig.heartbeatMs}), STORE_ELECTION_TIMEOUT_MS (${defaultConfig.electionTimeoutMs}), STORE_REQUEST_TIMEOUT_MS (${defaultConfig.requestTimeoutMs}),
  STORE_ANTI_ENTROPY_MS (${defaultConfig.antiEntropyMs}); STORE_REPLICAS (${defaultConfig.replicas}), STORE_VNODES (${defaultConfig.vnodes}),
  STORE_COMPACT_BYTES (8388608: fold the log into a snapshot once it is this big; 0 = never)`;

export interface ServerConfig {
  core: StoreConfig;
  host: string;
  port: number;
  /** Every member's base URL, this node's included. */
  peers: Record<string, string>;
  dataDir: string;
  compactBytes: number;
}

export type ConfigResult = { ok: true; config: ServerConfig } | { ok: false; error: string };

/** Parses `name=url,name=url`. Returns the map or what is wrong with it. */
export function parsePeers(text: string): { ok: true; peers: Record<string, string> } | { ok: false; error: string } {
  const peers: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const url = eq === -1 ? '' : part.slice(eq + 1).replace(/\/+$/, '');
    if (!NODE_NAME.test(name)) return { ok: false, error: `"${name}" is not a node name ([a-z0-9-], 1 to 32 characters)` };
    if (Object.hasOwn(peers, name)) return { ok: false, error: `${name} is listed twice` };
    if (!isHttpUrl(url)) return { ok: false, error: `${name} needs an http:// URL, as in ${name}=http://127.0.0.1:7101 (got "${url}")` };
    peers[name] = url;
  }
  if (Object.keys(peers).length === 0) return { ok: false, error: 'no members given' };
  return { ok: true, peers };
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && url.search === '';
  } catch {
    return false;
  }
}

export function parseServerConfig(env: Record<string, string | undefined>): ConfigResult {
  const fail = (error: string): ConfigResult => ({ ok: false, error });
  const get = (name: string) => (env[name] ?? '').trim();
  const id = get('STORE_ID');
  if (id === '') return fail('STORE_ID is not set');
  if (!NODE_NAME.test(id)) return fail(`STORE_ID "${id}" is not a node name ([a-z0-9-], 1 to 32 characters)`);
  const portText = get('STORE_PORT');
  if (portText === '') return fail('STORE_PORT is not set');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return fail(`STORE_PORT must be a port number from 0 to 65535, got "${portText}"`);
  if (get('STORE_PEERS') === '') return fail('STORE_PEERS is not set');
  const peers = parsePeers(get('STORE_PEERS'));
  if (!peers.ok) return fail(`STORE_PEERS: ${peers.error}`);
  if (!Object.hasOwn(peers.peers, id)) return fail(`STORE_PEERS must list this node too (${id}=http://...); it lists ${Object.keys(peers.peers).join(', ')}`);

  const numbers: [keyof Omit<StoreConfig, 'id'>, string, number][] = [
    ['heartbeatMs', 'STORE_HEARTBEAT_MS', 1],
    ['electionTimeoutMs', 'STORE_ELECTION_TIMEOUT_MS', 1],
    ['requestTimeoutMs', 'STORE_REQUEST_TIMEOUT_MS', 1],
    ['antiEntropyMs', 'STORE_ANTI_ENTROPY_MS', 1],
    ['replicas', 'STORE_REPLICAS', 1],
    ['vnodes', 'STORE_VNODES', 1],
  ];
  const core: StoreConfig = { id, ...defaultConfig };
  for (const [field, name, min] of numbers) {
    const text = get(name);
    if (text === '') continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || !Number.isSafeInteger(value)) return fail(`${name} must be a whole number >= ${min}, got "${text}"`);
    core[field] = value;
  }
  if (core.heartbeatMs >= core.electionTimeoutMs) {
    return fail(`STORE_HEARTBEAT_MS (${core.heartbeatMs}) must be shorter than STORE_ELECTION_TIMEOUT_MS (${core.electionTimeoutMs}), or followers would start elections between heartbeats`);
  }
  const compactText = get('STORE_COMPACT_BYTES');
  const compactBytes = compactText === '' ? 8 * 1024 * 1024 : Number(compactText);
  if (compactText !== '' && !/^\d+$/.test(compactText)) return fail(`STORE_COMPACT_BYTES must be a whole number >= 0, got "${compactText}"`);
  const dataDir = path.resolve(get('STORE_DATA_DIR') || path.join('examples', 'store', '.data', id));
  return { ok: true, config: { core, host: get('STORE_HOST') || '127.0.0.1', port, peers: peers.peers, dataDir, compactBytes } };
}
