// Reading source code in tests that check what a file may use (tests/architecture, tests/queue/sim-purity).

/** Source without comments and string contents, so a comment that mentions Math.random does not count. */
export function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
}
