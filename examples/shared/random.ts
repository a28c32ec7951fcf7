// Seeded randomness for simulators, checkers and tests: the same seed gives the same numbers on every run and
// every machine, so a failing run can be replayed from the seed it prints. Pure (no clock, no Math.random),
// so it runs in Node and in the browser alike.

/**
 * mulberry32: a tiny 32-bit pseudo-random generator (Tommy Ettinger's public-domain design). Good enough to
 * scatter test faults and shuffle quiz choices; not for cryptography. Returns numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
