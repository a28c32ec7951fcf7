// The chat system end to end, with real processes: a bus, two chat servers and Node clients on `ws` (the same
// client core the browser runs). 1,000 messages across two servers and four rooms while a seeded chaos loop
// cuts client sockets at random; afterwards every client shows, per room, the identical sequence 1..N with no
// gap and no duplicate, and every send a server confirmed appears in it exactly once. Against both buses: the
// course bus and Redis (skipped, saying why, where redis-server is not installed).

import { afterAll, describe, expect, it } from 'vitest';
import { ChatClient } from '../../examples/chat/node/client.ts';
import { mulberry32 } from '../../examples/shared/random.ts';
import { stopAll } from '../helpers/processes.ts';
import { REDIS_MISSING, redisAvailable } from '../helpers/redis.ts';
import { expectSameGapFreeRooms, settle, startChatCluster, type BusKind } from './cluster.ts';

afterAll(() => stopAll());

const SEED = Number(process.env.CHAT_TEST_SEED ?? 7);
const ROOMS = ['lobby', 'r-1', 'r-2', 'r-3'];
const CLIENTS = 8;
const MESSAGES = 1000;

async function run(kind: BusKind): Promise<void> {
  const cluster = await startChatCluster(kind);
  const random = mulberry32(SEED);
  const [a, b] = cluster.servers.map((s) => s.ws) as [string, string];
  // Half the clients start on s1, half on s2; each falls over to the other when its socket dies.
  const clients = Array.from({ length: CLIENTS }, (_, i) => new ChatClient({ urls: i % 2 === 0 ? [a, b] : [b, a], user: `user${i}`, clientId: `k${i}`, seed: SEED * 100 + i }));
  try {
    for (const c of clients) for (const room of ROOMS) c.join(room);
    for (let n = 0; n < MESSAGES; n++) {
      const c = clients[n % CLIENTS]!;
      c.send(ROOMS[Math.floor(random() * ROOMS.length)]!, `message ${n} from ${c.user}`);
    }
    // Chaos: every 100-400 ms cut a random client's socket, until every send is confirmed (and at least 15 cuts).
    let cuts = 0;
    const deadline = Date.now() + 40_000;
    while (cuts < 15 || clients.some((c) => c.unconfirmed() > 0)) {
      await new Promise((r) => setTimeout(r, 100 + random() * 300));
      clients[Math.floor(random() * CLIENTS)]!.dropConnection();
      cuts++;
      if (Date.now() > deadline) throw new Error(`sends still unconfirmed after ${cuts} cuts in 40 s: ${clients.map((c) => c.unconfirmed()).join(',')}`);
    }
    const expected = await settle(clients, ROOMS);
    expect(Object.values(expected).reduce((x, y) => x + y, 0), 'the rooms hold exactly the 1,000 messages sent').toBe(MESSAGES);
    expectSameGapFreeRooms(clients, ROOMS);
    expect(clients.every((c) => c.connections > 1), 'every client was cut off and reconnected at least once').toBe(true);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

describe('1,000 messages, two chat servers, four rooms, client sockets cut at random (seeded)', () => {
  it('course bus: every client shows the identical gap-free, duplicate-free sequence per room; every confirmed send once', () => run('course'), 120_000);

  it.skipIf(!redisAvailable())(`Redis bus: the same${redisAvailable() ? '' : ` (skipped: ${REDIS_MISSING})`}`, () => run('redis'), 120_000);
});
