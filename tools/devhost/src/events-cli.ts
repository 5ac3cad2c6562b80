// `npm run events -- ...`: the operator's view of the event layer of a running
// devhost: dead letters per service, one letter with its event, and redrive.
// Logs in as the admin (password from the data dir's secrets) through the
// gateway, trades that token for an internal one (services accept no other)
// with the operator client's credentials, then calls each service's
// /_admin/events endpoints on its admin listener.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import { serverIdentityCheck } from '@souk/chassis/spiffe';
import { devhostClientTls } from './certificates.ts';
import { dataDirLayout } from './data-dir.ts';
import { basicCredentials, DEFAULT_AUDIENCE, tokenExchangeRequest, type EventStatus } from '@souk/chassis';
import { readClientSecret } from './secrets.ts';
import { OPERATOR_CLIENT_ID } from './services.ts';
import type { Endpoints } from './endpoints.ts';
import { text } from './log-output.ts';

export const EVENTS_USAGE = `Usage: npm run events -- <command> [--data-dir <dir>]

  status [service]           what each service publishes and consumes, outbox, cursors, failures
  dead-letters [service]     list parked events (every service with a database, or one)
  show <service> <id>        one dead letter with its CloudEvent and error
  redrive <service> <id>     hand it to its handler again (after fixing the cause)
  redrive <service> all      redrive every parked event of the service, oldest first`;

interface DeadLetterRow {
  deadLetterId: number;
  type: string;
  eventId: string;
  attempts: number;
  deadAt: string;
  error: string;
}

export async function runEventsCli(
  argv: readonly string[],
  repoRoot: string,
  out: (line: string) => void = console.log,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, service, id] = positionals;
  if (values.help || !command) {
    out(EVENTS_USAGE);
    return command || values.help ? 0 : 2;
  }
  const dir = dataDirLayout(path.resolve(values['data-dir'] ?? path.join(repoRoot, '.souk')));
  const endpoints = JSON.parse(
    await readFile(dir.endpointsFile, 'utf8').catch(() => {
      throw new Error(`no ${dir.endpointsFile}: is the devhost running (npm start)?`);
    }),
  ) as Endpoints;
  const token = await internalToken(
    endpoints.gateway,
    await adminToken(endpoints.gateway, (await readFile(path.join(dir.secrets, 'admin-password'), 'utf8')).trim()),
    await readClientSecret(dir.secrets, OPERATOR_CLIENT_ID),
  );
  const call = async (svc: string, method: string, pathname: string, base = '/_admin/events/dead-letters') => {
    const instance = endpoints.admin[svc]?.[0];
    if (!instance) throw new Error(`no running service "${svc}" (running: ${Object.keys(endpoints.services).join(', ')})`);
    // An mTLS devhost's instances answer only a client certificate from its CA: the devhost's own.
    const tls = instance.startsWith('https:') ? devhostClientTls(dir.root) : undefined;
    const dispatcher = tls ? new Agent({ connect: { ...tls, checkServerIdentity: serverIdentityCheck(svc) } }) : undefined;
    const res = await undiciFetch(`${instance}${base}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      ...(dispatcher ? { dispatcher } : {}),
    }).finally(() => void dispatcher?.close());
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    return { status: res.status, body };
  };

  switch (command) {
    case 'status': {
      for (const svc of service ? [service] : Object.keys(endpoints.services)) {
        const { status, body } = await call(svc, 'GET', '', '/_admin/events');
        if (status === 404) continue;
        if (status !== 200) throw new Error(`${svc}: ${status} ${text(body.detail, '')}`);
        const s = body as unknown as EventStatus;
        out(`${svc} (${s.transport})`);
        for (const p of s.publishes) out(`  publishes ${p.type}${p.schemaId === null ? '' : ` (schema id ${p.schemaId})`}`);
        if (s.publishes.length > 0) {
          const pending = s.transport === 'nats' ? `, ${s.outbox.unpublished} not yet accepted by NATS` : '';
          out(
            `  outbox at position ${s.outbox.head}, ${s.outbox.unsequenced} committed behind a transaction still open${pending}`,
          );
        }
        for (const sub of s.subscriptions) out(`  consumes ${sub.type}`);
        for (const c of s.cursors) out(`  read ${c.producer}'s feed up to ${c.position}${c.owner ? ` (${c.owner})` : ''}`);
        if (s.failing || s.deadLetters) out(`  ${s.failing} failing, ${s.deadLetters} dead-lettered`);
      }
      return 0;
    }
    case 'dead-letters': {
      const services = service ? [service] : Object.keys(endpoints.services);
      let total = 0;
      for (const svc of services) {
        const { status, body } = await call(svc, 'GET', '');
        if (status === 404) continue; // no database, so no event layer (gateway, registry)
        if (status !== 200) throw new Error(`${svc}: ${status} ${text(body.detail, '')}`);
        for (const l of body.deadLetters as DeadLetterRow[]) {
          total++;
          out(`${svc}  #${l.deadLetterId}  ${l.type}  ${l.eventId}  attempts ${l.attempts}  ${l.deadAt}\n    ${l.error}`);
        }
      }
      out(total === 0 ? 'no dead letters' : `${total} dead letter(s)`);
      return 0;
    }
    case 'show': {
      if (!service || !id) throw new Error('show needs <service> <id>');
      const { status, body } = await call(service, 'GET', `/${encodeURIComponent(id)}`);
      out(JSON.stringify(body, null, 2));
      return status === 200 ? 0 : 1;
    }
    case 'redrive': {
      if (!service || !id) throw new Error('redrive needs <service> <id|all>');
      const ids =
        id === 'all'
          ? ((await call(service, 'GET', '')).body.deadLetters as DeadLetterRow[]).map((l) => String(l.deadLetterId))
          : [id];
      let failed = 0;
      for (const one of ids) {
        const { status, body } = await call(service, 'POST', `/${encodeURIComponent(one)}/redrive`);
        if (status === 200) out(`#${one}: ${String(body.outcome)}`);
        else {
          failed++;
          out(`#${one}: ${status} ${text(body.code, '')} ${text(body.detail, '')}`);
        }
      }
      if (ids.length === 0) out('no dead letters');
      return failed === 0 ? 0 : 1;
    }
    default:
      out(EVENTS_USAGE);
      return 2;
  }
}

async function adminToken(gateway: string, password: string): Promise<string> {
  const res = await fetch(`${gateway}/api/v1/identity/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'storefront', username: 'admin@souk.local', password }),
  });
  const body = (await res.json()) as { access_token?: string; detail?: string };
  if (!res.ok || !body.access_token) throw new Error(`admin login failed: ${res.status} ${body.detail ?? ''}`);
  return body.access_token;
}

/** The admin's token exchanged (RFC 8693) for an internal one, which is what services accept. */
async function internalToken(gateway: string, userToken: string, operatorSecret: string): Promise<string> {
  const res = await fetch(`${gateway}/api/v1/identity/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicCredentials(OPERATOR_CLIENT_ID, operatorSecret),
    },
    body: new URLSearchParams(tokenExchangeRequest(userToken, DEFAULT_AUDIENCE)),
  });
  const body = (await res.json()) as { access_token?: string; detail?: string };
  if (!res.ok || !body.access_token) throw new Error(`token exchange failed: ${res.status} ${body.detail ?? ''}`);
  return body.access_token;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
  runEventsCli(process.argv.slice(2), repoRoot).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
