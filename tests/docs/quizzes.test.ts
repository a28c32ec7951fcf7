// Every quiz (docs/<part>/<page>.quiz.ts) has at least 5 questions, exactly one right answer per question and
// an explanation on every choice, and sits beside the page that shows it. And a quiz cannot be passed
// without reading it: in the order <Quiz> shows the choices (choiceOrder, seeded per question), the right
// answers are spread over the positions, and the right answer is not a giveaway by its length (issue 5
// found it first in 9 of 9 questions, and the longest in 15 of 17).
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { choiceOrder } from '../../.vitepress/theme/quiz-order.ts';
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

/**
 * Problems with where the right answers are shown. `positions[i]` is the shown position (0 = A) of question
 * i's right answer; `choices` how many choices a question has. No position may hold more than half of the
 * right answers, and at least three positions (or all, if fewer) must hold one.
 */
export function positionProblems(positions: number[], choices: number): string[] {
  const count = Array.from({ length: choices }, (_, p) => positions.filter((x) => x === p).length);
  const problems: string[] = [];
  const letter = (p: number) => String.fromCharCode(65 + p);
  count.forEach((n, p) => {
    if (n > positions.length / 2) problems.push(`the right answer is ${letter(p)} in ${n} of ${positions.length} questions`);
  });
  const used = count.filter((n) => n > 0).length;
  if (used < Math.min(3, choices)) problems.push(`the right answers use only ${used} of ${choices} positions (${count.map((n, p) => `${letter(p)}: ${n}`).join(', ')})`);
  return problems;
}

/**
 * Problems with the lengths of the right answers: the right answer may be the longest choice (ties count) in
 * at most half of the questions, and the shortest in at most half, so "pick the longest" is no strategy.
 */
export function lengthProblems(questions: QuizQuestion[]): string[] {
  let longest = 0;
  let shortest = 0;
  for (const q of questions) {
    const lengths = q.choices.map((c) => c.text.length);
    const right = q.choices.find((c) => c.correct === true)?.text.length ?? -1;
    if (right === Math.max(...lengths)) longest += 1;
    if (right === Math.min(...lengths)) shortest += 1;
  }
  const problems: string[] = [];
  if (longest > questions.length / 2) problems.push(`the right answer is the longest choice in ${longest} of ${questions.length} questions`);
  if (shortest > questions.length / 2) problems.push(`the right answer is the shortest choice in ${shortest} of ${questions.length} questions`);
  return problems;
}

/** The shown position of each question's right answer. */
const rightPositions = (questions: QuizQuestion[]) =>
  questions.map((q) => choiceOrder(q).findIndex((i) => q.choices[i]?.correct === true));

const quizFiles = listFiles(docsDir, '.quiz.ts');
const loadQuiz = async (file: string) => ((await import(pathToFileURL(file).href)) as { questions: QuizQuestion[] }).questions;

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

describe('the right answer is not given away by its place or its length', () => {
  test.each(quizFiles.map((f) => [rel(f), f]))('%s: right answers spread over the shown positions, lengths balanced', async (_name, file) => {
    const questions = await loadQuiz(file);
    const choices = Math.min(...questions.map((q) => q.choices.length));
    const problems = [...positionProblems(rightPositions(questions), choices), ...lengthProblems(questions)];
    expect(problems, `${rel(file)}:\n  ${problems.join('\n  ')}`).toEqual([]);
  });

  test('over every quiz together, too', async () => {
    const all = (await Promise.all(quizFiles.map(loadQuiz))).flat();
    const choices = Math.min(...all.map((q) => q.choices.length));
    const positions = rightPositions(all);
    const problems = [...positionProblems(positions, choices), ...lengthProblems(all)];
    // Over many questions each position should hold a fair share: at least half of 1/choices of them.
    for (let p = 0; p < choices; p++) {
      const n = positions.filter((x) => x === p).length;
      if (n < all.length / choices / 2) problems.push(`position ${String.fromCharCode(65 + p)} holds only ${n} of ${all.length} right answers`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  test('the shown order is a permutation, the same on every call (server and browser agree), and seeded per question', async () => {
    const all = (await Promise.all(quizFiles.map(loadQuiz))).flat();
    let moved = 0;
    for (const q of all) {
      const order = choiceOrder(q);
      expect([...order].sort()).toEqual(q.choices.map((_, i) => i));
      expect(choiceOrder(structuredClone(q))).toEqual(order); // depends on the data only, not on object identity
      if (order.some((i, pos) => i !== pos)) moved += 1;
    }
    expect(moved, 'the shuffle leaves almost every question in its written order').toBeGreaterThan(all.length / 2);
    // The seed is the question's own text: the same choices under other questions come out in other orders.
    const choices = all[0]!.choices;
    const orders = new Set(Array.from({ length: 20 }, (_, i) => choiceOrder({ question: `Question ${i}?`, choices }).join()));
    expect(orders.size).toBeGreaterThan(5);
  });
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

  test('rejects right answers bunched on one position, or on too few', () => {
    expect(positionProblems([0, 0, 0, 0, 0, 0, 0, 0, 0], 4).join()).toMatch(/A in 9 of 9 questions/);
    expect(positionProblems([0, 1, 0, 1, 0, 1, 0, 1], 4).join()).toMatch(/only 2 of 4 positions/);
    expect(positionProblems([0, 1, 2, 3, 0, 1, 2, 3], 4)).toEqual([]);
  });

  test('rejects a right answer that is mostly the longest, or mostly the shortest', () => {
    const q = (right: string, ...wrong: string[]): QuizQuestion => ({
      question: 'Q?',
      choices: [{ text: right, correct: true, explanation: 'e' }, ...wrong.map((text) => ({ text, explanation: 'e' }))],
    });
    const long = [q('a long right answer', 'short', 'brief'), q('another long answer', 'no', 'nope'), q('ok', 'fine', 'well')];
    expect(lengthProblems(long).join()).toMatch(/longest choice in 2 of 3/);
    const short = [q('x', 'longer', 'longest'), q('y', 'longer', 'longest'), q('a long right answer', 'z', 'w')];
    expect(lengthProblems(short).join()).toMatch(/shortest choice in 2 of 3/);
  });
});
