// The order a quiz shows a question's choices in: shuffled, so the right answer is not always where the
// author happened to write it (it was first in 9 of 9 questions of Session 2), yet the same on every render.
//
// The shuffle is seeded by the question's own text. The server render and the browser's hydration compute
// the same order (no hydration mismatch, no flash of reordering), every reader sees the same letters, and a
// question keeps its order when other questions are added or moved. Editing a question's text reshuffles
// only that question. tests/docs/quizzes.test.ts checks that, in the order shown, the right answers are
// spread over the positions.
import { mulberry32 } from '../../examples/shared/random.ts';
import type { QuizQuestion } from './quiz-types.ts';

/** FNV-1a, 32 bits: a small, well-spread hash of a string (Fowler, Noll, Vo). */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The indexes of `question.choices` in the order to show them: a Fisher–Yates shuffle seeded by the
 * question text. Pure: the same question always gives the same order.
 */
export function choiceOrder(question: Pick<QuizQuestion, 'question' | 'choices'>): number[] {
  const order = question.choices.map((_, i) => i);
  const random = mulberry32(hashText(question.question));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
