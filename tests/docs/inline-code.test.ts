// Inline ```ts blocks on pages must compile (strict, repo tsconfig). Pages should have none: code comes from
// examples/ via `<<<` imports, which `npm run typecheck` already covers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { docsDir, listPages, scanMarkdown } from './markdown.ts';
import { TS_LANGS, typecheckSnippets, type Snippet } from './typecheck-snippets.ts';

const snippets: Snippet[] = listPages().flatMap((page) =>
  scanMarkdown(readFileSync(page, 'utf8'))
    .fences.filter((f) => TS_LANGS.has(f.lang))
    .map((f) => ({ page, line: f.line, code: f.content })),
);

test(`every inline TypeScript block on a page type-checks (found ${snippets.length})`, () => {
  const errors = typecheckSnippets(snippets);
  expect(errors, errors.join('\n')).toEqual([]);
});

describe('the snippet type-checker itself', () => {
  const page = join(docsDir, 'fundamentals', 'example-page.md');

  test('passes correct code, including an import from examples/ with the .ts extension', () => {
    const ok = [
      "import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';",
      "const q: QuizQuestion = { question: 'Why?', choices: [{ text: 'x', correct: true, explanation: 'y' }] };",
      'console.log(q.choices[0]?.text);',
    ].join('\n');
    expect(typecheckSnippets([{ page, line: 10, code: ok }])).toEqual([]);
  });

  test('reports a type error with the page and the line it is on', () => {
    const errors = typecheckSnippets([{ page, line: 10, code: "const a = 1;\nconst n: number = 'one';" }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^docs\/fundamentals\/example-page\.md:12: TS2322/);
  });

  test('is strict, with the repo options (noUncheckedIndexedAccess, verbatimModuleSyntax)', () => {
    expect(typecheckSnippets([{ page, line: 1, code: 'function f(x) { return x; }\nf(1);' }]).join()).toMatch(/TS7006/);
    expect(typecheckSnippets([{ page, line: 1, code: 'const xs: number[] = [];\nconst y: number = xs[0];\nconsole.log(y);' }]).join()).toMatch(/TS2322/);
  });

  test('keeps snippets apart (the same name in two blocks is fine)', () => {
    expect(typecheckSnippets([{ page, line: 1, code: 'const a = 1; console.log(a);' }, { page, line: 20, code: 'const a = 2; console.log(a);' }])).toEqual([]);
  });
});
