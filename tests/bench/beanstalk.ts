// A minimal beanstalkd client: the four commands the bench needs, spoken over one TCP connection.
//
// beanstalkd's protocol is plain text (https://github.com/beanstalkd/beanstalkd/blob/master/doc/protocol.txt):
// a command line ending in "\r\n", for `put` followed by the job's bytes and "\r\n"; one reply line per
// command, for `reserve` followed by the job's bytes. One command at a time per connection, as our bench
// clients do with the broker, so replies arrive in order and a simple FIFO of waiting calls is enough.

import net from 'node:net';

export interface Reserved {
  id: string;
  body: Buffer;
}

export class BeanstalkClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: { parse: (buf: Buffer) => number; fail: (err: Error) => void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const failAll = (err: Error) => {
      for (const w of this.waiting.splice(0)) w.fail(err);
    };
    socket.on('error', failAll);
    socket.on('close', () => failAll(new Error('beanstalkd closed the connection')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<BeanstalkClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => {
        socket.off('error', reject);
        resolve(new BeanstalkClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** put <pri> <delay> <ttr> <bytes>: returns the new job's id. TTR (the lease time) in seconds. */
  async put(body: Buffer, ttrSeconds = 10): Promise<string> {
    const { line } = await this.command(Buffer.concat([Buffer.from(`put 0 0 ${ttrSeconds} ${body.length}\r\n`), body, CRLF]));
    return expect(line, /^INSERTED (\d+)$/)[1]!;
  }

  /** reserve-with-timeout: the oldest ready job (leased to us for its TTR), or null after `timeoutSeconds`. */
  reserve(timeoutSeconds: number): Promise<Reserved | null> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        fail: reject,
        parse: (buf) => {
          const end = buf.indexOf(CRLF);
          if (end === -1) return 0;
          const line = buf.subarray(0, end).toString('latin1');
          if (line === 'TIMED_OUT') return settle(end + 2, () => resolve(null));
          const m = /^RESERVED (\d+) (\d+)$/.exec(line);
          if (m === null) return settle(end + 2, () => reject(new Error(`beanstalkd: unexpected reply ${line}`)));
          const size = Number(m[2]);
          const total = end + 2 + size + 2;
          if (buf.length < total) return 0; // the job's bytes have not all arrived yet
          return settle(total, () => resolve({ id: m[1]!, body: Buffer.from(buf.subarray(end + 2, end + 2 + size)) }));
        },
      });
      this.socket.write(`reserve-with-timeout ${timeoutSeconds}\r\n`);
    });
  }

  /** delete <id>: the job is finished (our broker's ack). */
  async delete(id: string): Promise<void> {
    expect((await this.command(Buffer.from(`delete ${id}\r\n`))).line, /^DELETED$/);
  }

  /** stats: the server's counters (a small YAML map, parsed line by line). */
  async stats(): Promise<Record<string, string>> {
    const { line, body } = await this.command(Buffer.from('stats\r\n'));
    expect(line, /^OK \d+$/);
    const out: Record<string, string> = {};
    for (const m of body.matchAll(/^([\w-]+): (.*)$/gm)) out[m[1]!] = m[2]!;
    return out;
  }

  /** Sends a command; the reply is one line, plus a body when the line is "OK <bytes>". */
  private command(bytes: Buffer): Promise<{ line: string; body: string }> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        fail: reject,
        parse: (buf) => {
          const end = buf.indexOf(CRLF);
          if (end === -1) return 0;
          const line = buf.subarray(0, end).toString('latin1');
          const ok = /^OK (\d+)$/.exec(line);
          if (ok === null) return settle(end + 2, () => resolve({ line, body: '' }));
          const total = end + 2 + Number(ok[1]) + 2;
          if (buf.length < total) return 0;
          const body = buf.subarray(end + 2, total - 2).toString('utf8');
          return settle(total, () => resolve({ line, body }));
        },
      });
      this.socket.write(bytes);
    });
  }

  /** Hands complete replies to their callers, oldest call first. */
  private drain(): void {
    while (this.waiting.length > 0 && this.buffer.length > 0) {
      const used = this.waiting[0]!.parse(this.buffer);
      if (used === 0) return; // incomplete: wait for more bytes
      this.waiting.shift();
      this.buffer = this.buffer.subarray(used);
    }
  }

  close(): void {
    this.socket.end('quit\r\n');
  }
}

const CRLF = Buffer.from('\r\n');

function settle(used: number, then: () => void): number {
  then();
  return used;
}

function expect(line: string, pattern: RegExp): RegExpExecArray {
  const m = pattern.exec(line);
  if (m === null) throw new Error(`beanstalkd: expected ${pattern}, got "${line}"`);
  return m;
}
