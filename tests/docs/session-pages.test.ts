// Session pages follow the course format: seven sections in order, a diagram, and a quiz in the Test section.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { docsDir, h2Headings, listPages, rel, scanMarkdown } from './markdown.ts';

export const SECTIONS = [
  'Review (5 min)',
  'Concept (20 min)',
  'Diagram (10 min)',
  'Demo (15 min)',
  'Exercise (25 min)',
  'Test (10 min)',
  'Summary (5 min)',
];

/** A session page is docs/<part>/NN-name.md (e.g. fundamentals/02-queue-system.md). */
export function isSessionPage(page: string): boolean {
  return dirname(page) !== docsDir && /^\d{2}-[\w-]+\.md$/.test(basename(page));
}

/** Everything that breaks the session format on one page. */
export function sessionProblems(text: string, page: string): string[] {
  const problems: string[] = [];
  const headings = h2Headings(text);
  const titles = headings.map((h) => h.title);
  if (JSON.stringify(titles) !== JSON.stringify(SECTIONS)) {
    problems.push(`H2 headings must be exactly, in order:\n    ${SECTIONS.map((s) => `## ${s}`).join('\n    ')}\n  found:\n    ${titles.map((t) => `## ${t}`).join('\n    ') || '(none)'}`);
  }
  const { lines, fences } = scanMarkdown(text);
  const lineOf = (title: string): number => headings.find((h) => h.title === title)?.n ?? -1;
  const testLine = lineOf('Test (10 min)');
  const summaryLine = lineOf('Summary (5 min)');
  const quizLines = lines.filter((l) => !l.inCode && /<Quiz\b/.test(l.text)).map((l) => l.n);
  if (quizLines.length === 0) problems.push('no <Quiz :questions="questions" /> on the page');
  else if (testLine < 0 || !quizLines.some((n) => n > testLine && (summaryLine < 0 || n < summaryLine))) {
    problems.push(`the <Quiz> (line ${quizLines.join(', ')}) must be in the "## Test (10 min)" section`);
  }
  // The quiz data comes from the .quiz.ts file beside the page.
  const quizImport = /import\s*\{\s*questions\s*\}\s*from\s*['"](\.\/[\w.-]+\.quiz\.ts)['"]/.exec(text);
  if (!quizImport?.[1]) problems.push(`no "import { questions } from './<page>.quiz.ts'" in the page's <script setup>`);
  else if (!existsSync(join(dirname(page), quizImport[1]))) problems.push(`imports ${quizImport[1]}, which does not exist`);
  const diagramLine = lineOf('Diagram (10 min)');
  const nextAfterDiagram = headings.find((h) => h.n > diagramLine)?.n ?? Infinity;
  if (!fences.some((f) => f.lang === 'mermaid' && f.line > diagramLine && f.line < nextAfterDiagram)) {
    problems.push('no ```mermaid diagram in the "## Diagram (10 min)" section');
  }
  return problems;
}

const sessions = listPages().filter(isSessionPage);

test('there are session pages', () => {
  expect(sessions.map((p) => relative(docsDir, p))).toContain('fundamentals/02-queue-system.md');
});

test('every session page has the seven sections in order, a diagram, and a quiz in the Test section', () => {
  const problems = sessions.flatMap((page) => sessionProblems(readFileSync(page, 'utf8'), page).map((p) => `${rel(page)}: ${p}`));
  expect(problems, problems.join('\n')).toEqual([]);
});

describe('the format checker itself', () => {
  const page = join(docsDir, 'fundamentals', '99-example.md');
  const good = [
    '<script setup>',
    "import { questions } from './02-queue-system.quiz.ts'",
    '</script>',
    '',
    '# Title',
    ...SECTIONS.flatMap((s) => [`## ${s}`, '', s.startsWith('Test') ? '<Quiz :questions="questions" />' : s.startsWith('Diagram') ? '```mermaid\nflowchart LR\n  A --> B\n```' : 'Text.', '']),
  ].join('\n');

  test('accepts a page in the format', () => {
    // Uses a real quiz file name so the "file exists" check can pass.
    expect(sessionProblems(good, join(docsDir, 'fundamentals', '02-queue-system.md'))).toEqual([]);
  });

  test('rejects a missing or misplaced section, a quiz outside Test, and a heading inside a code block is ignored', () => {
    expect(sessionProblems(good.replace('## Demo (15 min)', '## Demo'), page).join()).toMatch(/H2 headings must be exactly/);
    expect(sessionProblems(good.replace('<Quiz :questions="questions" />', 'No quiz.'), page).join()).toMatch(/no <Quiz/);
    const moved = good.replace('<Quiz :questions="questions" />', '').replace('## Summary (5 min)\n\nText.', '## Summary (5 min)\n\n<Quiz :questions="questions" />');
    expect(sessionProblems(moved, page).join()).toMatch(/must be in the "## Test \(10 min\)" section/);
    expect(sessionProblems(good.replace('Text.', '```md\n## Extra\n```'), page).join()).not.toMatch(/H2 headings/);
    expect(sessionProblems(good.replace(/```mermaid[\s\S]*?```/, 'No diagram.'), page).join()).toMatch(/no ```mermaid/);
  });

  test('recognises session pages by their NN- prefix inside a part folder', () => {
    expect(isSessionPage(join(docsDir, 'fundamentals', '01-what-is-ds.md'))).toBe(true);
    expect(isSessionPage(join(docsDir, 'reference', 'docker-setup.md'))).toBe(false);
    expect(isSessionPage(join(docsDir, 'index.md'))).toBe(false);
  });
});
