// GET /api/v1/home: the storefront's first page in one call, served by the
// gateway itself (an aggregation, not a proxied path). Anonymous callers get
// it without a cart; a failing part never turns the page into a 5xx.

import { bearerToken, Counter, isSoukError, type JwtVerifier, type ServiceContext, type TokenExchanger } from '@souk/chassis';
import { HOME_PATH, HomePage } from '../../contract.ts';
import { DeadlineExceeded } from './deadline.ts';
import type { HomeCaller, HomePageBuilder } from './home-page.ts';

const USER_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export interface HomeAuth {
  /** Checks users' tokens (the external audience). */
  users: Pick<JwtVerifier, 'verify'>;
  /** The internal token the cart call carries instead of the user's. */
  exchanger: Pick<TokenExchanger, 'exchange'>;
}

export function registerHomeRoute(ctx: ServiceContext, auth: HomeAuth, home: HomePageBuilder): void {
  const degradedTotal = new Counter({
    name: 'souk_gateway_home_degraded_total',
    help: 'Home pages served with a section missing or stood in for, by section.',
    labelNames: ['section'],
    registers: [ctx.metrics],
  });
  const sourceTotal = new Counter({
    name: 'souk_gateway_home_recommendations_total',
    help: 'Home pages by where their recommendations came from (recommendations, bestsellers, bestsellers-cache, catalog, none).',
    labelNames: ['source'],
    registers: [ctx.metrics],
  });

  /**
   * Who is asking, and the internal token their cart is read with. A bad token
   * is the caller's to fix (401, as on any route), but identity being
   * unreachable (keys or exchange) is ours: the page is served without the cart
   * rather than refused.
   */
  async function callerOf(header: string | undefined, clientAddress: string | undefined): Promise<HomeCaller> {
    const token = bearerToken(header);
    if (!token || !header) return {};
    try {
      const identity = await auth.users.verify(token);
      // A service token's subject is a client id: it has no cart.
      if (!USER_ID.test(identity.subject)) return {};
      return { authorization: `Bearer ${await auth.exchanger.exchange(token, clientAddress)}` };
    } catch (err) {
      if (isSoukError(err) && err.status >= 500) return { unverified: true };
      throw err;
    }
  }

  ctx.app.get(
    HOME_PATH,
    {
      schema: {
        summary: "The home page: newest products, the caller's cart summary and recommendations, each degrading on its own",
        tags: ['home'],
        response: { 200: HomePage },
      },
    },
    async (request, reply) => {
      const caller = await callerOf(request.headers.authorization, request.socket.remoteAddress);
      const { page, failures } = await home.build(caller);
      for (const section of page.degraded) degradedTotal.inc({ section });
      sourceTotal.inc({ source: page.recommendations?.source ?? 'none' });
      if (page.degraded.length > 0) request.log.debug({ failures }, 'home page served degraded');
      // Personal (the cart) and, when degraded, worth asking again soon: no shared cache may keep it.
      reply.header('cache-control', 'no-store');
      return page;
    },
  );
}

/** Logs a failed part: expected failures (timeouts, coded errors) quietly, anything else as a warning. */
export function logHomeFailure(log: ServiceContext['log']) {
  return (part: string, err: unknown): void => {
    if (err instanceof DeadlineExceeded || isSoukError(err))
      log.debug({ part, code: isSoukError(err) ? err.code : 'DEADLINE' }, `home: ${part} failed`);
    else log.warn({ part, err }, `home: ${part} failed unexpectedly`);
  };
}
