// The browser chat client that every chat server serves at `GET /` (bundled by serve.ts into /app.js).
//
// It holds no ordering logic of its own: the client core (core/receiver.ts) decides what to show, what to hold
// back, what was lost and when to ask again, and keeps the outbox of messages the server has not confirmed.
// This file only moves frames between a WebSocket and that core, and draws the result. Everything a person
// typed (names, messages) is put on the page with textContent, never as HTML.
//
// Query parameters: ?user=ada&rooms=lobby,random fill in the form; ?servers=host:7301,host:7302 overrides the
// list of chat servers. Without it, the page uses the list its server wrote into <meta name="chat-peers">
// (the server's CHAT_PEERS: the runner sets it from the ports it really uses, CHAT_BASE_PORT included), so
// when its server dies the page knows where else to go.

import { isUser, ROOM } from '../core/frames.ts';
import {
  accept,
  acceptGap,
  caughtUp,
  confirmed,
  emptyOutbox,
  emptyReceiver,
  joinFrame,
  queueSend,
  resendAll,
  type Outbox,
  type Received,
  type Receiver,
} from '../core/receiver.ts';
import type { ChatMessage, ClientFrame, ServerFrame } from '../core/types.ts';
import { backoffMs, chooseServers, describe, nextServer, type ConnectionView, type ServerAddress } from './connection.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

// #region state
/** One browser tab's chat: who it is, the rooms it is in, and the client core's two records. */
const me = {
  user: '',
  /** New every page load; with each message's id it lets the bus recognise a resend. */
  clientId: crypto.randomUUID(),
  rooms: [] as string[],
  receiver: emptyReceiver() as Receiver,
  outbox: emptyOutbox() as Outbox,
};

/** The connection: which server, which attempt, and the rooms the server said `caught-up` for on this socket. */
const link = {
  servers: [] as ServerAddress[],
  current: 0,
  socket: null as WebSocket | null,
  welcomed: false,
  attempt: 0,
  caughtUpHere: new Set<string>(),
  lastHeard: 0,
  timeoutMs: 15_000,
  view: { phase: 'connecting', server: '', attempt: 0 } as ConnectionView,
};
// #endregion state

// #region connect
function connect(): void {
  const server = link.servers[link.current]!;
  link.view = { phase: link.attempt === 0 ? 'connecting' : 'reconnecting', server: server.http.replace(/^https?:\/\//, ''), attempt: link.attempt };
  showState();
  const socket = new WebSocket(server.ws);
  link.socket = socket;
  link.welcomed = false;
  link.caughtUpHere.clear();
  link.lastHeard = Date.now();
  socket.onopen = () => send({ type: 'hello', user: me.user, clientId: me.clientId });
  socket.onmessage = (event) => {
    if (socket !== link.socket) return;
    link.lastHeard = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(event.data)) as ServerFrame;
    } catch {
      return;
    }
    onFrame(frame);
  };
  socket.onclose = () => {
    if (socket === link.socket) lost();
  };
}

function send(frame: ClientFrame): void {
  if (link.socket?.readyState === WebSocket.OPEN) link.socket.send(JSON.stringify(frame));
}

/** `welcome`: say which rooms we are in and what we last saw in each, then send what is still unconfirmed. */
function onWelcome(server: string, timeoutMs: number): void {
  link.welcomed = true;
  link.attempt = 0;
  link.timeoutMs = timeoutMs;
  link.view = { phase: 'connected', server, attempt: 0 };
  for (const room of me.rooms) send(firstJoin(room));
  for (const frame of resendAll(me.outbox)) send(frame);
  showState();
}

/** A room this tab has never seen is joined without `after` (the server sends recent history); else resume. */
function firstJoin(room: string): ClientFrame {
  return me.receiver.rooms[room] === undefined ? { type: 'join', room } : joinFrame(me.receiver, room);
}
// #endregion connect

