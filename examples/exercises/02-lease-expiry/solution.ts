// Reference solution for exercise 02: it is the queue core's own reclaimExpired, so the code the checker
// grades as "correct" is exactly the code the broker runs (and the core's tests prove).
export { reclaimExpired } from '../../queue/core/queue.ts';
