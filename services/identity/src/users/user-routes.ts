// Sign-up and the signed-in user's own record (/me and OIDC UserInfo).

import type { App, Auth, Identity } from '@souk/chassis';
import {
  API_PREFIX,
  SignupAccepted,
  SignupRequest,
  User as UserSchema,
  UserInfo,
  type User as UserBody,
  type UserInfo as UserInfoBody,
} from '../../contract.ts';
import { errors } from '../errors.ts';
import { clientIp } from '../throttle/client-ip.ts';
import { isHashQueueFull, type HashQueue } from '../throttle/hash-queue.ts';
import type { RequestLimits } from '../throttle/request-limits.ts';
import { isValidEmail, normaliseEmail } from './email.ts';
import { hashPassword, type ScryptParams } from './password-hash.ts';
import { checkPassword } from './password-policy.ts';
import { busyError } from './sign-in.ts';
import type { User, UserStore } from './user-store.ts';

export interface UserRouteDeps {
  users: UserStore;
  auth: Auth;
  now: () => number;
  scrypt: ScryptParams;
  limits: RequestLimits;
  queue: HashQueue;
}

export const SIGNUP_ACCEPTED_MESSAGE =
  'Sign-up received. If this address had no account, it has one now: sign in with the password you chose. ' +
  "If it had one, its owner has been told, and that account's password is unchanged.";

export function toUserBody(user: User): UserBody {
  return { id: user.id, email: user.email, name: user.name, roles: user.roles, createdAt: user.createdAt.toISOString() };
}

/** OIDC UserInfo: the email claims with scope `email`, the name with scope `profile`. */
export function toUserInfo(user: User, scopes: readonly string[]): UserInfoBody {
  return {
    sub: user.id,
    roles: user.roles,
    ...(scopes.includes('email') ? { email: user.email, email_verified: false } : {}),
    ...(scopes.includes('profile') && user.name !== null ? { name: user.name } : {}),
  };
}

export function registerUserRoutes(app: App, deps: UserRouteDeps): void {
  async function currentUser(identity: Identity | undefined): Promise<{ user: User; scopes: readonly string[] }> {
    // Service tokens (client_credentials) carry the client as their subject.
    if (!identity || identity.subject === identity.clientId) {
      throw errors.userTokenRequired('This endpoint describes a signed-in user; the token was issued to a client.');
    }
    const user = await deps.users.findById(identity.subject);
    if (!user) throw errors.userNotFound(`No user ${identity.subject}.`);
    return { user, scopes: identity.scopes };
  }

  app.post(
    `${API_PREFIX}/signup`,
    {
      // The address's budget before the body is even read.
      onRequest: async (request) => {
        deps.limits.take('signupPerIp', clientIp(request.headers['x-forwarded-for'], request.socket.remoteAddress), {
          oauth: false,
        });
      },
      schema: { summary: 'Create a customer account', body: SignupRequest, response: { 202: SignupAccepted } },
    },
    async (request, reply) => {
      const ip = clientIp(request.headers['x-forwarded-for'], request.socket.remoteAddress);
      const email = normaliseEmail(request.body.email);
      if (!isValidEmail(email)) throw errors.emailInvalid(`${JSON.stringify(request.body.email)} is not a valid email address.`);
      const verdict = checkPassword(request.body.password, email);
      if (!verdict.ok) {
        throw errors.weakPassword({
          detail: verdict.reasons.map((r) => r.message).join(' '),
          extensions: { reasons: verdict.reasons },
        });
      }
      const name = request.body.name?.trim() || null;
      // Hashed whether or not the email is taken, so both answers take as long.
      let passwordHash: string;
      try {
        passwordHash = await deps.queue.run(ip, 'second', () => hashPassword(request.body.password, deps.scrypt));
      } catch (err) {
        if (isHashQueueFull(err)) throw busyError(false);
        throw err;
      }
      await deps.users.register({ email, name, passwordHash, roles: ['customer'] }, new Date(deps.now()));
      reply.code(202);
      return { email, message: SIGNUP_ACCEPTED_MESSAGE };
    },
  );

  app.get(
    `${API_PREFIX}/me`,
    { preHandler: deps.auth.required(), schema: { summary: 'The signed-in user', response: { 200: UserSchema } } },
    async (request) => toUserBody((await currentUser(request.identity)).user),
  );

  // OIDC Core 5.3.1: the UserInfo endpoint answers GET and POST.
  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: `${API_PREFIX}/userinfo`,
      preHandler: deps.auth.required(),
      schema: { summary: 'OpenID Connect UserInfo', response: { 200: UserInfo } },
      handler: async (request) => {
        const { user, scopes } = await currentUser(request.identity);
        return toUserInfo(user, scopes);
      },
    });
  }
}
