// `npm run raft -- <command>`: talk to a running Raft cluster from a terminal (no curl quoting to get right).
//
//   npm run raft -- put greeting hello
//   npm run raft -- get greeting
//   npm run raft -- delete greeting
//   npm run raft -- cas greeting hello bonjour        (swap if it holds "hello")
//   npm run raft -- cas greeting --absent hello       (create only if absent)
//   npm run raft -- status                            (every node's role, term, commit index, ...)
//
// The members are --peers (n1=http://...,n2=...) if given, else RAFT_PEERS with the same syntax, else the
// local five nodes at 127.0.0.1:7401-7405 (node i on RAFT_BASE_PORT + i, 7400 by default: the same variable as
// npm run example:raft, so a runner moved to other ports is found with the same setting). The client finds the leader itself (following
// 421 answers) and retries with the same client id and seq, so a request is applied at most once.
// Exit status: 0 the cluster said yes (a get of an absent key and a cas that did not swap say so and exit 1),
// 1 it said no or did not answer, 2 a command it cannot parse.

import { parsePeers } from './config.ts';
import { BASE_PORT, raftTopology } from './topology.ts';
import { closeSharedAgent, fetchStatus, RaftClient, type KvResult } from './client.ts';

const HELP = [
  'put <key> <value>            write a value',
  'get <key>                    read it (through the log: linearizable)',
  'delete <key>                 delete it',
  'cas <key> <expected> <new>   write <new> only if the key holds <expected>',
  'cas <key> --absent <new>     write <new> only if the key is absent',
  'status                       every node: role, term, leader, commit index, last applied, snapshot',
  'options: --peers n1=http://127.0.0.1:7401,...  (or RAFT_PEERS; default 127.0.0.1:7401-7405, or',
  '                                               RAFT_BASE_PORT + 1..5 as for npm run example:raft)',
  '         --timeout <seconds>                  give up after this long (default 15)',
];

function usage(error: string): number {
  console.error(`raft: ${error}`);
  console.error('usage: npm run raft -- <command>, where <command> is one of:');
  for (const line of HELP) console.error(`  ${line}`);
  return 2;
}

function defaultPeers(): Record<string, string> | { error: string } {
  const text = process.env.RAFT_BASE_PORT;
  const base = Number(text || BASE_PORT);
  if (!Number.isInteger(base) || base < 1 || base > 65_530) return { error: `RAFT_BASE_PORT must be a whole number from 1 to 65530 (node i on it + i), got "${text}"` };
  return Object.fromEntries(raftTopology(base).map((n) => [n.name, `http://127.0.0.1:${n.port}`]));
}

async function main(argv: string[]): Promise<number> {
  const words: string[] = [];
  let peersText = process.env.RAFT_PEERS ?? '';
  let timeoutMs = 15_000;
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '-h' || w === '--help' || w === 'help') {
      console.log('usage: npm run raft -- <command>, where <command> is one of:');
      for (const line of HELP) console.log(`  ${line}`);
      return 0;
    }
    if (w === '--peers') {
      if (argv[i + 1] === undefined) return usage('--peers needs a value: n1=http://127.0.0.1:7401,n2=...');
      peersText = argv[++i]!;
    } else if (w === '--timeout') {
      const seconds = Number(argv[++i]);
      if (!(seconds > 0)) return usage('--timeout needs a number of seconds > 0');
      timeoutMs = seconds * 1000;
    } else if (w.startsWith('--') && w !== '--absent') return usage(`unknown option ${w}`);
    else words.push(w);
  }
  const local = defaultPeers();
  if ('error' in local && peersText.trim() === '') return usage(local.error);
  let peers = local as Record<string, string>;
  if (peersText.trim() !== '') {
    const parsed = parsePeers(peersText);
    if (!parsed.ok) return usage(`the members: ${parsed.error}`);
    peers = parsed.peers;
  }
  const [command, ...args] = words;
  if (command === undefined) return usage('no command given');
  const arity: Record<string, number> = { put: 2, get: 1, delete: 1, cas: 3, status: 0 };
  if (!Object.hasOwn(arity, command)) return usage(`unknown command "${command}"`);
  if (args.length !== arity[command]) return usage(`${command} takes ${arity[command]} argument${arity[command] === 1 ? '' : 's'}, got ${args.length}`);

  if (command === 'status') return status(peers);
  const client = new RaftClient({ members: peers, timeoutMs });
  const [key] = args as [string];
  let result: KvResult;
  if (command === 'put') result = await client.put(key, args[1]!);
  else if (command === 'get') result = await client.get(key);
  else if (command === 'delete') result = await client.delete(key);
  else result = await client.cas(key, args[1] === '--absent' ? null : args[1]!, args[2]!);
  return report(command, key, result);
}

function report(command: string, key: string, r: KvResult): number {
  if (!r.ok) {
    const what = r.outcome === 'unknown' ? 'the outcome is UNKNOWN (it may or may not have been applied)' : 'it was NOT applied';
    console.error(`${command} ${JSON.stringify(key)} failed: ${what}: ${r.error}`);
    return 1;
  }
  const b = r.body;
  const at = `(node ${r.node}, log index ${String(b.index)})`;
  switch (r.status) {
    case 404:
      console.log(`${JSON.stringify(key)} is absent ${at}`);
      return 1;
    case 409:
      console.log(`not swapped: ${JSON.stringify(key)} holds ${JSON.stringify(b.value)} ${at}`);
      return 1;
  }
  if (command === 'get') console.log(`${JSON.stringify(key)} = ${JSON.stringify(b.value)} ${at}`);
  else if (command === 'put') console.log(`${JSON.stringify(key)} = ${JSON.stringify(b.value)}: written ${at}`);
  else if (command === 'delete') console.log(`${JSON.stringify(key)} deleted (it held ${JSON.stringify(b.previous)}) ${at}`);
  else console.log(`swapped: ${JSON.stringify(key)} held ${JSON.stringify(b.previous)} ${at}`);
  return 0;
}

async function status(peers: Record<string, string>): Promise<number> {
  const rows = await Promise.all(
    Object.entries(peers).map(async ([name, url]) => {
      try {
        const s = await fetchStatus(url);
        return `${name.padEnd(4)} ${String(s.role).padEnd(9)} term ${String(s.term).padStart(3)}  leader ${String(s.leaderId ?? '-').padEnd(4)} commit ${String(s.commitIndex).padStart(6)}  applied ${String(s.lastApplied).padStart(6)}  last ${String(s.lastIndex).padStart(6)}  snapshot ${String(s.snapshotIndex).padStart(6)}${(s.blocked as string[]).length > 0 ? `  blocked ${(s.blocked as string[]).join(',')}` : ''}`;
      } catch (err) {
        // fetchStatus's message already starts with the url.
        return `${name.padEnd(4)} down      (${err instanceof Error ? err.message : `${url}: ${String(err)}`})`;
      }
    }),
  );
  for (const row of rows) console.log(row);
  if (rows.every((r) => / down /.test(r))) {
    console.log(`No node answers at ${Object.values(peers).join(', ')}. Start a cluster (npm run example:raft), or set RAFT_PEERS / --peers to where yours runs.`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
closeSharedAgent();
