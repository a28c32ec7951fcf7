// Exercise 1: make the deposit handler idempotent.
//
// The story: a client sends a deposit, the server applies it, and the reply is lost on the way back. The
// client hears nothing, so it sends the same deposit again (same requestId). This handler applies it again:
// the money is deposited twice. Your job: apply each requestId at most once, and answer a repeat with the
// very same reply the first attempt produced.
//
// Check your work:            npm run check -- 01-idempotent-handler
// Read about it:              docs/fundamentals/01-what-is-ds.md (section "Exercise")
//
// Rules of the game:
//   - Change only the body of handleDeposit (keep its name and signature; the checker calls it).
//   - `state` is updated in place, as the real server does. `state.replies` is there for you to use:
//     it maps a requestId to the reply you sent for it.
//   - A requestId that was never applied must still be validated and applied exactly as below.

import { validateDeposit, type AccountState, type DepositReply, type DepositRequest } from '../../messaging/core/account.ts';

export function handleDeposit(state: AccountState, request: DepositRequest): DepositReply {
  // TODO 1: Before anything else, look up request.requestId in state.replies.
  //         Hint: `const seen = state.replies[request.requestId];` is undefined when the id is new.
  // TODO 2: If it is there, this is a retry: return the stored reply unchanged, and do NOT touch the balance.

  const refusal = validateDeposit(request);
  if (refusal !== null) return refusal; // a refused deposit changed nothing, so there is nothing to remember

  state.balance += request.amount;
  const reply: DepositReply = {
    ok: true,
    type: 'deposited',
    requestId: request.requestId,
    amount: request.amount,
    balance: state.balance,
  };

  // TODO 3: Remember the reply under request.requestId before returning it, so a retry can find it.
  //         Hint: the reply must be the one from the FIRST time, with the balance as it was then.
  return reply;
}
