// The start-up sequence (secrets → database → roles → processes step by step → summary) and the
// ordered shutdown, over the pieces in the other files.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DevhostOptions } from './args.ts';
import { bundleServices } from './bundle.ts';
import { type DataDir, type PersistentState, loadState, saveState, stablePort, isPortFree } from './data-dir.ts';
import { writeJsonAtomicSync } from './atomic-write.ts';
import { buildEndpoints, buildStatus, printSummary, summaryLines, type Phase } from './endpoints.ts';
import type { LogOutput } from './log-output.ts';
import { createLogShipper, type LogShipper } from './log-shipper.ts';
import { buildConsole } from './console-build.ts';
import { startControlServer, type ControlServer } from './control.ts';
import { withParentDeathSignal } from './orphans.ts';
import { startEmbeddedPostgres, type PostgresOptions, type RunningPostgres } from './postgres.ts';
import { describeServer, provisionDatabases, serviceDatabaseUrl, type DatabaseTarget } from './provision.ts';
import { ensureSecretFile, ensureSecrets, randomToken, type DevSecrets } from './secrets.ts';
import { instanceSecretsDir, removeInstanceSecrets, secretsOfService, writeInstanceSecrets } from './instance-secrets.ts';
import {
  EDGE_HOSTNAMES,
  EXTRA_CLIENTS,
  IDENTITY,
  SERVICES,
  TELEMETRY,
  databaseName,
  instanceEnv,
  planInstances,
  serviceClientId,
  dueToStart,
  startSteps,
  tiers,
  type InstancePlan,
} from './services.ts';
import { ManagedInstance, formatMs } from './supervisor.ts';
import { waitFor } from './wait.ts';
import { DevhostCertificates } from './certificates.ts';
import { treeMemory } from './proc-stats.ts';

/** Longer than the chassis's SHUTDOWN_TIMEOUT_MS (10 s), so a draining service is not cut off. */
const STOP_TIMEOUT_MS = 15_000;
const PROGRESS_EVERY_MS = 2_000;

class StopRequested extends Error {}

export class Devhost {
  private readonly startedAt = new Date();
  private readonly plans: InstancePlan[];
  private instances: ManagedInstance[] = [];
  private phase: Phase = 'starting';
  private postgres: RunningPostgres | undefined;
  private postgresStarting: Promise<RunningPostgres> | undefined;
  private stopping: Promise<void> | undefined;
  private certificates: DevhostCertificates | undefined;
  private shipper: LogShipper | undefined;
  private control: ControlServer | undefined;
  private signalStop!: () => void;
  private readonly stopRequested = new Promise<Error>((resolve) => {
    this.signalStop = () => resolve(new StopRequested('stop requested'));
  });

  constructor(
    private readonly options: DevhostOptions,
    private readonly dir: DataDir,
    private readonly out: LogOutput,
  ) {
    this.plans = planInstances(options).filter((p) => options.telemetry || p.service.name !== TELEMETRY);
  }

  /** Instance names in start order, for the log prefixes. */
  static instanceNames(options: DevhostOptions): string[] {
    return planInstances(options)
      .filter((p) => options.telemetry || p.service.name !== TELEMETRY)
      .map((p) => p.instanceId);
  }

