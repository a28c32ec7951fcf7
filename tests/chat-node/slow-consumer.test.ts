// A client that stops reading its socket. The chat server's queue for it counts the frames its socket has not
// taken yet (ws's send callback, reported to the core as `flushed`); once the kernel's buffers are full that
// count grows, and past the limit (core maxQueuedFrames) the server closes it as a slow consumer (4008) and
// forgets it. Everyone else in the room goes on, never waiting for it and never closed. And a client that reads
// nothing at all answers no WebSocket ping either: the server cuts it off as a dead peer.

import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stopAll, waitFor } from '../helpers/processes.ts';
import { startChatCluster, statusOf } from './cluster.ts';

afterAll(() => stopAll());

it('a client that stops reading is closed as a slow consumer (4008); the others in the room are not disturbed', async () => {
  // No WebSocket-level pings here: a client that reads nothing cannot answer them, and would be cut off as dead
  // before its queue fills. This test is about the queue.
  const cluster = await startChatCluster('course', 1, { CHAT_WS_PING_MS: '600000' });
  const s1 = cluster.server('s1');
  const stuck = await stuckClient(s1.port);
  // Senders as plain sockets that count what they get without parsing it (the test process must keep up).
  const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(s1.ws, i)));
  try {
    await waitFor('every sender joined', () => senders.every((x) => x.joined));
    const text = 'x'.repeat(1900);
    let n = 0;
    const timer = setInterval(() => {
      for (const x of senders) if (x.next <= PER_SENDER) x.ws.send(JSON.stringify({ type: 'send', room: 'busy', id: x.next++, text: `${n++} ${text}` }));
    }, 1000 / 15); // 15 frames a second each, under the server's rate limit of 20
    try {
      await waitFor('the server closes the stuck client with 4008', () => s1.proc.lines.some((l) => /closing client c1 \(4008: slow consumer/.test(l)), 60_000, 200);
    } finally {
      clearInterval(timer);
    }
    const status = await statusOf(s1);
    expect((status.rooms as Record<string, { members: string[] }>).busy!.members).not.toContain('stuck');
    const sent = senders.reduce((sum, x) => sum + x.next - 1, 0);
    await waitFor('every sender confirmed and got every message sent', () => senders.every((x) => x.acks === x.next - 1 && x.messages >= sent), 30_000);
    expect(senders.map((x) => x.closed), 'no sender was closed').toEqual(Array(SENDERS).fill(null));
  } finally {
    stuck.destroy();
    for (const x of senders) x.ws.terminate();
  }
}, 120_000);

it('a client that answers no WebSocket ping (a dead peer that never closed) is cut off and leaves the room', async () => {
  // The application's own timeout is set far away, so only the WebSocket-level heartbeat can notice.
  const cluster = await startChatCluster('course', 1, { CHAT_WS_PING_MS: '500', CHAT_CLIENT_TIMEOUT_MS: '600000' });
  const s1 = cluster.server('s1');
  const stuck = await stuckClient(s1.port);
  try {
    await waitFor('stuck is in the room', async () => ((await statusOf(s1)).rooms as Record<string, { members: string[] }>).busy?.members.includes('stuck'));
    await waitFor('the server dropped it', async () => (await statusOf(s1)).connections === 0 && ((await statusOf(s1)).rooms as Record<string, unknown>).busy === undefined, 20_000);
  } finally {
    stuck.destroy();
  }
});

const SENDERS = 20;
const PER_SENDER = 400;

interface Sender {
  ws: WebSocket;
  joined: boolean;
  next: number;
  acks: number;
  messages: number;
  closed: number | null;
}

async function sender(url: string, i: number): Promise<Sender> {
  const ws = new WebSocket(url);
  const x: Sender = { ws, joined: false, next: 1, acks: 0, messages: 0, closed: null };
  ws.on('message', (data: Buffer) => {
    const head = data.subarray(0, 20).toString();
    if (head.startsWith('{"type":"message"')) x.messages++;
    else if (head.startsWith('{"type":"sent"')) x.acks++;
    else if (head.startsWith('{"type":"caught-up"')) x.joined = true;
  });
  ws.on('close', (code) => (x.closed = code));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'hello', user: `sender${i}`, clientId: `sender${i}` }));
  ws.send(JSON.stringify({ type: 'join', room: 'busy', after: 0 }));
  return x;
}

/**
 * A WebSocket client by hand (a `ws` client resumes its socket on its own): it upgrades, says hello, joins
 * "busy", and then never reads another byte. The kernel's buffers fill, then the server's.
 */
async function stuckClient(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const key = crypto.randomBytes(16).toString('base64');
  socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
  });
  for (const frame of [{ type: 'hello', user: 'stuck', clientId: 'stuck' }, { type: 'join', room: 'busy', after: 0 }]) socket.write(maskedText(JSON.stringify(frame)));
  return socket;
}

/** One client-to-server text frame (FIN, opcode 1, masked), payload under 126 bytes. */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = crypto.randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}
