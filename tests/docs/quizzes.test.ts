// Every quiz (docs/<part>/<page>.quiz.ts) has at least 5 questions, exactly one right answer per question and
// an explanation on every choice, and sits beside the page that shows it.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';
import { docsDir, listFiles, rel } from './markdown.ts';

export const MIN_QUESTIONS = 5;

/** Problems with one quiz's data. Takes unknown: the file is checked, not trusted. */
export function quizProblems(questions: unknown): string[] {
  if (!Array.isArray(questions)) return ['does not export `questions` as an array'];
  const problems: string[] = [];
  if (questions.length < MIN_QUESTIONS) problems.push(`has ${questions.length} questions; at least ${MIN_QUESTIONS} are required`);
  (questions as Partial<QuizQuestion>[]).forEach((q, i) => {
    const where = `question ${i + 1}`;
    if (typeof q?.question !== 'string' || q.question.trim() === '') problems.push(`${where}: no question text`);
    const choices = Array.isArray(q?.choices) ? q.choices : [];
    if (choices.length < 2) problems.push(`${where}: needs at least 2 choices, has ${choices.length}`);
    const right = choices.filter((c) => c?.correct === true).length;
    if (right !== 1) problems.push(`${where}: needs exactly one correct choice, has ${right}`);
    const texts = new Set<string>();
    choices.forEach((c, j) => {
      const cw = `${where}, choice ${j + 1}`;
      if (typeof c?.text !== 'string' || c.text.trim() === '') problems.push(`${cw}: no text`);
      else if (texts.has(c.text.trim())) problems.push(`${cw}: same text as another choice`);
      else texts.add(c.text.trim());
      if (typeof c?.explanation !== 'string' || c.explanation.trim() === '') problems.push(`${cw}: no explanation`);
    });
  });
  return problems;
}

const quizFiles = listFiles(docsDir, '.quiz.ts');

test('there are quizzes', () => {
  expect(quizFiles.length).toBeGreaterThan(0);
});

test.each(quizFiles.map((f) => [rel(f), f]))('%s', async (_name, file) => {
  const mod = (await import(pathToFileURL(file).href)) as { questions?: unknown };
  const problems = quizProblems(mod.questions);
  const page = file.replace(/\.quiz\.ts$/, '.md');
  if (!existsSync(page)) problems.push(`no page ${rel(page)} beside it to show it`);
  else {
    const name = basename(file);
    const text = readFileSync(page, 'utf8');
    if (!text.includes(`./${name}`)) problems.push(`${rel(page)} does not import ./${name}`);
    if (!/<Quiz\b/.test(text)) problems.push(`${rel(page)} has no <Quiz>`);
  }
  expect(problems, `${rel(file)}:\n  ${problems.join('\n  ')}`).toEqual([]);
});

describe('the quiz checker itself', () => {
  const choice = (correct: boolean, i: number) => ({ text: `choice ${i}`, correct, explanation: `because ${i}` });
  const good = Array.from({ length: MIN_QUESTIONS }, (_, i) => ({ question: `Q${i}?`, choices: [choice(true, 1), choice(false, 2)] }));

  test('accepts a good quiz', () => {
    expect(quizProblems(good)).toEqual([]);
  });

  test('rejects too few questions, zero or two right answers, a missing explanation', () => {
    expect(quizProblems(good.slice(1)).join()).toMatch(/at least 5/);
    expect(quizProblems([...good.slice(1), { question: 'Q?', choices: [choice(false, 1), choice(false, 2)] }]).join()).toMatch(/exactly one correct choice, has 0/);
    expect(quizProblems([...good.slice(1), { question: 'Q?', choices: [choice(true, 1), choice(true, 2)] }]).join()).toMatch(/has 2/);
    expect(quizProblems([...good.slice(1), { question: 'Q?', choices: [choice(true, 1), { text: 'b', explanation: ' ' }] }]).join()).toMatch(/choice 2: no explanation/);
    expect(quizProblems(undefined).join()).toMatch(/does not export/);
  });
});
