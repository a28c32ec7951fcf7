// The reference solution is the handler the demo server really runs, so what the checker proves about it is
// proven about the course's own code. Read it in examples/messaging/core/account.ts (region "idempotent").
export { handleDepositIdempotent as handleDeposit } from '../../messaging/core/account.ts';
