// Checking a user's email and password, with the per-account throttle in
// front. Answers take as long for unknown accounts as for known ones, so they
// do not reveal which emails have accounts.

import { errors } from '../errors.ts';
import { oauthError } from '../oauth/oauth-errors.ts';
import { retryAfterSeconds } from '../throttle/login-throttle.ts';
import type { ThrottleStore } from '../throttle/throttle-store.ts';
import { normaliseEmail } from './email.ts';
import { hashPassword, needsRehash, verifyOrDummy, type ScryptParams } from './password-hash.ts';
import type { User, UserStore } from './user-store.ts';

export interface SignInDeps {
  users: UserStore;
  throttle: ThrottleStore;
  now: () => number;
  scrypt: ScryptParams;
}

export function createSignIn(deps: SignInDeps) {
  /** The user with these credentials; throws the OAuth-flavoured invalid credentials or throttled errors. */
  return async function signIn(username: string, password: string): Promise<User> {
    const email = normaliseEmail(username);
    const decision = await deps.throttle.admit(email, deps.now());
    if (!decision.allowed) {
      const seconds = retryAfterSeconds(decision.retryAfterMs);
      throw oauthError('invalid_grant', `Too many failed sign-ins for this account; try again in ${seconds} seconds.`, {
        factory: errors.loginThrottled,
        headers: { 'retry-after': String(seconds) },
        extensions: { retryAfter: seconds },
      });
    }
    const user = await deps.users.findByEmail(email);
    const matches = await verifyOrDummy(password, user?.passwordHash, deps.scrypt);
    if (!user || !matches) {
      throw oauthError('invalid_grant', 'The email or password is wrong.', { factory: errors.invalidCredentials });
    }
    await deps.throttle.succeeded(email);
    if (needsRehash(user.passwordHash, deps.scrypt)) {
      await deps.users.updatePasswordHash(user.id, await hashPassword(password, deps.scrypt), new Date(deps.now()));
    }
    return user;
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