  /** Resolves once everything is ready; returns false when a stop arrived during start-up. */
  async start(): Promise<boolean> {
    const t0 = performance.now();
    const { options, dir, out } = this;
    // Claim the data dir at once (devhost.json holds our pid), and drop the last run's endpoints so
    // nobody polling for endpoints.json mistakes them for this run's.
    this.writeStatus();
    rmSync(dir.endpointsFile, { force: true });
    // Secrets directories a killed devhost left behind.
    rmSync(dir.instanceSecrets, { recursive: true, force: true });
    await this.checkPreconditions();
    // Bundling (esbuild, CPU) overlaps PostgreSQL's start and provisioning (mostly waiting).
    const commandsReady = this.commands();
    commandsReady.catch(() => undefined); // awaited below; a stop during the database start must not leave it unhandled
    // The console is built (or its last build reused) beside them; without it the shop still runs.
    const consoleReady = this.buildConsole();
    const secrets = await ensureSecrets({
      dir: dir.secrets,
      databaseServices: SERVICES.filter((s) => s.database).map((s) => s.name),
      clients: [...SERVICES.map((s) => ({ clientId: serviceClientId(s.name), scopes: s.clientScopes })), ...EXTRA_CLIENTS],
    });
    if (options.mtls) {
      this.certificates = await DevhostCertificates.open(dir.pki, options.certLifetimeMs, out);
      out.info(`mutual TLS between the processes: certificates from the dev CA in ${dir.pki} (--no-mtls: plain HTTP)`);
    }
    const certificates = this.certificates;
    const state = await loadState(dir);
    const { adminUrl, description } = await this.startDatabase(state, secrets);
    if (this.stopping) return false;

    const targets: DatabaseTarget[] = [...secrets.databasePasswords].map(([service, password]) => ({
      service,
      name: databaseName(service, options.dbPrefix),
      password,
    }));
    const t1 = performance.now();
    await provisionDatabases(adminUrl, targets, { lockDownMaintenanceDatabases: this.postgres !== undefined });
    out.info(`databases ready: ${targets.map((t) => t.name).join(', ')} (${formatMs(performance.now() - t1)})`);

    const ports = await this.assignPorts(state);
    await saveState(dir, state);
    const commands = await commandsReady;
    const consoleDir = await consoleReady;
    // Server, database and role only: the password is in the instance's secrets directory.
    const databaseUrls = new Map(targets.map((t) => [t.service, serviceDatabaseUrl(adminUrl, t)]));
    const identityPorts = this.plans.filter((p) => p.service.name === IDENTITY).map((p) => ports.get(p.instanceId) ?? 0);
    const telemetryPlan = this.plans.find((p) => p.service.name === TELEMETRY);
    const telemetryPort = telemetryPlan ? ports.get(telemetryPlan.instanceId) : undefined;
    // Every process's lines go to telemetry too (the sidecar-shipper role), through the devhost's certificate.
    const shipper =
      telemetryPort === undefined
        ? undefined
        : createLogShipper({
            url: `${certificates ? 'https' : 'http'}://127.0.0.1:${telemetryPort}`,
            ...(certificates ? { tls: () => certificates.client() } : {}),
            warn: (m) => out.warn(m),
          });
    this.shipper = shipper;
    // The console's kill, pause and restart buttons arrive here, over mutual TLS from the console's certificate.
    const controlPort = ports.get(CONTROL_PORT_KEY);
    if (certificates && controlPort !== undefined)
      this.control = await startControlServer(
        {
          instances: () => this.instances,
          tls: () => certificates.client(),
          stopTimeoutMs: STOP_TIMEOUT_MS,
          info: (m) => out.info(m),
        },
        controlPort,
      );
    const controlUrl = this.control?.url;
    this.instances = this.plans.map((plan) => {
      const port = ports.get(plan.instanceId) ?? 0;
      const adminPort = ports.get(adminPortKey(plan.instanceId)) ?? 0;
      const edge = plan.service.fixedPort === 'gatewayPort';
      // SIGKILL, not SIGTERM: with the devhost gone nobody would wait for a graceful shutdown that hangs
      // (stdout closed, registry and database going down at the same moment), and nothing may linger.
      const [command, args] = withParentDeathSignal(process.execPath, commands.get(plan.service.name) ?? [], 'SIGKILL');
      const secretsDir = instanceSecretsDir(dir.instanceSecrets, plan.instanceId);
      const ownSecrets = secretsOfService(plan.service, secrets);
      const env = instanceEnv({
        plan,
        port,
        adminPort,
        registryPort: options.registryPort,
        gatewayPort: options.gatewayPort,
        gatewayTlsPort: ports.get(tlsPortKey(plan.instanceId)),
        identityPorts,
        telemetryPort,
        consoleDir,
        logLevel: options.logLevel,
        settingsDir: dir.settings,
        databaseUrl: databaseUrls.get(plan.service.name),
        secretsDir,
        controlUrl,
        inherited: process.env,
        ...(certificates ? { tls: certificates.paths(plan.instanceId) } : {}),
      });
      // The gateway's port is the public edge: plain HTTP, its certificate only for its calls upstream.
      const secure = certificates !== undefined && !edge;
      const url = `${secure ? 'https' : 'http'}://127.0.0.1:${port}`;
      // Every admin listener, the gateway's too, is mutual TLS: operators' endpoints are never plain.
      const adminUrl = `${certificates ? 'https' : 'http'}://127.0.0.1:${adminPort}`;
      const instance: ManagedInstance = new ManagedInstance(
        { service: plan.service.name, instanceId: plan.instanceId, url, adminUrl, command, args, cwd: options.repoRoot, env },
        {
          line: (id, line) => {
            out.processLine(id, line);
            shipper?.add(plan.service.name, id, line);
          },
          info: (m) => out.info(m),
          warn: (m) => out.warn(m),
          // Written for each start, gone once the instance has read them (ready) or is not running.
          spawning: () => writeInstanceSecrets(secretsDir, ownSecrets),
          changed: () => {
            if (instance.state !== 'starting') removeInstanceSecrets(secretsDir);
            this.writeStatus();
          },
        },
        certificates
          ? {
              // A new certificate at every (re)start; reissued at half its life while the instance runs.
              // The gateway's also names localhost: it terminates users' TLS with it.
              prepare: async () =>
                void (await certificates.issue(plan.service.name, plan.instanceId, edge ? EDGE_HOSTNAMES : undefined)),
              clientTls: () => certificates.client(),
            }
          : {},
      );
      return instance;
    });

    startSteps(this.plans); // refuses a dependency cycle before anything starts
    const started = new Set<string>();
    // Each instance is spawned once the services it starts after are ready (checked at every readiness poll).
    const startDue = () => {
      if (this.stopping) return;
      const ready = new Set(this.instances.filter((i) => i.state === 'ready').map((i) => i.instanceId));
      const due = dueToStart(this.plans, started, ready);
      if (due.length === 0) return;
      out.info(`starting ${due.map((p) => p.instanceId).join(', ')}`);
      for (const plan of due) {
        started.add(plan.instanceId);
        this.instances.find((i) => i.instanceId === plan.instanceId)?.start();
      }
    };
    try {
      await this.waitReady(this.instances, startDue);
    } catch (err) {
      if (err instanceof StopRequested) return false;
      throw err;
    }
    if (this.stopping) return false;

    const endpoints = buildEndpoints(
      options.gatewayPort,
      this.instances,
      certificates ? options.tlsPort : undefined,
      consoleDir !== undefined,
    );
    writeJsonAtomicSync(dir.endpointsFile, endpoints);
    const summary = summaryLines({
      endpoints,
      adminPasswordFile: secrets.adminPasswordFile,
      newAdminPassword: secrets.adminPasswordCreated ? secrets.adminPassword : undefined,
      database: description,
      endpointsFile: dir.endpointsFile,
      ...(certificates ? { caFile: certificates.ca.caFile } : {}),
      logsDir: dir.logs,
      totalMs: performance.now() - t0,
      memory: treeMemory(process.pid),
    });
    printSummary(out, summary);
    this.phase = 'ready';
    this.writeStatus();
    return true;
  }

