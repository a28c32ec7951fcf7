// Named scripts that show one idea each, for `npm run sim:store -- --scenario NAME` and the live example.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { parseScript, type Action } from './script.ts';

// #region partition-tour
/**
 * CAP in one run. k1 is written strongly and read from another node. Then n1 and n2 are cut off from n3, n4,
 * n5. On each side a client writes k1 strongly (the side without a majority of k1's replicas refuses: it
 * cannot elect a leader) and k2 eventually (each side's replicas accept). The partition heals; anti-entropy
 * brings k2's versions together as siblings, and a read shows both.
 */
export const partitionTour: Action[] = parseScript(
  [
    '2500:put:n1:strong:k1:blue',
    '3000:get:n4:strong:k1',
    '4000:partition:n1.n2/n3.n4.n5',
    '7000:put:n1:strong:k1:red',
    '7000:put:n4:strong:k1:green',
    '7500:put:n2:eventual:k2:left',
    '7500:put:n5:eventual:k2:right',
    '8500:get:n1:strong:k1',
    '10000:heal',
    '13000:get:n3:strong:k1',
    '13000:get:n2:eventual:k2',
  ].join(','),
);
// #endregion partition-tour
