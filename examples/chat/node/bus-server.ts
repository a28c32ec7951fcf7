// The course bus as a process: a WebSocket server that every chat server connects to. Its whole state is the
// sequencer core (core/sequencer.ts); this file only moves frames, the disk and the sockets.
//
//   append  -> number it with the core, log it (fsync), then answer the sender and publish the message to
//              every connected chat server (the sender's too: its other clients in the room need it)
//   read    -> answer from the core's history (after the disk has every message the answer could show)
//   beat    -> relay to every other chat server (presence; not sequenced, not stored)
//
// Run it:   PORT=7300 DATA_DIR=.data/chat-bus node --import tsx examples/chat/node/bus-server.ts
// The protocol is in bus.ts (BusRequestFrame, BusReplyFrame); the disk in bus-log.ts.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { DataDirInUseError, lockDataDir, type DataDirLock } from '../../queue/node/lock.ts';
import { append, defaultSequencerConfig, emptySequencer, read, type SequencerConfig, type SequencerState } from '../core/sequencer.ts';
import { checkRequest, MAX_BUS_FRAME_BYTES, type BusReplyFrame } from './bus.ts';
import { compactLog, CorruptLogError, keptMessages, LOG_FILE, MessageLog, readLog, replayMessages } from './bus-log.ts';
import { configFromEnv } from '../../shared/env-config.ts';

export const USAGE = `usage: [PORT=7300] [HOST=127.0.0.1] [DATA_DIR=dir] [HISTORY_LIMIT=1000] node --import tsx examples/chat/node/bus-server.ts

  PORT           the port chat servers connect to (ws://HOST:PORT), 0-65535, default 7300 (0: any free port)
  HOST           the interface to listen on, default 127.0.0.1 (containers use 0.0.0.0)
  DATA_DIR       where messages.jsonl is kept (fsync before every answer); without it the bus forgets
                 everything when it stops
  HISTORY_LIMIT  messages kept per room, default 1000 (older ones are dropped; a client that is further
                 behind is told about the gap)`;

export interface BusServerConfig {
  port: number;
  host: string;
  dataDir: string | null;
  sequencer: SequencerConfig;
}

export function parseBusConfig(env: Record<string, string | undefined>): { ok: true; config: BusServerConfig } | { ok: false; error: string } {
  const whole = (name: string, fallback: number, min: number, max: number): number | string => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) return `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`;
    return Number(raw);
  };
  const port = whole('PORT', 7300, 0, 65535);
  if (typeof port === 'string') return { ok: false, error: port };
  const historyLimit = whole('HISTORY_LIMIT', defaultSequencerConfig.historyLimit, 1, 1_000_000);
  if (typeof historyLimit === 'string') return { ok: false, error: historyLimit };
  const dataDir = env.DATA_DIR ? path.resolve(env.DATA_DIR) : null;
  return { ok: true, config: { port, host: env.HOST || '127.0.0.1', dataDir, sequencer: { ...defaultSequencerConfig, historyLimit } } };
}

/** A chat server that lets this much of our output pile up unread is dropped (it reconnects and reads). */
const MAX_BUFFERED_BYTES = 32 << 20;

// #region bus-server
export class BusServer {
  readonly http = http.createServer((req, res) => this.answerHttp(req, res));
  private readonly wss = new WebSocketServer({ server: this.http, maxPayload: MAX_BUS_FRAME_BYTES });
  private readonly peers = new Set<WebSocket>();
  readonly counters = { appends: 0, duplicates: 0, reads: 0, beats: 0, badFrames: 0 };

  constructor(
    private state: SequencerState,
    private readonly log: MessageLog,
    private readonly config: SequencerConfig,
    private readonly print: (line: string) => void,
  ) {
    this.wss.on('error', () => {}); // ws repeats the http server's errors (a taken port); main reports those
    this.wss.on('connection', (ws, req) => {
      const who = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      this.peers.add(ws);
      ws.on('message', (data, isBinary) => this.onFrame(ws, data, isBinary));
      ws.on('close', () => this.peers.delete(ws));
      ws.on('error', (err) => this.print(`chat server ${who}: ${err.message}; dropping it`));
    });
  }

  private onFrame(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (isBinary) return this.refuse(ws, undefined, 'send text frames (JSON), not binary ones');
    const checked = checkRequest(data.toString());
    if (!checked.ok) return this.refuse(ws, checked.rid, checked.message);
    const frame = checked.frame;
    switch (frame.type) {
      case 'append': {
        const result = append(this.state, frame.draft, this.config);
        this.state = result.state;
        const reply: BusReplyFrame = { type: 'appended', rid: frame.rid, message: result.message, duplicate: result.duplicate };
        const answer = JSON.stringify(reply); // serialised now: it shows the state this append produced
        if (result.duplicate) {
          this.counters.duplicates++;
          // Already published once. Its line may still be on its way to the disk: answer after it.
          return this.log.whenDurable(() => this.send(ws, answer));
        }
        this.counters.appends++;
        this.log.append(result.message);
        const published = JSON.stringify({ type: 'message', message: result.message } satisfies BusReplyFrame);
        return this.log.whenDurable(() => {
          this.send(ws, answer);
          for (const peer of this.peers) this.send(peer, published);
        });
      }
      case 'read': {
        this.counters.reads++;
        const page = read(this.state, frame.room, frame.after, frame.limit);
        const answer = JSON.stringify({ type: 'page', rid: frame.rid, page } satisfies BusReplyFrame);
        // The page may show messages whose lines are not on disk yet: never reveal what a crash could undo.
        return this.log.whenDurable(() => this.send(ws, answer));
      }
      case 'beat': {
        this.counters.beats++;
        const relayed = JSON.stringify({ type: 'beat', beat: frame.beat } satisfies BusReplyFrame);
        for (const peer of this.peers) if (peer !== ws) this.send(peer, relayed);
        return;
      }
    }
  }