  /** Reverse start order: gateway first, then the registry, telemetry last, then PostgreSQL. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.signalStop();
      this.certificates?.stop();
      this.phase = 'stopping';
      this.writeStatus();
      const t0 = performance.now();
      this.out.info('stopping...');
      // No operator action while the processes stop.
      await this.control?.close();
      // What is buffered goes out while telemetry still runs; lines printed while stopping stay in the log files.
      await this.shipper?.close();
      for (const tier of tiers(this.plans).reverse()) {
        const members = this.instances.filter((i) => tier.some((p) => p.instanceId === i.instanceId));
        await Promise.all(members.map((i) => i.stop(STOP_TIMEOUT_MS)));
      }
      // Also when the stop arrived while PostgreSQL was still starting.
      const postgres = await this.postgresStarting?.catch(() => undefined);
      if (postgres) {
        await postgres.stop();
        this.out.info('PostgreSQL stopped');
      }
      rmSync(this.dir.instanceSecrets, { recursive: true, force: true });
      this.phase = 'stopped';
      this.writeStatus();
      this.out.info(`stopped in ${formatMs(performance.now() - t0)}`);
    })();
    return this.stopping;
  }

  /** Second Ctrl-C: no more waiting. PostgreSQL gets its parent-death signal when we exit. */
  kill(): void {
    for (const instance of this.instances) instance.kill();
  }

  private async checkPreconditions(): Promise<void> {
    const missing = SERVICES.filter((s) => !existsSync(path.join(this.options.repoRoot, s.entry))).map((s) => s.entry);
    if (missing.length > 0) throw new Error(`service entry points not found: ${missing.join(', ')}`);
    for (const [flag, port] of [
      ['--port', this.options.gatewayPort],
      ['--registry-port', this.options.registryPort],
      ...(this.options.mtls ? [['--tls-port', this.options.tlsPort] as const] : []),
    ] as const) {
      if (!(await isPortFree(port))) throw new Error(`port ${port} is in use; pick another with ${flag} <n>`);
    }
  }

