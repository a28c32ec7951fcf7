// Ready-made scripts: the CLI's default scenario and the live example's "Kill s1" tour.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { Action } from './script.ts';

/** ada asks a question; s1 (ada's and bo's server) is killed at 5 s; cy answers while it is down; s1 comes back at 12 s. */
export const killTour: Action[] = [
  { at: 2000, do: 'send', client: 'c1', room: 'lobby', text: 'lunch at noon?' },
  { at: 5000, do: 'kill', server: 's1' },
  { at: 7000, do: 'send', client: 'c3', room: 'lobby', text: 'yes! where?' },
  { at: 12000, do: 'restart', server: 's1' },
];
