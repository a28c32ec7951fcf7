import { describe, expect, it } from 'vitest';
import { clampRate, linkToRun, settingsFromQuery } from '../../examples/messaging/browser/deposits-settings.ts';

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
