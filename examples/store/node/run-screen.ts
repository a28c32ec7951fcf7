// The runner's terminal. Every child's lines scroll by under a coloured "[n3]" prefix; below them sits the
// live view, redrawn in place about twice a second, and under it the runner's prompt. Plain ANSI escapes
// (cursor up, erase down), which every terminal of the last decades understands, Windows Terminal included.
//
// When stdout is not a terminal (a file, a pipe, CI, a test), nothing is redrawn: lines are printed as they
// come, and the view is summed up in one "[view]" line every few seconds. Colour only on a terminal, and
// never with NO_COLOR set (https://no-color.org).

const COLOURS = [36, 35, 32, 33, 34, 91, 92, 93];

export class Screen {
  readonly tty = process.stdout.isTTY === true;
  private readonly colour = this.tty && !process.env.NO_COLOR;
  private view: string[] = [];
  private drawn = 0; // lines of view + prompt on the screen now
  private input = '';
  private active = true;

  constructor(private readonly width: number) {}

  /** One line under a "[name]" prefix, above the view. */
  line(name: string, text: string, colourIndex = -1): void {
    const label = `[${name}]`.padEnd(this.width + 2);
    const code = colourIndex >= 0 ? COLOURS[colourIndex % COLOURS.length] : 1;
    const prefix = this.colour ? `\x1b[${code}m${label}\x1b[0m` : label;
    this.erase();
    process.stdout.write(`${prefix} ${text}\n`);
    this.draw();
  }

  /** Replaces the view (TTY only; see summary lines for pipes). */
  setView(lines: string[]): void {
    this.view = lines;
    this.erase();
    this.draw();
  }

  setInput(text: string): void {
    this.input = text;
    this.erase();
    this.draw();
  }

  /** Leaves the view on the screen as it is and stops redrawing (before the runner prints its last lines). */
  freeze(): void {
    if (!this.tty || !this.active) return;
    this.erase();
    this.active = false;
  }

  private erase(): void {
    if (!this.tty || !this.active || this.drawn === 0) return;
    process.stdout.write(`\r${this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : ''}\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.tty || !this.active || this.view.length === 0) return;
    const columns = process.stdout.columns || 80;
    const rows = process.stdout.rows || 24;
    const prompt = `command> ${this.input}`;
    // Never more lines than the terminal has (cursor-up cannot reach lines that scrolled away), never wider
    // (a wrapped line would count twice).
    const body = this.view.slice(0, Math.max(1, rows - 2));
    const lines = [...body, prompt].map((l) => (l.length >= columns ? l.slice(0, columns - 1) : l));
    const shown = lines.map((l, i) => (this.colour && i === 0 ? `\x1b[1m${l}\x1b[0m` : l));
    process.stdout.write(shown.join('\n'));
    this.drawn = lines.length;
  }
}
