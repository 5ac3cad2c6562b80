// The devhost's certificates at run time: the dev CA, its own client certificate
// (spiffe://souk.local/devhost: health checks, tools, tests), and each instance's,
// issued at every (re)start and reissued at half its lifetime, written by rename so
// the running instance picks it up without a restart.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { ensureDevCa, issueCertificate, tlsPathsIn, writeTlsFiles, type DevCa, type TlsPaths } from './pki.ts';

/** The service name in the devhost's own certificate. */
export const DEVHOST_IDENTITY = 'devhost';

/** Client TLS material as node:tls / node:https take it. */
export interface ClientTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export interface CertificateEvents {
  info(message: string): void;
  warn(message: string): void;
}

export class DevhostCertificates {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private own!: ClientTls;

  private constructor(
    readonly dir: string,
    readonly ca: DevCa,
    readonly lifetimeMs: number,
    private readonly events: CertificateEvents,
  ) {}

  /** Opens (or makes) the CA in `dir` and issues the devhost's own certificate. */
  static async open(dir: string, lifetimeMs: number, events: CertificateEvents): Promise<DevhostCertificates> {
    const ca = await ensureDevCa(dir);
    if (ca.created) events.info(`made a dev CA in ${dir} (its key stays there, 0600)`);
    const certificates = new DevhostCertificates(dir, ca, lifetimeMs, events);
    await certificates.issue(DEVHOST_IDENTITY, DEVHOST_IDENTITY);
    return certificates;
  }

  /** The devhost's current client certificate (health checks). */
  client(): ClientTls {
    return this.own;
  }

  /**
   * A new certificate for the instance, written into its folder; its reissue is scheduled at half its life.
   * `hostnames`: names users reach it by (the gateway, which terminates their TLS with it).
   */
  async issue(service: string, instanceId: string, hostnames?: readonly string[]): Promise<TlsPaths> {
    const issued = await issueCertificate(this.ca, {
      service,
      instanceId,
      lifetimeMs: this.lifetimeMs,
      ...(hostnames ? { hostnames } : {}),
    });
    const paths = await writeTlsFiles(instanceTlsDir(this.dir, instanceId), this.ca, issued);
    if (instanceId === DEVHOST_IDENTITY) this.own = readClientTls(paths);
    clearTimeout(this.timers.get(instanceId));
    if (!this.stopped) {
      const timer = setTimeout(() => void this.reissue(service, instanceId, hostnames), this.lifetimeMs / 2);
      timer.unref();
      this.timers.set(instanceId, timer);
    }
    return paths;
  }

  /** The files of an instance (they exist once `issue` ran for it). */
  paths(instanceId: string): TlsPaths {
    return tlsPathsIn(instanceTlsDir(this.dir, instanceId));
  }

  /** No more reissues. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async reissue(service: string, instanceId: string, hostnames?: readonly string[]): Promise<void> {
    if (this.stopped) return;
    try {
      await this.issue(service, instanceId, hostnames);
      this.events.info(`${instanceId}: certificate reissued (valid ${Math.round(this.lifetimeMs / 1000)} s)`);
    } catch (err) {
      this.events.warn(`${instanceId}: reissuing its certificate failed (${(err as Error).message}); retrying in 1 s`);
      const timer = setTimeout(() => void this.reissue(service, instanceId, hostnames), 1_000);
      timer.unref();
      this.timers.set(instanceId, timer);
    }
  }
}

/** `<pki>/instances/<instance-id>`, or `<pki>/devhost` for the devhost's own. */
export function instanceTlsDir(pkiDir: string, instanceId: string): string {
  return instanceId === DEVHOST_IDENTITY ? path.join(pkiDir, 'devhost') : path.join(pkiDir, 'instances', instanceId);
}

export function readClientTls(paths: TlsPaths): ClientTls {
  return { cert: readFileSync(paths.certFile), key: readFileSync(paths.keyFile), ca: readFileSync(paths.caFile) };
}

/**
 * The devhost's client certificate as it is now in a data folder, for programs that call instances
 * directly (tools, system tests, benchmarks); undefined when that devhost runs without mTLS.
 */
export function devhostClientTls(dataDir: string): ClientTls | undefined {
  const dir = instanceTlsDir(path.join(dataDir, 'pki'), DEVHOST_IDENTITY);
  try {
    return readClientTls(tlsPathsIn(dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
