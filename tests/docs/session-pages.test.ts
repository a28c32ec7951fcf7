// Session pages follow the course format: seven sections in order, a diagram, and a quiz in the Test section.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { docsDir, h2Headings, listPages, rel, scanMarkdown } from './markdown.ts';
import { MAX_REQUIRED_WORDS, WPM, countWords, requiredText, requiredWords, sectionLengths, statedReadingMinutes } from './reading-time.ts';

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

/**
 * What share of a section's minutes its required reading may take. Review and Summary are reading; in
 * Concept and Diagram the code listings and the diagrams need time beyond the prose; in Demo, Exercise and
 * Test the learner runs commands, writes code or answers the quiz, so reading may take at most half.
 */
export const READING_SHARE: Record<string, number> = {
  Review: 1,
  Concept: 0.75,
  Diagram: 0.75,
  Demo: 0.5,
  Exercise: 0.5,
  Test: 0.5,
  Summary: 1,
};

/** Everything wrong with a page's length: the total, and each section's stated and allowed reading time. */
export function lengthProblems(text: string): string[] {
  const problems: string[] = [];
  const total = requiredWords(text);
  if (total > MAX_REQUIRED_WORDS) {
    problems.push(`${total} words on the required path, over ${MAX_REQUIRED_WORDS}: move depth into "::: details Optional: ..." blocks or a reference page`);
  }
  for (const section of sectionLengths(text)) {
    const m = /^(\w+) \((\d+) min\)$/.exec(section.title);
    if (!m?.[1] || !SECTIONS.includes(section.title)) continue;
    const [name, minutes] = [m[1], Number(m[2])];
    const stated = statedReadingMinutes(text, section.title);
    if (stated === undefined) {
      problems.push(`"## ${section.title}" needs a reading-time line right under it: *~${section.minutes} min read*`);
    } else if (stated !== section.minutes) {
      problems.push(`"## ${section.title}" says *~${stated} min read* but has ${section.words} required words: *~${section.minutes} min read* at ${WPM} words a minute`);
    }
    const allowed = Math.floor(minutes * (READING_SHARE[name] ?? 1));
    if (section.minutes > allowed) {
      problems.push(`"## ${section.title}" takes ~${section.minutes} min to read (${section.words} words); at most ${allowed} of its ${minutes} min may be reading`);
    }
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

test('every session page reads in its 90 minutes: a reading time under each section, within its minutes', () => {
  const problems = sessions.flatMap((page) => lengthProblems(readFileSync(page, 'utf8')).map((p) => `${rel(page)}: ${p}`));
  expect(problems, problems.join('\n')).toEqual([]);
});

describe('the length checker itself', () => {
  const withReading = (minutes: Record<string, number>, body: (s: string) => string): string =>
    SECTIONS.map((s) => `## ${s}\n\n*~${minutes[s] ?? 1} min read*\n\n${body(s)}\n`).join('\n');
  const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

  test('counts prose only: not code, imports, optional details, comments, tags or table pipes', () => {
    const md = [
      '---', 'title: Not counted', '---', 'one two', '',
      '```ts', 'const notCounted = 1;', '```', '',
      '<<< @/../examples/x.ts#region', '',
      '::: details Optional: deep dive', 'not counted at all', ':::', '',
      '::: tip Counted', 'three four', ':::', '',
      '<details><summary>no</summary>not counted</details>', '',
      '<!-- not counted -->', '<!--@include: ./parts/x.md-->', '',
      '| five | six |', '|---|---|', '', 'seven <kbd>Ctrl</kbd>',
    ].join('\n');
    expect(requiredText(md)).not.toMatch(/not ?counted/i);
    // one two; "tip Counted" + three four; five six; seven Ctrl; and the `:::` fence lines are not words.
    expect(requiredWords(md)).toBe(2 + 2 + 2 + 2 + 2 + 0);
    expect(countWords('| --- | ## |')).toBe(0);
  });

  test('splits by section and rounds reading time up', () => {
    const md = `intro words\n## Concept (20 min)\n\n${words(201)}\n## Demo (15 min)\n\nshort\n`;
    expect(sectionLengths(md)).toEqual([
      { title: '', words: 2, minutes: 1 },
      { title: 'Concept (20 min)', words: 204, minutes: 2 },
      { title: 'Demo (15 min)', words: 4, minutes: 1 },
    ]);
  });

  test('accepts figures that match, rejects a missing or wrong figure, an over-long section or page', () => {
    const ok = withReading({}, () => 'A few words.');
    expect(lengthProblems(ok)).toEqual([]);
    expect(lengthProblems(ok.replace('## Demo (15 min)\n\n*~1 min read*', '## Demo (15 min)')).join()).toMatch(/Demo.*needs a reading-time line/);
    expect(lengthProblems(withReading({ 'Review (5 min)': 3 }, () => 'A few words.')).join()).toMatch(/says \*~3 min read\* but has 9 required words: \*~1 min read\*/);
    // Demo: 8 minutes of reading is over half of 15.
    const longDemo = withReading({ 'Demo (15 min)': 8 }, (s) => (s.startsWith('Demo') ? words(1550) : 'A few words.'));
    expect(lengthProblems(longDemo).join()).toMatch(/Demo \(15 min\)" takes ~8 min to read.*at most 7 of its 15 min/);
    // The same words inside an optional part are fine.
    const optional = withReading({}, (s) => (s.startsWith('Demo') ? `Run it.\n\n::: details Optional: more\n${words(1550)}\n:::` : 'A few words.'));
    expect(lengthProblems(optional)).toEqual([]);
    const fat = withReading({ 'Concept (20 min)': 15, 'Diagram (10 min)': 7, 'Review (5 min)': 5 }, (s) =>
      s.startsWith('Concept') ? words(2990) : s.startsWith('Diagram') ? words(1390) : s.startsWith('Review') ? words(990) : 'A few words.',
    );
    expect(lengthProblems(fat).join()).toMatch(/words on the required path, over 4500/);
  });
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
