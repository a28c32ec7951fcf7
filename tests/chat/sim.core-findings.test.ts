// A bug the chat simulator's seed sweep found in the chat server core (examples/chat/core/server.ts at commit
// bb4f5dd), as the smallest run that shows it, driving one server's core by hand. Reported to the lead; the
// core is theirs. `it.fails` keeps the suite green while the bug is there: once the core is fixed this test
// starts failing, and then `it.fails` becomes `it`.
//
// Found by tests/chat/sim.test.ts's sweep (42 of seeds 1-600, e.g. `npm run sim:chat -- --seed 22 --scenario
// chaos`): a client joins while its server's bus connection is down. The core asks the bus for a read, the
// adapter answers read-failed at once (the bus is unavailable), the core forgets the read, and the room stays
// at `last: null`. When the bus comes back, `bus-up` reads only rooms whose `last` is known, so this room is
// never read: the client never gets `caught-up` nor any message of the room, for as long as it stays connected.
import { describe, expect, it } from 'vitest';
import { initialState, step } from '../../examples/chat/core/server.ts';
import { defaultConfig } from '../../examples/chat/core/types.ts';

describe('chat server core: found by the simulator', () => {
  it('a room joined while the bus was down is read once the bus is up again', () => {
    const state = initialState({ ...defaultConfig, id: 's1' });
    step(state, { kind: 'open', conn: 'a', at: 0 });
    step(state, { kind: 'frame', conn: 'a', data: JSON.stringify({ type: 'hello', user: 'ada', clientId: 'c1' }), at: 1 });
    const join = step(state, { kind: 'frame', conn: 'a', data: JSON.stringify({ type: 'join', room: 'lobby', after: 0 }), at: 2 });
    expect(join.bus).toContainEqual({ op: 'read', room: 'lobby', after: 0, limit: 200 });
    step(state, { kind: 'read-failed', room: 'lobby', after: 0, reason: 'the bus is unavailable' });
    const up = step(state, { kind: 'bus-up', at: 300 });
    // Expected: the bus is back and a member is waiting, so the core reads the room (and catches the member up).
    expect(up.bus.filter((r) => r.op === 'read').map((r) => r.op === 'read' && r.room)).toContain('lobby');
  });
});