// #region reconnect
/** The socket closed (the server died, restarted or dropped us): try the next server, waiting longer each time. */
function lost(): void {
  const socket = link.socket;
  link.socket = null;
  link.welcomed = false;
  if (socket !== null) {
    socket.onclose = socket.onmessage = socket.onopen = null;
    socket.close();
  }
  link.attempt += 1;
  link.current = nextServer(link.servers.length, link.current);
  const next = link.servers[link.current]!;
  link.view = { phase: 'reconnecting', server: next.http.replace(/^https?:\/\//, ''), attempt: link.attempt };
  showState();
  setTimeout(connect, backoffMs(link.attempt, Math.random()));
}

/** Heartbeat: ping well inside the server's timeout; a socket silent for a whole timeout is given up on. */
setInterval(() => {
  if (link.socket === null) return;
  if (Date.now() - link.lastHeard > link.timeoutMs) {
    lost();
    return;
  }
  if (link.welcomed) send({ type: 'ping' });
}, 3000);
// #endregion reconnect

// #region receive
function onFrame(frame: ServerFrame): void {
  switch (frame.type) {
    case 'welcome':
      onWelcome(frame.server, frame.clientTimeoutMs);
      return;
    case 'message': {
      const { type: _type, ...message } = frame;
      if (me.rooms.includes(message.room)) apply(message.room, accept(me.receiver, message));
      return;
    }
    case 'gap':
      if (me.rooms.includes(frame.room)) {
        // Before anything of the room was received this is a fresh join's "older messages exist", not a loss.
        const fresh = me.receiver.rooms[frame.room] === undefined;
        apply(frame.room, acceptGap(me.receiver, frame.room, frame.from, frame.to), fresh);
      }
      return;
    case 'caught-up':
      if (!me.rooms.includes(frame.room)) return;
      if (frame.seq < (me.receiver.rooms[frame.room]?.last ?? 0)) return startOver(frame.room, frame.seq);
      apply(frame.room, caughtUp(me.receiver, frame.room, frame.seq));
      if (me.receiver.rooms[frame.room]?.caughtUp === true) link.caughtUpHere.add(frame.room);
      showState();
      return;
    case 'sent':
      me.outbox = confirmed(me.outbox, frame.id);
      showPending(frame.room);
      return;
    case 'presence':
      if (me.rooms.includes(frame.room)) showOnline(frame.room, frame.online);
      return;
    case 'error':
      showError(`${frame.code}: ${frame.message}`);
      if (frame.code === 'unavailable' || frame.code === 'rate-limited') retryLater();
      return;
    case 'pong':
      return;
  }
}

/** Carry out what the receiver core decided: a notice for lost messages, the messages to show, a re-join. */
function apply(room: string, received: Received, olderThanLoaded = false): void {
  me.receiver = received.receiver;
  if (received.lost) showLost(room, received.lost.from, received.lost.to, olderThanLoaded);
  for (const message of received.show) showMessage(message);
  if (received.rejoin) {
    link.caughtUpHere.delete(room);
    send(received.rejoin);
    showState();
  }
}

/**
 * The server says the room ends at a seq lower than one this tab already showed: the room's history started
 * over (the bus was restarted with an empty history, e.g. a new `npm run example:chat`). The receiver core
 * would drop every new message up to our old seq as a duplicate, so we forget the room's receiver state, say
 * what happened, and join the room again like a tab that never saw it.
 */
function startOver(room: string, newest: number): void {
  const { [room]: _old, ...rest } = me.receiver.rooms;
  me.receiver = { rooms: rest };
  link.caughtUpHere.delete(room);
  const list = roomView(room)?.querySelector('ol.messages');
  if (list) {
    list.replaceChildren(
      element('li', { class: 'notice', 'data-reset': String(newest) }, `This room's history started over (the chat was restarted without its stored messages), so the messages shown here before are gone. Showing the room afresh.`),
    );
  }
  send({ type: 'join', room });
  showState();
}

/** The bus was down, or we sent too fast: a little later, send what is still unconfirmed again (same ids). */
let retryTimer: ReturnType<typeof setTimeout> | null = null;
function retryLater(): void {
  retryTimer ??= setTimeout(() => {
    retryTimer = null;
    if (link.welcomed) for (const frame of resendAll(me.outbox)) send(frame);
  }, 1500);
}
// #endregion receive

// #region rooms
function joinRoom(room: string): void {
  if (me.rooms.includes(room)) return;
  me.rooms.push(room);
  addRoomView(room);
  if (link.welcomed) send(firstJoin(room));
  showState();
}

function leaveRoom(room: string): void {
  me.rooms = me.rooms.filter((name) => name !== room);
  const { [room]: _left, ...rest } = me.receiver.rooms;
  me.receiver = { rooms: rest }; // joining again later starts afresh with recent history
  link.caughtUpHere.delete(room);
  send({ type: 'leave', room });
  roomView(room)?.remove();
  showState();
}

function sendText(room: string, text: string): void {
  const queued = queueSend(me.outbox, room, text);
  me.outbox = queued.outbox;
  if (link.welcomed) send(queued.frame); // otherwise it goes out with the others after the next welcome
  showPending(room);
}
// #endregion rooms

// #region render
// Everything below writes user content with textContent: a message "<img src=x onerror=alert(1)>" is shown as
// those characters and never becomes an element.

function showState(): void {
  const status = $('status');
  const allCaughtUp = link.welcomed && me.rooms.every((room) => link.caughtUpHere.has(room));
  const view: ConnectionView = link.welcomed ? { ...link.view, phase: allCaughtUp ? 'caught-up' : 'connected' } : link.view;
  const text = describe(view);
  if (status.textContent !== text) status.textContent = text;
  status.dataset.state = view.phase;
  status.dataset.server = view.server;
  status.dataset.attempt = String(view.attempt);
}

function roomView(room: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`section.room[data-room="${room}"]`);
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function addRoomView(room: string): void {
  const section = element('section', { class: 'room', 'data-room': room, 'aria-labelledby': `title-${room}` });
  const header = element('div', { class: 'room-head' });
  header.append(element('h2', { id: `title-${room}` }, `#${room}`));
  const leave = element('button', { type: 'button', class: 'secondary' }, `Leave ${room}`);
  leave.addEventListener('click', () => leaveRoom(room));
  header.append(leave);

  const online = element('div', { class: 'online-box' });
  online.append(element('h3', { id: `online-title-${room}` }, 'Online'));
  online.append(element('ul', { class: 'online', 'aria-labelledby': `online-title-${room}`, 'aria-live': 'polite' }));

  // It scrolls, so it takes the keyboard focus too (arrow keys scroll it).
  const messages = element('ol', { class: 'messages', tabindex: '0', 'aria-label': `Messages in ${room}`, 'aria-live': 'polite', 'aria-relevant': 'additions' });

  const form = element('form', { class: 'send' });
  form.append(element('label', { for: `text-${room}` }, `Message to #${room}`));
  const row = element('div', { class: 'row' });
  const input = element('input', { id: `text-${room}`, name: 'text', autocomplete: 'off', maxlength: '2000', required: '' });
  row.append(input, element('button', { type: 'submit' }, 'Send'));
  form.append(row, element('p', { class: 'pending', 'aria-live': 'polite' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text === '') return;
    sendText(room, text);
    input.value = '';
  });

  section.append(header, online, messages, form);
  $('rooms-view').append(section);
}

function showMessage(message: ChatMessage): void {
  const list = roomView(message.room)?.querySelector('ol.messages');
  if (!list) return;
  const item = element('li', { 'data-seq': String(message.seq) });
  item.append(element('span', { class: 'seq', 'aria-hidden': 'true' }, `#${message.seq}`));
  item.append(element('span', { class: 'from' }, message.from));
  item.append(element('span', { class: 'text' }, message.text));
  list.append(item);
  item.scrollIntoView({ block: 'nearest' });
}

function showLost(room: string, from: number, to: number, olderThanLoaded: boolean): void {
  const list = roomView(room)?.querySelector('ol.messages');
  if (!list) return;
  const range = from === to ? `Message ${from} is` : `Messages ${from}–${to} are`;
  const text = olderThanLoaded ? `${range} older than the recent history shown here.` : `${range} no longer kept: the room's history is bounded.`;
  list.append(element('li', { class: 'notice', 'data-gap': `${from}-${to}` }, text));
}

function showOnline(room: string, names: string[]): void {
  const list = roomView(room)?.querySelector('ul.online');
  if (!list) return;
  list.replaceChildren(...names.map((name) => element('li', {}, name)));
}

function showPending(room: string): void {
  const line = roomView(room)?.querySelector('p.pending');
  if (!line) return;
  const count = me.outbox.pending.filter((entry) => entry.room === room).length;
  line.textContent = count === 0 ? '' : `${count} message${count === 1 ? '' : 's'} waiting for the server to confirm…`;
}

function showError(text: string): void {
  $('errors').textContent = text;
}
// #endregion render

// #region start
function parseRooms(text: string): string[] | string {
  const rooms = [...new Set(text.split(/[\s,]+/).filter((name) => name !== ''))];
  if (rooms.length === 0) return 'Name at least one room.';
  const bad = rooms.find((room) => !ROOM.test(room));
  if (bad !== undefined) return `"${bad}" is not a room name: use 1–32 of a–z, 0–9 and "-", starting with a letter or digit.`;
  return rooms;
}

/** ?servers= if given, else the chat servers the page's own server listed in its <meta name="chat-peers">. */
function findServers(query: URLSearchParams): ServerAddress[] {
  const peers = document.querySelector<HTMLMetaElement>('meta[name="chat-peers"]')?.content ?? null;
  return chooseServers(location.origin, query.get('servers'), peers);
}

function start(): void {
  const query = new URLSearchParams(location.search);
  const nameInput = $<HTMLInputElement>('name');
  const roomsInput = $<HTMLInputElement>('rooms');
  nameInput.value = query.get('user') ?? '';
  roomsInput.value = query.get('rooms') ?? 'lobby';

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const user = nameInput.value.trim();
    const rooms = parseRooms(roomsInput.value);
    const problem = !isUser(user) ? 'Your name: 1–32 characters, no control characters.' : typeof rooms === 'string' ? rooms : '';
    $('login-error').textContent = problem;
    if (problem !== '' || typeof rooms === 'string') return;
    me.user = user;
    $('login').hidden = true;
    $('chat').hidden = false;
    $('who').textContent = user;
    for (const room of rooms) joinRoom(room);
    link.servers = findServers(query);
    connect();
  });

  $('add-room').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('new-room');
    const rooms = parseRooms(input.value);
    $('add-room-error').textContent = typeof rooms === 'string' ? rooms : '';
    if (typeof rooms === 'string') return;
    for (const room of rooms) joinRoom(room);
    input.value = '';
  });
}

start();
// #endregion start
