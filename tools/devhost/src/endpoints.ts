// What the devhost tells the outside: endpoints.json (where things listen), devhost.json (live
// process table that tests and tools read pids from) and the summary printed once all are ready.
import type { ManagedInstance } from './supervisor.ts';

export interface Endpoints {
  gateway: string;
  /** The gateway's HTTPS address (TLS terminated there; trust <data-dir>/pki/ca.pem), with mTLS on. */
  gatewayTls?: string;
  /** The operations console (admins), served by the gateway, when it was built. */
  console?: string;
  services: Record<string, string[]>;
  /** Each instance's admin listener (/metrics, /_admin/*), in the order of `services`. */
  admin: Record<string, string[]>;
}

export function buildEndpoints(
  gatewayPort: number,
  instances: readonly ManagedInstance[],
  tlsPort?: number,
  withConsole = false,
): Endpoints {
  const services: Record<string, string[]> = {};
  const admin: Record<string, string[]> = {};
  for (const instance of instances) {
    (services[instance.spec.service] ??= []).push(instance.spec.url);
    (admin[instance.spec.service] ??= []).push(instance.spec.adminUrl);
  }
  return {
    gateway: `http://localhost:${gatewayPort}`,
    ...(tlsPort !== undefined ? { gatewayTls: `https://localhost:${tlsPort}` } : {}),
    ...(withConsole ? { console: `http://localhost:${gatewayPort}/console/` } : {}),
    services,
    admin,
  };
}

export type Phase = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface DevhostStatus {
  pid: number;
  startedAt: string;
  dataDir: string;
  /** 'ready' once every instance answered /health/ready at start-up (instances may restart later). */
  phase: Phase;
  instances: {
    service: string;
    instanceId: string;
    url: string;
    /** Its admin listener: /metrics, /_admin/*, detailed /health/ready. */
    adminUrl: string;
    pid: number | null;
    restarts: number;
    state: string;
  }[];
}

export function buildStatus(
  startedAt: Date,
  dataDir: string,
  phase: Phase,
  instances: readonly ManagedInstance[],
): DevhostStatus {
  return {
    pid: process.pid,
    startedAt: startedAt.toISOString(),
    dataDir,
    phase,
    instances: instances.map((i) => ({
      service: i.spec.service,
      instanceId: i.instanceId,
      url: i.spec.url,
      adminUrl: i.spec.adminUrl,
      pid: i.pid ?? null,
      restarts: i.restarts,
      state: i.state,
    })),
  };
}

export interface SummaryInput {
  endpoints: Endpoints;
  adminPasswordFile: string;
  /** Printed only at first start; afterwards the file is the place to look. */
  newAdminPassword?: string;
  database: string;
  endpointsFile: string;
  /** The dev CA a browser or curl trusts for the gateway's HTTPS (with mTLS on). */
  caFile?: string;
  logsDir: string;
  totalMs: number;
  /** Memory of the devhost and every process below it (services, embedded PostgreSQL) at ready, when readable. */
  memory?: { pssMb: number; rssMb: number; processes: number };
}

export interface SummaryLine {
  text: string;
  /** Holds a secret: shown in the terminal, never written to a log file. */
  secret?: boolean;
  /** Printed instead of a secret line when the output is not a terminal. */
  instead?: string;
}

export function summaryLines(input: SummaryInput): SummaryLine[] {
  const { endpoints } = input;
  const width = Math.max(...Object.keys(endpoints.services).map((s) => s.length), 'operations console'.length);
  const row = (label: string, value: string): SummaryLine => ({ text: `  ${label.padEnd(width)}  ${value}` });
  const lines: SummaryLine[] = [
    { text: `souk is ready in ${(input.totalMs / 1000).toFixed(1)} s` },
    row('gateway', endpoints.gateway),
    ...(endpoints.gatewayTls ? [row('', `${endpoints.gatewayTls} (HTTPS; trust ${input.caFile ?? 'the dev CA'})`)] : []),
    ...(endpoints.console ? [row('operations console', `${endpoints.console} (sign in as the admin)`)] : []),
    row('OIDC discovery', `${endpoints.gateway}/.well-known/openid-configuration`),
  ];
  for (const [service, urls] of Object.entries(endpoints.services)) lines.push(row(service, urls.join('  ')));
  lines.push(row('database', input.database));
  lines.push(row('admin', `admin@souk.local, password in ${input.adminPasswordFile}`));
  if (input.newAdminPassword)
    lines.push({
      ...row('', `(first start: the password is ${input.newAdminPassword})`),
      secret: true,
      instead: row('', '(first start: a new password; the output is not a terminal, so it is only in the file)').text,
    });
  lines.push(row('logs', input.logsDir), row('endpoints', input.endpointsFile));
  if (input.memory && input.memory.processes > 0) {
    const { pssMb, rssMb, processes } = input.memory;
    lines.push(row('memory', `${Math.round(pssMb)} MB PSS (${Math.round(rssMb)} MB RSS) in ${processes} processes`));
  }
  lines.push({ text: 'Ctrl-C stops everything.' });
  return lines;
}

/** Where the summary goes: LogOutput, which also keeps info lines in logs/devhost.log. */
export interface SummaryOutput {
  info(message: string): void;
  terminalOnly(message: string, instead: string): void;
}

export function printSummary(out: SummaryOutput, lines: readonly SummaryLine[]): void {
  for (const line of lines) {
    if (line.secret) out.terminalOnly(line.text, line.instead ?? '');
    else out.info(line.text);
  }
}
