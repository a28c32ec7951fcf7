// Reading configuration from environment variables, with defaults and a clear message when a value is
// wrong. Every program of the queue example is configured this way (it is what Docker and most process
// managers offer), and documents its variables in its header comment.

export function envString(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number >= 0, got "${text}"`);
    process.exit(2);
  }
  return value;
}

export function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`${name} must be a number >= 0, got "${text}"`);
    process.exit(2);
  }
  return value;
}
