// How a program that is configured only by environment variables starts: `--help` prints its usage, any other
// argument or a bad variable prints what is wrong and the usage, and exits 2. Used by the chat bus and the chat
// server (examples/chat/node/bus-server.ts, server.ts). Node only (process).

/** The parsed configuration, or the exit (0 for --help, 2 for a usage error) after saying why. */
export function configFromEnv<C>(
  name: string,
  usage: string,
  parse: (env: Record<string, string | undefined>) => { ok: true; config: C } | { ok: false; error: string },
): C {
  if (process.argv.length > 2) {
    const help = ['-h', '--help'].includes(process.argv[2]!);
    (help ? console.log : console.error)(`${help ? '' : `${name}: it takes no arguments (got ${process.argv.slice(2).join(' ')}); it is configured by environment variables\n\n`}${usage}`);
    process.exit(help ? 0 : 2);
  }
  const parsed = parse(process.env);
  if (!parsed.ok) {
    console.error(`${name}: ${parsed.error}\n\n${usage}`);
    process.exit(2);
  }
  return parsed.config;
}
