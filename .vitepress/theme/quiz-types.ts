// A quiz is data kept beside its page: docs/<part>/<page>.quiz.ts exports `questions: QuizQuestion[]`.
export interface QuizChoice {
  text: string;
  correct?: boolean;
  /** Why this answer is right or wrong; shown when the learner picks it. */
  explanation: string;
}

export interface QuizQuestion {
  question: string;
  choices: QuizChoice[];
}
