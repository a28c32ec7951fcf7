// `npm run store -- <command>`: talk to the running store from a second terminal, the same on Linux, macOS
// and Windows (no curl quoting to get right). Examples:
//
//   npm run store -- put greeting hello                          strong write (the default)
//   npm run store -- put greeting hi --consistency eventual --node n4
//   npm run store -- get greeting --consistency eventual --node n4
//   npm run store -- cas greeting hello bonjour
//   npm run store -- partition n1,n2 n3,n4,n5                    (or "n1,n2 | n3,n4,n5", quoted)
//   npm run store -- heal
//   npm run store -- kill n3       npm run store -- restart n3   (asks the runner: it owns the processes)
//   npm run store -- status
//
// Node i is at 127.0.0.1:(STORE_BASE_PORT + i), STORE_BASE_PORT=7100 by default; the runner's control port is
// STORE_BASE_PORT itself. It exits 0 when the store said yes, 1 when it said no or did not answer (status: no
// node answered), 2 on a command it cannot parse (an unknown --option included: a typo is never ignored).

import { parseCommand, PROCESS_COMMANDS, runCommand, HELP } from './run-commands.ts';
import { http } from './run-http.ts';
import { BASE_PORT, NODE_NAMES } from './topology.ts';
import { renderView, type NodeSnapshot } from './view.ts';

const base = Number(process.env.STORE_BASE_PORT || BASE_PORT);
const urls = Object.fromEntries(NODE_NAMES.map((n, i) => [n, `http://127.0.0.1:${base + i + 1}`]));

async function main(): Promise<number> {
  const cmd = parseCommand(process.argv.slice(2), NODE_NAMES);
  if ('error' in cmd) {
    console.error(cmd.error);
    console.error('usage: npm run store -- <command>, where <command> is one of:');
    for (const line of HELP) console.error(`  ${line}`);
    return 2;
  }
  if (cmd.kind === 'help') {
    for (const line of HELP) console.log(line);
    return 0;
  }
  if ((PROCESS_COMMANDS as readonly string[]).includes(cmd.kind)) {
    try {
      const answer = await http('POST', `http://127.0.0.1:${base}/control`, { words: process.argv.slice(2) }, 30_000);
      for (const line of (answer.body.lines as string[] | undefined) ?? [JSON.stringify(answer.body)]) console.log(line);
      return answer.status < 300 ? 0 : 1;
    } catch (err) {
      console.error(`the runner does not answer on 127.0.0.1:${base} (${err instanceof Error ? err.message : err}).`);
      console.error('kill/stop/restart work on a store started with `npm run example:store`; in Docker use `docker compose kill|start <node>`.');
      return 1;
    }
  }
  if (cmd.kind === 'status') {
    const nodes: NodeSnapshot[] = await Promise.all(
      NODE_NAMES.map(async (name, i) => {
        const status = await http('GET', `${urls[name]}/status`, undefined, 2_000).then(
          (a) => (a.status === 200 ? a.body : { error: `status ${a.status}` }),
          (e: Error) => ({ error: e.message }),
        );
        return { name, port: base + i + 1, process: { stopped: '-' }, status };
      }),
    );
    for (const line of renderView(nodes, { members: NODE_NAMES })) console.log(line);
    if (nodes.every((n) => 'error' in n.status)) {
      const moved = process.env.STORE_BASE_PORT ? `STORE_BASE_PORT=${base} is set here: the runner must use the same` : 'if you started it with STORE_BASE_PORT=N, set the same here';
      console.log(`No node answers on 127.0.0.1:${base + 1}-${base + NODE_NAMES.length}. Start the store in another terminal with npm run example:store (${moved}).`);
      return 1;
    }
    return 0;
  }
  const result = await runCommand(cmd, { urls });
  for (const line of result.lines) console.log(line);
  return result.ok ? 0 : 1;
}

process.exitCode = await main();
