// Type-checks TypeScript code blocks written inline on pages, with the repo's own compiler options.
// Policy: pages import code from examples/ with `<<<` instead; but if an inline ```ts block exists, it must compile.
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { rel, repoRoot } from './markdown.ts';

export interface Snippet {
  /** Absolute path of the page. */
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
}

export const TS_LANGS = new Set(['ts', 'typescript', 'mts', 'cts']);

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot, undefined, configPath);
  return { ...parsed.options, strict: true, noEmit: true };
}

// Parsed library files (lib.*.d.ts, @types/node...) are kept between calls: parsing them is most of the cost.
const sourceCache = new Map<string, ts.SourceFile>();

/** Compile all snippets in one program; return "page:line: message" for every error. */
export function typecheckSnippets(snippets: Snippet[]): string[] {
  if (snippets.length === 0) return [];
  const options = compilerOptions();
  // Each snippet becomes a virtual module beside its page, so relative imports resolve as they read.
  // `export {}` makes it a module: snippets never see each other's top-level names.
  const virtual = new Map<string, Snippet>();
  snippets.forEach((s, i) => virtual.set(join(dirname(s.page), `__inline_${i}_line${s.line}.ts`), s));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const s = virtual.get(fileName);
    return s
      ? ts.createSourceFile(fileName, `${s.code}\nexport {};\n`, languageVersion, true)
      : cachedSourceFile(fileName);
  };
  const cachedSourceFile = (fileName: string): ts.SourceFile | undefined => {
    let sf = sourceCache.get(fileName);
    if (!sf) {
      sf = getSourceFile.call(host, fileName, options.target ?? ts.ScriptTarget.ES2022, undefined, false);
      if (sf) sourceCache.set(fileName, sf);
    }
    return sf;
  };
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => {
    const s = virtual.get(fileName);
    return s ? s.code : readFile.call(host, fileName);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const out: string[] = [];
  for (const [fileName, s] of virtual) {
    const sf = program.getSourceFile(fileName);
    if (!sf) continue;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      out.push(`${rel(s.page)}:${s.line + 1 + line}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return out;
}
