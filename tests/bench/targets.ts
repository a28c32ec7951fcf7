// The same job cycle, spoken to each system: what one bench client does per job.
//   our broker:  POST /jobs -> POST /jobs/lease -> POST /jobs/:id/ack      (HTTP/1.1, keep-alive)
//   beanstalkd:  put       -> reserve          -> delete                 (its text protocol over TCP)
// Both wait for a job when none is ready (long-poll / reserve-with-timeout), and both have the server
// write every change to disk with an fsync before answering.

import { BeanstalkClient } from './beanstalk.ts';
import { BrokerHttp } from './broker-http.ts';
import type { LoadClient } from './load.ts';

/** Every job carries the same small payload in both systems (about 60 bytes of JSON). */
export function payload(n: number): { task: string; n: number; note: string } {
  return { task: 'resize-image', n, note: 'bench payload, same bytes for both systems' };
}

const LEASE_WAIT_MS = 5_000;

/**
 * Our broker. All clients share one keep-alive Agent with one socket each, so no request pays for a new
 * TCP connection. Returns a factory for runLoad and the agent's owner, to close at the end.
 */
export function ourBroker(port: number, clients: number): { connect: (i: number) => Promise<LoadClient>; close: () => void } {
  const http = new BrokerHttp(port, clients);
  let n = 0;
  return {
    connect: async (i) => ({
      async cycle(time) {
        await time('enqueue', () => http.enqueue(payload(n++)));
        const job = await time('lease', () => http.lease(`bench-${i}`, LEASE_WAIT_MS));
        if (job === null) throw new Error(`bench-${i}: no job within ${LEASE_WAIT_MS} ms although one was just enqueued`);
        await time('ack', () => http.ack(job));
      },
      close: () => {},
    }),
    close: () => http.close(),
  };
}

/** beanstalkd: one TCP connection per client. */
export function beanstalkd(port: number): { connect: (i: number) => Promise<LoadClient>; close: () => void } {
  let n = 0;
  return {
    connect: async () => {
      const client = await BeanstalkClient.connect(port);
      return {
        async cycle(time) {
          await time('enqueue', () => client.put(Buffer.from(JSON.stringify(payload(n++)))));
          const job = await time('lease', () => client.reserve(LEASE_WAIT_MS / 1000));
          if (job === null) throw new Error(`beanstalkd: no job within ${LEASE_WAIT_MS} ms although one was just put`);
          await time('ack', () => client.delete(job.id));
        },
        close: () => client.close(),
      };
    },
    close: () => {},
  };
}