  private async startDatabase(state: PersistentState, secrets: DevSecrets): Promise<{ adminUrl: string; description: string }> {
    const external = process.env.DATABASE_URL;
    if (external) {
      this.out.info(`using PostgreSQL at ${describeServer(external)} (DATABASE_URL)`);
      return { adminUrl: external, description: `${describeServer(external)} (DATABASE_URL)` };
    }
    const port = await stablePort(state.postgresPort, new Set([this.options.gatewayPort, this.options.registryPort]));
    state.postgresPort = port;
    const password = (await ensureSecretFile(path.join(secrets.dir, 'postgres-password'), () => randomToken(24))).value;
    const options = { dir: this.dir.postgres, port, password, logFile: path.join(this.dir.logs, 'postgres.log') };
    this.postgresStarting = startEmbeddedPostgres(options);
    this.postgres = await this.postgresStarting;
    const { initdbMs, startMs } = this.postgres.timings;
    this.out.info(
      `PostgreSQL on 127.0.0.1:${port}: ${initdbMs === undefined ? '' : `initdb ${formatMs(initdbMs)}, `}start ${formatMs(startMs)}`,
    );
    const running = this.postgres;
    this.superviseDatabase(running, options);
    return {
      adminUrl: running.adminUrl,
      description: `embedded PostgreSQL 127.0.0.1:${port}, superuser password in ${path.join(secrets.dir, 'postgres-password')}`,
    };
  }

