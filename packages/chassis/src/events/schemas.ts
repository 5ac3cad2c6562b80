// At start a producer registers the schema of every event it publishes with
// the schema registry (Confluent REST API; subject = event type). A change the
// subject's compatibility level refuses stops the start, with the registry's
// reasons in the error. The ids become the events' `dataschema`.

import { allSettledOrThrow } from '../settle.ts';
import type { Logger } from 'pino';
import type { ServiceClient } from '../client/types.ts';
import { isSoukError } from '../errors/index.ts';
import type { EventContract } from './contract.ts';

export const SCHEMA_REGISTRY_SERVICE = 'schema-registry';
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class IncompatibleSchemaError extends Error {
  constructor(
    readonly subject: string,
    readonly reasons: readonly string[],
  ) {
    super(
      `the ${subject} schema is incompatible with the version registered before:\n    - ${reasons.join('\n    - ') || '(the registry gave no reasons)'}`,
    );
    this.name = 'IncompatibleSchemaError';
  }
}

/** The JSON Schema text registered for a contract: its closed form (TypeBox schemas are JSON Schema already). */
export function schemaText(contract: EventContract): string {
  return JSON.stringify(contract.published);
}

export async function registerSchemas(options: {
  client: ServiceClient;
  contracts: readonly EventContract[];
  log: Logger;
  /** Keeps trying this long while the registry is not reachable (it may be starting next to us). */
  waitMs: number;
  /**
   * Registers with the service's own token (the registry needs scope schemas:write for a write);
   * while identity is not up yet the token cannot be had, and that is retried like an unreachable registry.
   */
  asService?: boolean;
}): Promise<Map<string, number>> {
  const deadline = Date.now() + options.waitMs;
  let warned = false;
  // All at once: each is a round trip to the registry, and a start waits for the last of them.
  const registerOne = async (contract: EventContract): Promise<number> => {
    const subject = encodeURIComponent(contract.type);
    const body = { schemaType: 'JSON', schema: schemaText(contract) };
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await options.client.request<{ id: number }>({
          method: 'POST',
          path: `/subjects/${subject}/versions`,
          headers: { 'content-type': CONTENT_TYPE },
          body,
          // Registering the same schema again returns the same id: safe to retry.
          idempotencyKey: `schema:${contract.type}`,
          ...(options.asService ? { auth: 'service' as const } : {}),
        });
        return res.body.id;
      } catch (err) {
        if (isSoukError(err) && err.status === 409) {
          throw new IncompatibleSchemaError(contract.type, await reasons(options.client, subject, body));
        }
        if (isSoukError(err) && err.status < 500)
          throw new Error(`the schema registry refused the ${contract.type} schema: ${err.message}`, { cause: err });
        if (Date.now() >= deadline)
          throw new Error(
            `could not register the ${contract.type} schema: the schema registry is unreachable (or identity, for the service's token)`,
            { cause: err },
          );
        if (!warned) options.log.warn({ err }, 'schema registry (or identity, for our token) not reachable yet; retrying');
        warned = true;
        await new Promise((r) => setTimeout(r, Math.min(1_000, 100 * attempt)));
      }
    }
  };
  // Settled, not raced: a failure is reported once every registration stopped, none left retrying.
  const registered = await allSettledOrThrow(options.contracts.map(registerOne));
  const ids = new Map(options.contracts.map((c, i) => [c.type, registered[i]!]));
  options.log.info({ schemas: Object.fromEntries(ids) }, 'event schemas registered');
  return ids;
}

async function reasons(client: ServiceClient, subject: string, body: unknown): Promise<string[]> {
  try {
    // Against every version the subject's level checks (transitive levels too), as the registration was.
    const res = await client.request<{ is_compatible: boolean; messages?: string[] }>({
      method: 'POST',
      path: `/compatibility/subjects/${subject}/versions`,
      query: { verbose: 'true' },
      headers: { 'content-type': CONTENT_TYPE },
      body,
    });
    return res.body.messages ?? [];
  } catch {
    return [];
  }
}
