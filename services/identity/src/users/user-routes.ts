// Sign-up and the signed-in user's own record (/me and OIDC UserInfo).

import type { App, Auth, Identity } from '@souk/chassis';
import {
  API_PREFIX,
  SignupRequest,
  User as UserSchema,
  UserInfo,
  type User as UserBody,
  type UserInfo as UserInfoBody,
} from '../../contract.ts';
import { errors } from '../errors.ts';
import { isValidEmail, normaliseEmail } from './email.ts';
import { hashPassword, type ScryptParams } from './password-hash.ts';
import { checkPassword } from './password-policy.ts';
import type { User, UserStore } from './user-store.ts';

export interface UserRouteDeps {
  users: UserStore;
  auth: Auth;
  now: () => number;
  scrypt: ScryptParams;
}

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
    { schema: { summary: 'Create a customer account', body: SignupRequest, response: { 201: UserSchema } } },
    async (request, reply) => {
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
      const passwordHash = await hashPassword(request.body.password, deps.scrypt);
      const user = await deps.users.create({ email, name, passwordHash, roles: ['customer'] }, new Date(deps.now()));
      reply.code(201);
      return toUserBody(user);
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
