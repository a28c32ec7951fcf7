// The runner's terminal output: every child's lines prefixed with its name in its own colour, plus a
// live status line. On a terminal the status line is redrawn in place at the bottom; when the output is
// a file or a pipe (CI, a test) it is printed as an ordinary line every few seconds instead.
// Colour is used only on a terminal and never when NO_COLOR is set (https://no-color.org).

import type { Readable } from 'node:stream';

const COLOURS = [36, 35, 32, 33, 34, 91, 92, 93]; // cyan, magenta, green, yellow, blue, bright red/green/yellow

export class RunnerOutput {
  readonly tty = process.stdout.isTTY === true;
  private readonly colour = this.tty && !process.env.NO_COLOR;
  private status = '';
  private lastPlainStatus = 0;
  private readonly width: number;

  constructor(names: string[]) {
    this.width = Math.max(...names.map((n) => n.length), 'runner'.length);
  }

  /** Prints one line under a prefix like "[worker-1]", keeping the status line at the bottom. */
  line(name: string, text: string, colourIndex = -1): void {
    const label = `[${name}]`.padEnd(this.width + 2);
    const code = colourIndex >= 0 ? COLOURS[colourIndex % COLOURS.length] : 1; // 1 = bold for the runner
    const prefix = this.colour ? `\x1b[${code}m${label}\x1b[0m` : label;
    if (this.tty && this.status !== '') process.stdout.write('\r\x1b[2K'); // erase the status line
    process.stdout.write(`${prefix} ${text}\n`);
    if (this.tty && this.status !== '') process.stdout.write(this.status);
  }

  /** Splits a child's stdout/stderr into lines and prints each under the child's prefix. */
  pipe(stream: Readable, name: string, colourIndex: number): void {
    this.onLine(stream, (line) => this.line(name, line, colourIndex));
  }

  /** Calls `listener` with every complete line of `stream` (a stream may have several listeners). */
  onLine(stream: Readable, listener: (line: string) => void): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop() ?? '';
      for (const part of parts) listener(part);
    });
    stream.on('end', () => {
      if (rest !== '') listener(rest);
    });
  }

  setStatus(text: string): void {
    if (this.tty) {
      this.status = this.colour ? `\x1b[7m ${text} \x1b[0m` : text; // reverse video
      process.stdout.write(`\r\x1b[2K${this.status}`);
    } else if (Date.now() - this.lastPlainStatus >= 5_000) {
      this.lastPlainStatus = Date.now();
      this.line('status', text);
    }
  }

  clearStatus(): void {
    if (this.tty && this.status !== '') process.stdout.write('\r\x1b[2K');
    this.status = '';
  }
}
