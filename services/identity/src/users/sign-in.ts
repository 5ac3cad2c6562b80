// Checking a user's email and password. In front of scrypt: the progressive
// delays of the client IP (across accounts) and of the account, then a place
// in the bounded hashing queue (first lane for addresses without recent
// failures). Answers take as long for unknown accounts as for known ones, and
// go through the same lane, so they do not reveal which emails have accounts.

import { errors } from '../errors.ts';
import { oauthError } from '../oauth/oauth-errors.ts';
import { isHashQueueFull, type HashQueue } from '../throttle/hash-queue.ts';
import { retryAfterSeconds, type ThrottleDecision } from '../throttle/login-throttle.ts';
import type { ThrottleStore } from '../throttle/throttle-store.ts';
import { normaliseEmail } from './email.ts';
import { hashPassword, needsRehash, verifyOrDummy, type ScryptParams } from './password-hash.ts';
import type { User, UserStore } from './user-store.ts';

/** What a shed request is told to wait: a place frees up within a few hash times (~0.1 s each). */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export interface SignInDeps {
  users: UserStore;
  throttle: ThrottleStore;
  queue: HashQueue;
  now: () => number;
  scrypt: ScryptParams;
}

function throttled(decision: ThrottleDecision & { allowed: false }, whose: string) {
  const seconds = retryAfterSeconds(decision.retryAfterMs);
  return oauthError('invalid_grant', `Too many failed sign-ins ${whose}; try again in ${seconds} seconds.`, {
    factory: errors.loginThrottled,
    headers: { 'retry-after': String(seconds) },
    extensions: { retryAfter: seconds },
  });
}

/** The 429 of a full hashing queue, OAuth-shaped at the token endpoint. */
export function busyError(oauth: boolean) {
  const detail = `Too many password checks at once; try again in ${BUSY_RETRY_AFTER_SECONDS} second.`;
  const options = {
    headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) },
    extensions: { retryAfter: BUSY_RETRY_AFTER_SECONDS },
  };
  return oauth
    ? oauthError('temporarily_unavailable', detail, { factory: errors.busy, ...options })
    : errors.busy({ detail, ...options });
}

export function createSignIn(deps: SignInDeps) {
  /**
   * The user with these credentials, for a request from client IP `ip`;
   * throws the OAuth-flavoured invalid credentials, throttled or busy errors.
   */
  return async function signIn(username: string, password: string, ip: string): Promise<User> {
    const email = normaliseEmail(username);
    const byIp = await deps.throttle.checkIp(ip, deps.now());
    if (!byIp.allowed) throw throttled(byIp, 'from this address');
    // An address that has been failing waits behind those that have not, and one failing more hashes only
    // when nobody else does: a guesser's admitted checks neither hold up nor slow down a customer. (Known to
    // the caller anyway; says nothing about the account.)
    const lane = byIp.recentFailures > 0 ? 'second' : 'first';
    const byAccount = await deps.throttle.admit(email, deps.now());
    if (!byAccount.allowed) throw throttled(byAccount, 'for this account');
    const user = await deps.users.findByEmail(email);
    let matches: boolean;
    try {
      matches = await deps.queue.run(
        ip,
        lane,
        () => verifyOrDummy(password, user?.passwordHash, deps.scrypt),
        byIp.recentFailures,
      );
    } catch (err) {
      if (isHashQueueFull(err)) throw busyError(true);
      throw err;
    }
    if (!user || !matches) {
      // The address's checks still waiting in the queue learn it now, not when they pass checkIp.
      deps.queue.failed(ip);
      await deps.throttle.ipFailed(ip, deps.now());
      throw oauthError('invalid_grant', 'The email or password is wrong.', { factory: errors.invalidCredentials });
    }
    await deps.throttle.succeeded(email);
    if (needsRehash(user.passwordHash, deps.scrypt)) {
      // An upgrade that can wait for the next sign-in when the queue is full.
      const rehashed = await deps.queue
        .run(ip, lane, () => hashPassword(password, deps.scrypt))
        .catch((err: unknown) => {
          if (isHashQueueFull(err)) return undefined;
          throw err;
        });
      if (rehashed) await deps.users.updatePasswordHash(user.id, rehashed, new Date(deps.now()));
    }
    return user;
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
