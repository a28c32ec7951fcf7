// The local topology of the chat example: one course bus and two chat servers, each `node --import tsx
// <script>` with its own name, port and environment. Plain data, on purpose: the runner (run.ts) starts
// exactly these processes, and the Docker compose file (docker/chat/compose.yaml) is tested against this list,
// so the two cannot drift apart.
//
// What differs in Docker, and only that: every process is its own container, so each listens on 0.0.0.0
// (HOST) inside it and finds the bus by service name (BUS=ws://bus:7300); the bus keeps its log in its own
// named volume mounted at /data (DATA_DIR). The ports stay the same, so the URLs to open are the same.

export interface ChatProcessSpec {
  /** The process's name: the compose service name and the runner's output prefix ("bus", "s1", "s2"). */
  name: string;
  /** Where it listens on this machine (127.0.0.1). */
  port: number;
  /** Relative to the repository root; started as `node --import tsx <script>`. */
  script: string;
  /** Its environment (the bus's DATA_DIR is added by whoever starts it: the runner's or a volume). */
  env: Record<string, string>;
}

export const BUS_SCRIPT = 'examples/chat/node/bus-server.ts';
export const SERVER_SCRIPT = 'examples/chat/node/server.ts';
/** The course bus listens on BASE_PORT; chat server i on BASE_PORT + i (s1 = 7301, s2 = 7302). */
export const BASE_PORT = 7300;
export const BUS_NAME = 'bus';
export const SERVER_NAMES = ['s1', 's2'] as const;

/** The course bus's URL for chat servers on this machine. */
export function busUrl(basePort = BASE_PORT): string {
  return `ws://127.0.0.1:${basePort}`;
}

/** The bus and the two chat servers, the bus on basePort and the servers on basePort + 1, + 2. */
export function chatTopology(basePort = BASE_PORT): ChatProcessSpec[] {
  const bus: ChatProcessSpec = { name: BUS_NAME, port: basePort, script: BUS_SCRIPT, env: { PORT: String(basePort) } };
  const servers = SERVER_NAMES.map((name, i): ChatProcessSpec => ({
    name,
    port: basePort + i + 1,
    script: SERVER_SCRIPT,
    env: { CHAT_ID: name, PORT: String(basePort + i + 1), BUS: busUrl(basePort) },
  }));
  return [bus, ...servers];
}

export const topology: ChatProcessSpec[] = chatTopology();

/**
 * The chat servers as a browser reaches them, for a server's CHAT_PEERS (the page reconnects to these when
 * its own server dies): their ports, meaning "that port on the host the page came from". Not part of the
 * specs' env above, because a server works it out itself for the default ports (defaultPeers); the runner
 * passes it when the ports are moved (CHAT_BASE_PORT).
 */
export function chatPeers(basePort = BASE_PORT): string[] {
  return chatTopology(basePort).slice(1).map((spec) => String(spec.port));
}

/** A chat server without CHAT_PEERS: the local topology's servers if it listens on one of their ports. */
export function defaultPeers(port: number): string[] {
  const ports = chatPeers();
  return ports.includes(String(port)) ? ports : [];
}

/** The browser page of a chat server on this machine, and its WebSocket endpoint. */
export function pageUrl(port: number, host = 'localhost'): string {
  return `http://${host}:${port}`;
}
export function socketUrl(port: number, host = '127.0.0.1'): string {
  return `ws://${host}:${port}/ws`;
}
