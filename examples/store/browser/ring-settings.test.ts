// The live ring's link: what it reads from a query, what it refuses and says, and that a link round-trips.
import { describe, expect, test } from 'vitest';
import { linkToRun, nextNodeName, settingsFromQuery, sortNodes } from './ring-settings.ts';

const read = (query: string) => settingsFromQuery(new URLSearchParams(query), () => 777);

describe('settingsFromQuery', () => {
  test('no query: a picked seed, 128 tokens, n1 to n5, nothing to complain about', () => {
    expect(read('')).toEqual({ settings: { seed: 777, vnodes: 128, nodes: ['n1', 'n2', 'n3', 'n4', 'n5'] } });
  });

  test('reads a whole link, nodes sorted by number', () => {
    expect(read('example=ring&seed=42&vnodes=8&nodes=n10,n2,n1')).toEqual({ settings: { seed: 42, vnodes: 8, nodes: ['n1', 'n2', 'n10'] } });
  });

  test.each([
    ['seed=-1', /seed "-1" is not a whole number from 0 to 99999, so seed 777 was picked/],
    ['seed=1.5', /seed "1.5"/],
    ['seed=', /seed ""/],
    ['vnodes=64', /vnodes "64" is not one of 1, 8, 32, 128, so 128 is used/],
    ['vnodes=', /vnodes ""/],
    ['nodes=n1,n0', /"n0" is not a node name/],
    ['nodes=n11', /"n11" is not a node name/],
    ['nodes=a,b', /"a", "b" are not node names/],
    ['nodes=', /no node/],
    ['nodes=n1,n1', /listed twice/],
  ])('%s is refused with a message, and the default used', (query, message) => {
    const { settings, problem } = read(query);
    expect(problem).toMatch(message);
    expect(problem).toMatch(/^The link's /);
    expect(settings).toEqual({ seed: 777, vnodes: 128, nodes: ['n1', 'n2', 'n3', 'n4', 'n5'] });
  });

  test('a link round-trips', () => {
    const settings = { seed: 9, vnodes: 1, nodes: ['n6', 'n1', 'n4'] };
    const link = linkToRun(settings);
    expect(link).toBe('?example=ring&seed=9&vnodes=1&nodes=n1,n4,n6');
    expect(read(link.slice(1))).toEqual({ settings: { ...settings, nodes: sortNodes(settings.nodes) } });
  });
});

test('nextNodeName: the number after the highest, then the lowest free, none past ten', () => {
  expect(nextNodeName(['n1', 'n2', 'n3', 'n4', 'n5'])).toBe('n6');
  expect(nextNodeName(['n1', 'n2', 'n4', 'n5'])).toBe('n6');
  expect(nextNodeName(['n2', 'n10'])).toBe('n1');
  expect(nextNodeName([])).toBe('n1');
  expect(nextNodeName(Array.from({ length: 10 }, (_, i) => `n${i + 1}`))).toBeUndefined();
});
