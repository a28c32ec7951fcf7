// A chat server dies (SIGKILL: no goodbye, no close frames). Its clients reconnect to the other server and
// resume from the last seq they showed, with no gap and no duplicate; their unconfirmed sends are resent and
// stored once. The history lives in the bus, so a restarted server serves it all again. Presence: the other
// server drops a dead server's users once it has not heard from it for the presence timeout.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from '../../examples/chat/node/client.ts';
import { stopAll, waitFor } from '../helpers/processes.ts';
import { REDIS_MISSING, redisAvailable } from '../helpers/redis.ts';
import { confirmedIn, expectSameGapFreeRooms, settle, startChatCluster, statusOf, type ChatCluster } from './cluster.ts';

const ROOMS = ['room-a', 'room-b'];
afterAll(() => stopAll());

for (const kind of ['course', 'redis'] as const) {
  describe.skipIf(kind === 'redis' && !redisAvailable())(`a chat server killed with SIGKILL (${kind} bus${kind === 'redis' && !redisAvailable() ? `; skipped: ${REDIS_MISSING}` : ''})`, () => {
    let cluster: ChatCluster;
    let s1: string;
    let s2: string;
    const clients: ChatClient[] = [];

    function client(user: string, urls: string[]): ChatClient {
      const c = new ChatClient({ urls, user, clientId: user, seed: clients.length + 1 });
      clients.push(c);
      return c;
    }

    beforeAll(async () => {
      cluster = await startChatCluster(kind);
      [s1, s2] = cluster.servers.map((s) => s.ws) as [string, string];
    });

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });

    const writers: ChatClient[] = [];

    it('its clients reconnect to the other server and resume with no gap and no duplicate', async () => {
      for (let i = 0; i < 6; i++) writers.push(client(`w${i}`, i < 3 ? [s1, s2] : [s2, s1]));
      for (const c of writers) for (const room of ROOMS) c.join(room);
      await waitFor('every writer caught up', () => writers.every((c) => ROOMS.every((r) => c.isCaughtUp(r))));
      expect(writers.map((c) => c.server)).toEqual(['s1', 's1', 's1', 's2', 's2', 's2']);
      for (let n = 0; n < 240; n++) writers[n % 6]!.send(ROOMS[n % 2]!, `before ${n}`);
      // Kill s1 while its clients are in the middle of sending (some confirmed, some not).
      await waitFor('a first part of the sends confirmed', () => writers.reduce((sum, c) => sum + c.acks.size, 0) >= 60);
      const unconfirmedOnS1 = writers.slice(0, 3).reduce((sum, c) => sum + c.unconfirmed(), 0);
      await cluster.kill('s1', 'SIGKILL');
      expect(unconfirmedOnS1, "s1's clients had sends in flight when it died").toBeGreaterThan(0);
      for (let n = 0; n < 60; n++) writers[n % 6]!.send(ROOMS[n % 2]!, `after ${n}`);

      await settle(writers, ROOMS);
      expect(writers.map((c) => c.server), 'everyone is on s2 now').toEqual(Array(6).fill('s2'));
      expect(writers.slice(0, 3).every((c) => c.connections >= 2), "s1's clients reconnected").toBe(true);
      expect(ROOMS.map((r) => confirmedIn(writers, r).size)).toEqual([150, 150]);
      expectSameGapFreeRooms(writers, ROOMS);
    });

    it('history survives: the restarted server gives a new client every message, the same as everyone saw', async () => {
      await cluster.start('s1');
      const late = client('late', [s1]);
      for (const room of ROOMS) late.join(room);
      await waitFor('the late client caught up on s1', () => late.server === 's1' && ROOMS.every((r) => late.isCaughtUp(r)));
      for (const room of ROOMS) expect(late.shown(room), room).toEqual(writers[0]!.shown(room));
      expectSameGapFreeRooms([...writers, late], ROOMS);
    });

    it("presence: the other server drops the dead server's users after the timeout", async () => {
      const ghost = client('ghost', [s1]); // only knows s1: it cannot move when s1 dies
      const watcher = client('watcher', [s2]);
      ghost.join('room-p');
      watcher.join('room-p');
      await waitFor('the watcher on s2 sees the ghost on s1', () => watcher.presence('room-p').includes('ghost'));
      expect(watcher.presence('room-p')).toEqual(['ghost', 'watcher']);
      const onS2 = await statusOf(cluster.server('s2'));
      expect((onS2.presence as Record<string, Record<string, string[]>>).s1?.['room-p']).toEqual(['ghost']);

      await cluster.kill('s1', 'SIGKILL');
      await waitFor('the watcher no longer sees the ghost', () => !watcher.presence('room-p').includes('ghost'), 20_000);
      expect(watcher.presence('room-p')).toEqual(['watcher']);
      expect(ghost.state).toBe('reconnecting');
    });
  });
}
