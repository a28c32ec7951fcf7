import { describe, expect, it, test } from 'vitest';
import { clampRate, linkToRun, queryProblems, settingsFromQuery } from '../../examples/messaging/browser/deposits-settings.ts';

const q = (s: string) => new URLSearchParams(s);
const never = () => {
  throw new Error('no random seed wanted when the link has one');
};

describe('the live deposits example: settings from the link, and the link from the settings', () => {
  it('reads a full link exactly', () => {
    expect(settingsFromQuery(q('example=deposits&seed=42&deposits=12&dropRequest=0.1&dropReply=0.45'), never)).toEqual({
      seed: 42,
      deposits: 12,
      dropRequestRate: 0.1,
      dropReplyRate: 0.45,
    });
  });

  it('a run read from its own link is the same run', () => {
    const s = { seed: 4_000_000_000, deposits: 7, dropRequestRate: 0.05, dropReplyRate: 0.9 };
    expect(linkToRun(s)).toBe('?example=deposits&seed=4000000000&deposits=7&dropRequest=0.05&dropReply=0.9');
    expect(settingsFromQuery(q(linkToRun(s)), never)).toEqual(s);
  });

  it('falls back on defaults and a random seed for missing or malformed values, and clamps the rest', () => {
    expect(settingsFromQuery(q('example=deposits'), () => 99)).toEqual({ seed: 99, deposits: 10, dropRequestRate: 0.2, dropReplyRate: 0.3 });
    expect(settingsFromQuery(q('seed=-1&deposits=500&dropRequest=2&dropReply=abc'), () => 5)).toEqual({
      seed: 5,
      deposits: 30,
      dropRequestRate: 0.9,
      dropReplyRate: 0.3,
    });
    expect(settingsFromQuery(q('seed=1.5&deposits=0'), () => 6)).toMatchObject({ seed: 6, deposits: 1 });
  });

  it('rates snap to the slider step of 5%', () => {
    expect(clampRate(0.33)).toBe(0.35);
    expect(clampRate(0.1 + 0.2)).toBe(0.3);
    expect(clampRate(-0.2)).toBe(0);
  });
});

describe('queryProblems', () => {
  const seed = (): number => 99;
  const read = (text: string) => {
    const query = new URLSearchParams(text);
    return queryProblems(query, settingsFromQuery(query, seed));
  };
  test('says nothing when the link was used as it was, or had no settings', () => {
    expect(read('example=deposits&seed=5&deposits=10&dropRequest=0.2&dropReply=0.35')).toBeUndefined();
    expect(read('example=deposits')).toBeUndefined();
  });
  test('names every value that was changed, what it became and the rule', () => {
    const text = read('seed=x&deposits=-3&dropRequest=5&dropReply=0.3');
    expect(text).toMatch(/seed=x became 99 \(a seed is a whole number/);
    expect(text).toMatch(/deposits=-3 became 1 \(a whole number from 1 to 30\)/);
    expect(text).toMatch(/dropRequest=5 became 0.9 \(a chance from 0 to 0.9/);
    expect(text).not.toMatch(/dropReply/);
  });
});
