// Real chat processes for the browser and fuzz tests: the course bus and chat servers, each a
// `node --import tsx <script>` on a free port, started the way examples/chat/node/topology.ts describes them,
// with short presence timings. Cleaned up by stopAll() (tests/helpers/processes.ts). CHAT_SERVER_SCRIPT runs
// another server script instead (a deliberately broken copy shows that the tests catch what they claim to).

import { BUS_SCRIPT, SERVER_SCRIPT } from '../../examples/chat/node/topology.ts';
import { freePort, makeTempDir, startScript, waitFor, type Proc } from '../helpers/processes.ts';

/** Presence within a second or two, so the tests wait for conditions that come quickly. */
export const FAST_PRESENCE: Record<string, string> = { CHAT_BEAT_MS: '200', CHAT_PRESENCE_TIMEOUT_MS: '1500' };

export interface ChatServerProc {
  id: string;
  port: number;
  /** http://127.0.0.1:port */
  url: string;
  /** ws://127.0.0.1:port/ws */
  ws: string;
  proc: Proc;
}

export interface ChatStack {
  busPort: number;
  bus: Proc;
  servers: ChatServerProc[];
  server(id: string): ChatServerProc;
}

/** The course bus (with a data directory) and chat servers s1..sN, each answering /health before this returns. */
export async function startChatStack(count = 2, extraEnv: Record<string, string> = {}, busEnv: Record<string, string> = {}): Promise<ChatStack> {
  const busPort = await freePort();
  const bus = startScript(BUS_SCRIPT, { PORT: String(busPort), DATA_DIR: makeTempDir('chat-bus-'), ...busEnv }, 'bus');
  await bus.waitForLine(/listening on ws:/, 30_000);
  const servers: ChatServerProc[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `s${i}`;
    const port = await freePort();
    const proc = startScript(process.env.CHAT_SERVER_SCRIPT ?? SERVER_SCRIPT, { CHAT_ID: id, PORT: String(port), BUS: `ws://127.0.0.1:${busPort}`, ...FAST_PRESENCE, ...extraEnv }, id);
    servers.push({ id, port, url: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/ws`, proc });
  }
  await Promise.all(servers.map((s) => waitForHealth(s)));
  return {
    busPort,
    bus,
    servers,
    server: (id) => servers.find((s) => s.id === id) ?? failWith(`no chat server ${id}`),
  };
}

/** Polls GET /health until it answers 200 (the server listens and has its bus). */
export async function waitForHealth(server: ChatServerProc, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${server.id} /health`, async () => {
    if (!server.proc.running()) throw new Error(`${server.id} exited:\n${server.proc.lines.slice(-10).join('\n')}`);
    return (await health(server)) === 200;
  }, timeoutMs, 100);
}

/** The status of GET /health (0 if nothing answered). */
export async function health(server: ChatServerProc): Promise<number> {
  try {
    const answer = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(5_000) });
    await answer.body?.cancel();
    return answer.status;
  } catch {
    return 0;
  }
}

function failWith(message: string): never {
  throw new Error(message);
}