  private refuse(ws: WebSocket, rid: number | undefined, message: string): void {
    this.counters.badFrames++;
    const reply: BusReplyFrame = rid === undefined ? { type: 'error', message } : { type: 'error', rid, message };
    this.send(ws, JSON.stringify(reply));
  }

  private send(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // A chat server that does not read its socket must not make the bus hold everything for it. Live
      // delivery is at-most-once anyway: dropped, it reconnects and reads what it missed.
      this.print(`a chat server is not reading (${ws.bufferedAmount} bytes waiting); dropping its connection`);
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  private answerHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'GET' && req.url === '/health') {
      const rooms = Object.keys(this.state.rooms).length;
      const body = JSON.stringify({ ok: true, rooms, chatServers: this.peers.size, ...this.counters, ...this.log.counters });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('the chat bus speaks WebSocket (see examples/chat/node/bus.ts); GET /health for a status\n');
  }

  /** Stop taking frames, close every chat server's connection, wait for the disk. */
  async stop(): Promise<void> {
    for (const peer of this.peers) peer.close(1001, 'bus shutting down');
    this.wss.close();
    this.http.close();
    await this.log.close();
    for (const peer of this.peers) peer.terminate();
  }
}
// #endregion bus-server

// #region main
async function main(): Promise<void> {
  const print = (line: string) => console.log(line);
  const config = configFromEnv('chat bus', USAGE, parseBusConfig);
  let lock: DataDirLock | null = null;
  let file: string | null = null;
  let state: SequencerState = emptySequencer();
  let recovered = 'no DATA_DIR: memory only, history is lost when the bus stops';
  if (config.dataDir !== null) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    try {
      lock = await lockDataDir(config.dataDir, { role: 'chat bus', print }); // before we read a byte of the log
    } catch (err) {
      if (!(err instanceof DataDirInUseError)) throw err;
      console.error(`chat bus: another process (${err.owner.role}, pid ${err.owner.pid}) is using ${config.dataDir}; stop it or set DATA_DIR to another directory`);
      process.exit(1);
    }
    file = path.join(config.dataDir, LOG_FILE);
    const logged = readLog(file, print);
    try {
      state = replayMessages(logged, config.sequencer);
    } catch (err) {
      if (err instanceof CorruptLogError) throw new CorruptLogError(`${file}: ${err.message}; refusing to start (move the file away to start empty)`);
      throw err;
    }
    const kept = keptMessages(logged, state);
    compactLog(file, kept); // also cuts a torn last line off
    const rooms = Object.keys(state.rooms).length;
    recovered = `data in ${file}: ${logged.length} logged messages replayed, ${kept.length} kept in ${rooms} rooms`;
  }
  const log = await MessageLog.open(file, (err) => {
    console.error(`chat bus: fatal: cannot write ${file} (${err.message}); stopping so nothing unlogged is acknowledged`);
    process.exit(1);
  });
  const bus = new BusServer(state, log, config.sequencer, print);
  bus.http.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'the port is already in use (another bus? an earlier run? the Docker setup?)' : err.message;
    console.error(`chat bus cannot listen on ${config.host}:${config.port}: ${why}; stop that program or set PORT to another port`);
    process.exit(1); // the exit hook releases the lock
  });
  bus.http.listen(config.port, config.host, () => {
    const address = bus.http.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    print(`chat bus listening on ws://${config.host}:${port} (history ${config.sequencer.historyLimit} per room; ${recovered})`);
  });
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    print(`chat bus: ${why}: shutting down (${bus.counters.appends} appends with ${log.counters.fsyncs} fsyncs this run)`);
    setTimeout(() => process.exit(0), 5_000).unref(); // a stuck socket must not keep us alive forever
    await bus.stop();
    lock?.release();
    print('chat bus: log flushed; bye');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Started by a runner with an IPC channel: when that parent dies, even by kill -9, the channel closes and we
  // stop too rather than hold the port for nobody. Our output went to the parent, so writes may now fail
  // (EPIPE): they must not crash us before the log is closed.
  if (process.send !== undefined) {
    process.on('disconnect', () => {
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
      void shutdown('the process that started this bus is gone');
    });
  }
}
// #endregion main

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    if (err instanceof CorruptLogError) console.error(`chat bus cannot start: ${err.message}`);
    else console.error('chat bus failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
