// How time passes and how messages travel. The agenda is the simulation's clock: a sorted list of things due
// at future moments, and nothing else moves time. The network is a list of messages in flight, each with a
// seeded delay, lost if its connection breaks on the way or nobody is listening when it arrives.
// Everything here is shared by the broker, the producer and the workers; nothing here knows the queue.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { Job } from '../core/queue.ts';
import {
  NETWORK_DELAY_MS,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
  type Body,
  type Due,
  type InFlight,
  type JobPayload,
  type NodeName,
  type Scheduled,
  type TimelineEvent,
  type World,
} from './types.ts';
import { insertInOrder } from '../../shared/agenda.ts';

// ---------------------------------------------------------------------------------------------------------
// The agenda: what is due, earliest first.

export function schedule(world: World, at: number, due: Due, phase: 0 | 1 = 0): void {
  const item: Scheduled = { at, phase, seq: world.nextSeq++, due };
  insertInOrder(world.agenda, item);
}

export function emit(world: World, node: TimelineEvent['node'], kind: string, text: string, jobId?: string): void {
  world.events.push({ at: world.now, node, kind, text, ...(jobId !== undefined ? { jobId } : {}) });
}

export const draw = (world: World, [lo, hi]: readonly [number, number]): number => lo + Math.floor(world.random() * (hi - lo + 1));

export const retryDelay = (tries: number): number => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(tries - 1, 5));

// #region network
/**
 * Sends a message: it arrives after a seeded delay, unless the connection breaks first (either end is killed
 * or crashes while it is in flight) or nobody is listening when it arrives (the broker is down).
 */
export function send(world: World, from: NodeName, to: NodeName, label: string, body: Body, jobId?: string): void {
  const msg: InFlight = {
    id: world.nextMessageId++,
    from,
    to,
    sentAt: world.now,
    deliverAt: world.now + draw(world, NETWORK_DELAY_MS),
    label,
    body,
    ...(jobId !== undefined ? { jobId } : {}),
  };
  world.messages.push(msg);
  schedule(world, msg.deliverAt, { type: 'deliver', messageId: msg.id });
}

/** A request and its reply travel over one connection: when one end dies, what is in flight on it is lost. */
export function dropMessages(world: World, node: NodeName, reason: string): void {
  for (const msg of world.messages.filter((m) => m.from === node || m.to === node)) {
    emit(world, 'network', 'message-lost', `${msg.label} (${msg.from} -> ${msg.to}) lost: ${reason}`, msg.jobId);
  }
  world.messages = world.messages.filter((m) => m.from !== node && m.to !== node);
}

export function isUp(world: World, node: NodeName): boolean {
  if (node === 'broker') return world.broker.up;
  if (node === 'producer') return true;
  return world.workers[workerNumber(node) - 1]!.up;
}
// #endregion network

// ---------------------------------------------------------------------------------------------------------
// Small helpers the parts share.

export function isPoison(job: Job): boolean {
  return (job.payload as Partial<JobPayload> | null)?.poison === true;
}

export function workerNumber(name: NodeName): number {
  return Number(name.slice('worker-'.length));
}

/** "5.0 s", "0.8 s", "12.5 s": one decimal, no locale. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