  /**
   * PostgreSQL crashed or was killed: start it again on the same data directory and port, as the devhost does
   * for a service. Its crash recovery replays the WAL, so every commit acknowledged before the crash is there;
   * the services' pools reconnect on their own. Backends left by a killed postmaster keep its shared memory for
   * a moment and the new server refuses to start until they are gone: it is retried until it starts.
   */
  private superviseDatabase(running: RunningPostgres, options: PostgresOptions): void {
    void running.exited.then(async () => {
      if (this.stopping) return;
      this.out.error(`PostgreSQL exited unexpectedly; restarting it. Last log lines:\n${running.logTail()}`);
      const t0 = performance.now();
      for (let attempt = 1; !this.stopping; attempt++) {
        this.postgresStarting = startEmbeddedPostgres(options);
        try {
          this.postgres = await this.postgresStarting;
        } catch (err) {
          if (attempt === 1 || attempt % 10 === 0)
            this.out.warn(
              `PostgreSQL did not start again (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); retrying`,
            );
          await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * attempt)));
          continue;
        }
        this.out.info(
          `PostgreSQL restarted on 127.0.0.1:${options.port} (${formatMs(performance.now() - t0)}, attempt ${attempt})`,
        );
        this.superviseDatabase(this.postgres, options);
        return;
      }
    });
  }

  /** Fixed ports for registry and gateway; every other instance keeps the port it had last time if free. */
  private async assignPorts(state: PersistentState): Promise<Map<string, number>> {
    const ports = new Map<string, number>();
    const taken = new Set<number>([this.options.gatewayPort, this.options.registryPort, this.options.tlsPort]);
    if (state.postgresPort !== undefined) taken.add(state.postgresPort);
    // The control listener (mutual TLS only): a stable port of its own, like an instance's.
    if (this.options.mtls) {
      const controlPort = await stablePort(state.instancePorts[CONTROL_PORT_KEY], taken);
      taken.add(controlPort);
      ports.set(CONTROL_PORT_KEY, controlPort);
      state.instancePorts[CONTROL_PORT_KEY] = controlPort;
    }
    for (const plan of this.plans) {
      const port = plan.fixedPort ?? (await stablePort(state.instancePorts[plan.instanceId], taken));
      taken.add(port);
      ports.set(plan.instanceId, port);
      if (plan.fixedPort === undefined) state.instancePorts[plan.instanceId] = port;
      // The admin listener (/metrics, /_admin/*): a port of its own, stable across restarts like the other.
      const key = adminPortKey(plan.instanceId);
      const adminPort = await stablePort(state.instancePorts[key], taken);
      taken.add(adminPort);
      ports.set(key, adminPort);
      state.instancePorts[key] = adminPort;
      // Gateways terminate users' TLS (with mTLS, which gives them their certificate): the first at --tls-port.
      if (plan.service.fixedPort === 'gatewayPort' && this.options.mtls) {
        const tlsKey = tlsPortKey(plan.instanceId);
        const tlsPort =
          plan.fixedPort !== undefined ? this.options.tlsPort : await stablePort(state.instancePorts[tlsKey], taken);
        taken.add(tlsPort);
        ports.set(tlsKey, tlsPort);
        if (plan.fixedPort === undefined) state.instancePorts[tlsKey] = tlsPort;
      }
    }
    return ports;
  }

  /** The console's files (web/console built by Vite, or reused); undefined, with a warning, when the build fails. */
  private async buildConsole(): Promise<string | undefined> {
    const t0 = performance.now();
    try {
      const { dir, reused } = await buildConsole(this.options.repoRoot);
      this.out.info(
        `${reused ? 'reusing the console build' : 'built the console with Vite'} (${formatMs(performance.now() - t0)})`,
      );
      return dir;
    } catch (err) {
      this.out.warn(`no console: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** Node arguments per service: the esbuild bundle, or tsx-transpiled TypeScript with --no-bundle; --cpu-prof first. */
  private async commands(): Promise<Map<string, string[]>> {
    const entries = SERVICES.map((s) => ({ name: s.name, entry: path.join(this.options.repoRoot, s.entry) }));
    const profiles = path.join(this.dir.root, 'profiles');
    // Node writes CPU.<date>.<time>.<pid>…cpuprofile when the process exits (the devhost's SIGTERM ends it cleanly).
    const profiled = (name: string) =>
      this.options.cpuProfile.includes(name) ? ['--cpu-prof', '--cpu-prof-dir', path.join(profiles, name)] : [];
    if (!this.options.bundle) {
      const tsx = import.meta.resolve('tsx');
      return new Map(entries.map((e) => [e.name, [...profiled(e.name), '--import', tsx, e.entry]]));
    }
    const t0 = performance.now();
    const { bundles, reused } = await bundleServices(this.options.repoRoot, this.dir.root, entries, {
      sourceMaps: this.options.sourceMaps,
    });
    this.out.info(
      reused
        ? `reusing the bundles of ${entries.length} services: no input changed (${formatMs(performance.now() - t0)})`
        : `bundled ${entries.length} services with esbuild (${formatMs(performance.now() - t0)})`,
    );
    // Source maps cost about 25 MB per process (parsed at load) and make every stack trace slower; off unless asked.
    const sourceMaps = this.options.sourceMaps ? ['--enable-source-maps'] : [];
    return new Map(entries.map((e) => [e.name, [...profiled(e.name), ...sourceMaps, bundles.get(e.name) ?? e.entry]]));
  }

  /** Waits until every one of `members` is ready, calling `poll` first at each check (it starts the due ones). */
  private async waitReady(members: readonly ManagedInstance[], poll: () => void): Promise<void> {
    const t0 = performance.now();
    let lastProgress = t0;
    const pending = (): ManagedInstance[] => members.filter((i) => i.state !== 'ready');
    try {
      await waitFor(
        () => {
          poll();
          const waiting = pending();
          if (waiting.length === 0) return true;
          if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = performance.now();
            this.out.info(
              `still starting ${waiting.length} of ${members.length}: ${waiting.map(describeInstance).join(', ')} (${formatMs(lastProgress - t0)})`,
            );
          }
          return false;
        },
        { timeoutMs: this.options.readyTimeoutMs, intervalMs: 100, what: 'readiness', abort: this.stopRequested },
      );
    } catch (err) {
      if (err instanceof StopRequested) throw err;
      const waiting = pending();
      const logs = waiting.map((i) => path.join(this.dir.logs, `${i.instanceId}.log`)).join(', ');
      throw new Error(
        `not ready after ${formatMs(this.options.readyTimeoutMs)}: ${waiting.map(describeInstance).join(', ')}; see ${logs}`,
        { cause: err },
      );
    }
  }

  private writeStatus(): void {
    writeJsonAtomicSync(this.dir.devhostFile, buildStatus(this.startedAt, this.dir.root, this.phase, this.instances));
  }
}

function describeInstance(i: ManagedInstance): string {
  if (i.state === 'stopped') return `${i.instanceId} (not started yet)`;
  return i.restarts > 0 ? `${i.instanceId} (${i.state}, ${i.restarts} restarts)` : i.instanceId;
}

/** Where the control listener's port is kept among the persisted ports. */
const CONTROL_PORT_KEY = 'devhost/control';
/** Where an instance's admin port is kept among the persisted ports. */
const adminPortKey = (instanceId: string) => `${instanceId}/admin`;
const tlsPortKey = (instanceId: string) => `${instanceId}/tls`;
