// The local topology of the Raft example: five nodes, n1..n5, each one `node --import tsx
// examples/raft/node/server.ts` with its own id, port and the list of all members. Plain data, on purpose: the
// runner (run.ts) and the chaos command (chaos.ts) start exactly these processes, and the Docker compose file
// (docker/raft/compose.yaml) is tested against this list (tests/topology/raft-compose.test.ts), so the two
// cannot drift apart.
//
// What differs in Docker, and only that: every node is its own container, so each listens on 7400 inside it
// on all its interfaces (HOST=0.0.0.0) and finds the others by service name (http://n2:7400); its log, vote
// and snapshot go to its own named volume mounted at /data (RAFT_DATA).

export interface RaftNodeSpec {
  /** The node's id (RAFT_ID), also the compose service name and the runner's output prefix. */
  name: string;
  /** Where it listens on this machine (127.0.0.1). */
  port: number;
  /** Relative to the repository root; started as `node --import tsx <script>`. */
  script: string;
  /** Its environment, apart from RAFT_DATA (the runner's or the chaos command's directory + name). */
  env: Record<string, string>;
}

export const RAFT_SCRIPT = 'examples/raft/node/server.ts';
/** Node i listens on BASE_PORT + i (n1 = 7401 ... n5 = 7405). Nothing listens on BASE_PORT itself. */
export const BASE_PORT = 7400;
export const NODE_NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
/** The port every node listens on inside its container. */
export const CONTAINER_PORT = 7400;

/** "n1=http://127.0.0.1:7401,n2=..." for nodes on this machine whose ports start at basePort + 1. */
export function peersFor(basePort: number, names: readonly string[] = NODE_NAMES): string {
  return names.map((n, i) => `${n}=http://127.0.0.1:${basePort + i + 1}`).join(',');
}

/** The five nodes, on ports basePort+1 .. basePort+5 (RAFT_BASE_PORT, tests and chaos pass another base). */
export function raftTopology(basePort = BASE_PORT): RaftNodeSpec[] {
  const peers = peersFor(basePort);
  return NODE_NAMES.map((name, i) => ({
    name,
    port: basePort + i + 1,
    script: RAFT_SCRIPT,
    env: { RAFT_ID: name, PORT: String(basePort + i + 1), RAFT_PEERS: peers },
  }));
}

export const topology: RaftNodeSpec[] = raftTopology();
