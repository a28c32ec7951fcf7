// Ordering and resume never produce a gap or a duplicate under random disconnects (issue 8, Part III).
//
// fast-check builds random schedules for a whole system made of the pure cores (tests/chat/core-world.ts):
// two or three chat servers, one sequencer as the bus, three clients in one or two rooms. The schedule
// interleaves sends, bus work, live deliveries that are dropped, duplicated or reordered, answers that
// overtake live messages, a server's bus connection going down and up, server crashes, slow clients that are
// dropped (4008), and clients that disconnect and reconnect to either server with join{after} and resend
// their unconfirmed messages. After every step, for every client and room:
//  - what it showed is in seq order, with no duplicate and no gap except a range a `gap` frame announced, and
//    an announced range is one the bus really no longer keeps (or a fresh join's "older messages exist");
//  - each message it showed is the sequencer's message with that seq (so all clients agree);
//  - each `sent` it got names its own message.
// At the end everything is delivered without loss: then every client has each of its rooms up to the last
// seq, every send was confirmed, every message a client queued is in the sequence exactly once, and every
// client's online list is the set of users connected to that room.
// On failure fast-check prints the seed and the shrunk schedule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { World, type Event, type WorldOptions } from './core-world.ts';

type Op =
  | { op: 'send'; client: number; room: number }
  | { op: 'clientRecv'; client: number; count: number }
  | { op: 'connect'; client: number; server: number }
  | { op: 'disconnect'; client: number }
  | { op: 'busExec' | 'serverRecv' | 'drop' | 'dup'; server: number; pick: number }
  /** busUp: the connection is back (or, if it never went down, it blipped: a bus-up input all the same). */
  | { op: 'busDown' | 'busUp' | 'restart'; server: number }
  | { op: 'tick'; server: number; dt: number };

const client = fc.nat(2);
const server = fc.nat(2);
const pick = fc.nat(30);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('send' as const), client, room: fc.nat(1) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('clientRecv' as const), client, count: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('connect' as const), client, server }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('disconnect' as const), client }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('busExec' as const), server, pick }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('serverRecv' as const), server, pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('drop' as const, 'dup' as const), server, pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('busDown' as const, 'busUp' as const), server }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const), server }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), server, dt: fc.constantFrom(0, 400, 1000, 4000) }) },
);

const setupArb = fc.record({
  servers: fc.integer({ min: 2, max: 3 }),
  historyLimit: fc.constantFrom(3, 6, 1000),
  maxQueuedFrames: fc.constantFrom(8, 16, 1000),
  recentOnJoin: fc.constantFrom(2, 50),
  clients: fc.tuple(
    ...[0, 1, 2].map(() => fc.record({ rooms: fc.constantFrom(['a'], ['b'], ['a', 'b'], ['b', 'a']), fresh: fc.boolean() })),
  ),
});

/** Every client and room: in order, no duplicates, gaps only where announced (and legitimately). */
function checkShown(world: World): void {
  expect(world.problems).toEqual([]);
  for (const client of world.clients) {
    for (const [room, events] of Object.entries(client.events)) {
      expect(walk(events), `${client.clientId} in ${room}: ${JSON.stringify(events)}`).not.toBeNull();
    }
  }
}

/** The last seq an event list covers, or null if it skips, repeats or goes back, or a gap is not legitimate. */
function walk(events: Event[]): number | null {
  let next = 1;
  for (const e of events) {
    if ('show' in e) {
      if (e.show !== next) return null;
      next += 1;
    } else {
      if (!e.legit || e.lost[0] !== next || e.lost[1] < e.lost[0]) return null;
      next = e.lost[1] + 1;
    }
  }
  return next - 1;
}

function apply(world: World, o: Op): void {
  const n = 'server' in o ? o.server % world.nodes.length : 0;
  switch (o.op) {
    case 'send': return world.send(o.client, o.room);
    case 'clientRecv': return world.clientRecv(o.client, o.count);
    case 'connect': return world.connect(o.client, n);
    case 'disconnect': return world.disconnect(o.client);
    case 'busExec': return world.busExec(n, o.pick);
    case 'serverRecv': return world.serverRecv(n, o.pick);
    case 'drop': return world.liveFault(n, o.pick, false);
    case 'dup': return world.liveFault(n, o.pick, true);
    case 'busDown': return world.busDown(n);
    case 'busUp': return world.busUp(n);
    case 'restart': return world.restart(n);
    case 'tick': return world.tick(n, o.dt);
  }
}

function run(setup: WorldOptions, ops: Op[]): World {
  const world = new World(setup);
  world.clients.forEach((client, c) => {
    world.connect(c, c % world.nodes.length);
    world.clientRecv(c, client.incoming.length);
  });
  for (const o of ops) {
    apply(world, o);
    checkShown(world);
  }
  expect(world.settle(), 'the system settles once faults stop').toBe(true);
  checkShown(world);
  world.beatAll();
  checkShown(world);
  // Every client caught up with every room, and every send is in the sequence exactly once.
  for (const client of world.clients) {
    expect(client.outbox.pending, `${client.clientId}'s unconfirmed sends`).toEqual([]);
    for (const room of client.rooms) {
      const last = (world.log[room] ?? []).length - 1;
      expect(walk(client.events[room]!), `${client.clientId} reached the end of ${room}`).toBe(Math.max(last, 0));
    }
    const mine = Object.values(world.log).flatMap((ms) => ms.filter((m) => m?.clientId === client.clientId).map((m) => m.id));
    expect(mine.sort((a, b) => a - b)).toEqual(Array.from({ length: client.outbox.nextId - 1 }, (_, i) => i + 1));
  }
  // Presence: each client's latest list for a room is exactly the users connected to it.
  for (const client of world.clients) {
    for (const room of client.rooms) {
      const expected = [...new Set(world.clients.filter((c) => c.conn !== null && c.rooms.includes(room)).map((c) => c.user))].sort();
      expect(client.presence[room], `${client.clientId}'s online list for ${room}`).toEqual(expected);
    }
  }
  return world;
}

describe('chat core: several servers, one sequencer, random faults', () => {
  it('ordering and resume never produce a gap or a duplicate; at rest every client has everything', () => {
    fc.assert(
      fc.property(setupArb, fc.array(opArb, { minLength: 1, maxLength: 150, size: 'max' }), (setup, ops) => {
        run(setup, ops);
      }),
      { numRuns: Number(process.env.CHAT_RUNS ?? 500), interruptAfterTimeLimit: 120_000 },
    );
  });

  it('the schedules do reach what they are meant to (many messages shown, gap notices, reconnects)', () => {
    // A guard against a harness that quietly does nothing: over a fixed sample, the interesting things happen.
    const seen = { messages: 0, gaps: 0, reconnects: 0 };
    fc.assert(
      fc.property(setupArb, fc.array(opArb, { minLength: 100, maxLength: 150 }), (setup, ops) => {
        const world = run(setup, ops);
        for (const client of world.clients) {
          for (const events of Object.values(client.events)) {
            seen.messages += events.filter((e) => 'show' in e).length;
            seen.gaps += events.filter((e) => 'lost' in e).length;
          }
        }
        seen.reconnects += world.nodes.reduce((sum, node) => sum + node.conns, 0);
      }),
      { numRuns: 40, seed: 8 },
    );
    expect(seen.messages).toBeGreaterThan(1000);
    expect(seen.gaps).toBeGreaterThan(10);
    expect(seen.reconnects).toBeGreaterThan(40 * 3 * 2);
  });
});
