// The simulated producer, the loop of ../node/producer.ts: it enqueues the jobs one by one and retries what
// gets no reply, with the same idempotency key, so a retry never makes a second copy of a job.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { emit, retryDelay, schedule, seconds, send } from './network.ts';
import { PRODUCER_PAUSE_MS, REQUEST_TIMEOUT_MS, type Body, type JobPayload, type World } from './types.ts';

// #region producer
/**
 * The producer (producer.ts): one job at a time, each with the idempotency key p-<n>. A request that gets no
 * reply in time may or may not have created the job, so the producer sends the SAME request again; the
 * key makes the broker answer with the job it already has instead of creating a second one.
 */
export function producerSend(world: World): void {
  const p = world.producer;
  if (p.next > p.total) return;
  if (p.outstanding === undefined) {
    const payload: JobPayload = { n: p.next, poison: p.poisonNext };
    p.poisonNext = false;
    p.outstanding = { req: 0, key: `p-${p.next}`, body: { type: 'enqueue', req: 0, key: `p-${p.next}`, payload }, label: `enqueue p-${p.next}`, tries: 0 };
  }
  const o = p.outstanding;
  o.req = world.nextReq++;
  o.tries += 1;
  o.body = { ...o.body, req: o.req } as Body;
  send(world, 'producer', 'broker', o.label, o.body);
  schedule(world, world.now + REQUEST_TIMEOUT_MS, { type: 'producer-timeout', req: o.req });
}

export function producerTimeout(world: World, req: number): void {
  const o = world.producer.outstanding;
  if (o === undefined || o.req !== req) return; // the reply came in time
  const delay = retryDelay(o.tries);
  emit(world, 'producer', 'retry', `no reply to enqueue ${o.key} within ${seconds(REQUEST_TIMEOUT_MS)}; sending the same key again in ${delay} ms`);
  schedule(world, world.now + delay, { type: 'producer-send' });
}

export function producerReceive(world: World, body: Body): void {
  const p = world.producer;
  if (body.type !== 'enqueued' || p.outstanding?.req !== body.req) return; // a reply to a request given up on
  p.outstanding = undefined;
  p.enqueued += 1;
  p.next += 1;
  if (p.next > p.total) emit(world, 'producer', 'producer-done', `all ${p.total} jobs acknowledged by the broker`);
  else schedule(world, world.now + PRODUCER_PAUSE_MS, { type: 'producer-send' });
}
// #endregion producer
