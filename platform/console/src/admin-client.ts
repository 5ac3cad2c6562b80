// Calls to the admin listeners of the instances the registry lists (metadata `adminUrl`), with the
// console's certificate (every instance's ADMIN_CALLERS names `console`) and the admin's own token, which
// the gateway exchanged for an internal one: the sagas, events and dead-letter routes check the admin role
// themselves, so the console can do nothing there its user could not. One instance per service answers
// for the service (they share its database); the next is tried when one does not answer.

import { tlsFetches, type Discovery, type ServiceInstance, type ServiceTls } from '@souk/chassis';

export interface AdminAnswer {
  status: number;
  /** Parsed JSON, or the text when the answer was not JSON. */
  body: unknown;
}

/** Nothing answered (refused, timed out, TLS failed); `message` says what happened. */
export class Unreachable extends Error {}

export interface AdminCall {
  method?: 'GET' | 'POST';
  /** The admin's bearer token, passed on as it came. */
  authorization?: string | undefined;
}

export interface AdminClient {
  /** One instance's admin listener at `adminUrl`. */
  call(service: string, adminUrl: string, path: string, options?: AdminCall): Promise<AdminAnswer>;
  /** Any instance of `service` with an admin listener; undefined when the registry lists none. */
  callService(service: string, path: string, options?: AdminCall): Promise<AdminAnswer | undefined>;
  /** Every listed service with an admin listener, each asked in parallel; `skip` names the ones to leave out. */
  fanOut(
    path: string,
    options?: AdminCall & { skip?: (service: string) => boolean },
  ): Promise<{ answers: { service: string; answer: AdminAnswer }[]; unreachable: { service: string; error: string }[] }>;
  close(): Promise<void>;
}

export const adminUrlOf = (instance: ServiceInstance): string | undefined => instance.metadata.adminUrl;

export function createAdminClient(deps: { discovery: Discovery; tls: ServiceTls | undefined; timeoutMs: number }): AdminClient {
  const fetches = tlsFetches(deps.tls);

  async function call(service: string, adminUrl: string, path: string, options: AdminCall = {}): Promise<AdminAnswer> {
    const method = options.method ?? 'GET';
    let response: Response;
    try {
      response = await fetches.for(service)(`${adminUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(options.authorization ? { authorization: options.authorization } : {}),
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body: '{}' } : {}),
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${deps.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)));
      throw new Unreachable(`${service} at ${adminUrl}: ${why}`);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, body };
  }

  async function callService(service: string, path: string, options: AdminCall = {}): Promise<AdminAnswer | undefined> {
    const listed = deps.discovery.instances(service).filter((i) => adminUrlOf(i) !== undefined);
    if (listed.length === 0) return undefined;
    let last: unknown;
    for (const instance of listed) {
      try {
        return await call(service, adminUrlOf(instance)!, path, options);
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        last = err;
      }
    }
    throw last;
  }

  return {
    call,
    callService,
    async fanOut(path, options = {}) {
      const services = deps.discovery.services().filter((s) => !options.skip?.(s));
      const settled = await Promise.all(
        services.map(async (service) => {
          try {
            const answer = await callService(service, path, options);
            return answer ? { service, answer } : undefined;
          } catch (err) {
            return { service, error: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
      const answers: { service: string; answer: AdminAnswer }[] = [];
      const unreachable: { service: string; error: string }[] = [];
      for (const s of settled) {
        if (s?.answer) answers.push({ service: s.service, answer: s.answer });
        else if (s?.error !== undefined) unreachable.push({ service: s.service, error: s.error });
      }
      return { answers, unreachable };
    },
    close: () => fetches.close(),
  };
}
