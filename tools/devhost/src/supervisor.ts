// One supervised OS process per service instance: spawn, readiness polling, restart with exponential
// backoff when it exits on its own, and an orderly stop (SIGTERM, deadline, SIGKILL) of its process group.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { processCpuMs } from './proc-stats.ts';
import { settlesWithin, stopWithSignals, waitForExit } from './wait.ts';
// The backoff module alone: the chassis' index would load the whole service stack into the devhost.
import { backoffDelay } from '@souk/chassis/backoff';
import { serverIdentityCheck } from '@souk/chassis/spiffe';
import type { ClientTls } from './certificates.ts';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A process that stayed up this long counts as healthy again: the next crash starts from initialMs. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 10_000, resetAfterMs: 30_000 };

/** The restart delays: 250 ms, 500 ms, 1 s, ... capped at 10 s, back to 250 ms after 30 s of uptime. */
export class RestartBackoff {
  private failures = 0;

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** Delay before the next start, given how long the process ran before it exited. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.policy.resetAfterMs) this.failures = 0;
    // No jitter: one supervisor restarts its own child, there is no crowd to spread out.
    this.failures++;
    return backoffDelay({ curve: 'exponential', baseMs: this.policy.initialMs, capMs: this.policy.maxMs }, this.failures);
  }
}

/**
 * `paused`: stopped by SIGSTOP from the console (it holds its port and answers nothing); `killed`: SIGKILLed by an
 * operator, and left down until restarted. Neither is restarted on its own: that is the point of a drill.
 */
export type InstanceState = 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped' | 'paused' | 'killed';

/** What an operator may do to a running devhost's instance (the console, through the control listener). */
export type OperatorAction = 'kill' | 'pause' | 'resume' | 'restart';

/** An operator action that does not fit the instance's state (resume one that is not paused). */
export class ActionRefused extends Error {}

export interface InstanceSpec {
  service: string;
  instanceId: string;
  /** Base URL; readiness is GET <url>/health/ready answering 200. */
  url: string;
  /** Base URL of its admin listener (/metrics, /_admin/*, detailed /health/ready). */
  adminUrl: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
}

export interface InstanceHooks {
  line(instanceId: string, line: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** State, pid or restart count changed. */
  changed(): void;
  /** Right before every spawn, the first and each restart (the devhost writes the instance's secrets). */
  spawning?(): void;
}

export interface InstanceOptions {
  backoff?: BackoffPolicy;
  readinessIntervalMs?: number;
  /** Runs before each spawn (the instance's certificate is issued there); a failure is reported and the spawn goes on. */
  prepare?: () => Promise<void>;
  /** The devhost's client certificate, for readiness checks of an https: instance. */
  clientTls?: () => ClientTls;
}

export class ManagedInstance {
  state: InstanceState = 'stopped';
  pid: number | undefined;
  restarts = 0;
  private child: ChildProcess | undefined;
  private startedAt = 0;
  /** When the current process started (ms since the epoch), for the console. */
  startedAtMs: number | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Set by stop()/kill(): from then on nothing starts this instance again. */
  private halted = false;
  /** Set by stop()/kill() as the devhost stops: no operator action either. */
  private final = false;
  private readonly backoff: RestartBackoff;
  private readonly readinessIntervalMs: number;
  private preparing = false;

  constructor(
    readonly spec: InstanceSpec,
    private readonly hooks: InstanceHooks,
    private readonly options: InstanceOptions = {},
  ) {
    this.backoff = new RestartBackoff(options.backoff);
    this.readinessIntervalMs = options.readinessIntervalMs ?? 100;
  }

  get instanceId(): string {
    return this.spec.instanceId;
  }

  start(): void {
    if (this.child || this.halted || this.preparing) return;
    this.restartTimer = undefined;
    const { prepare } = this.options;
    if (!prepare) return this.spawn();
    this.preparing = true;
    void prepare()
      .catch((err: unknown) => this.hooks.warn(`${this.instanceId}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.preparing = false;
        if (!this.halted) this.spawn();
      });
  }

  private spawn(): void {
    if (this.child || this.halted) return;
    this.hooks.spawning?.();
    const child = spawn(this.spec.command, [...this.spec.args], {
      cwd: this.spec.cwd,
      env: this.spec.env,
      // Own process group: terminal Ctrl-C reaches only the devhost, which then stops tiers in reverse order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pid = child.pid;
    this.startedAt = performance.now();
    this.startedAtMs = Date.now();
    this.state = 'starting';
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (l) => this.hooks.line(this.instanceId, l));
    }
    child.on('error', (err) => this.hooks.warn(`${this.instanceId}: ${err.message}`));
    void waitForExit(child).then(({ code, signal }) => this.onExit(child, code, signal));
    this.hooks.changed();
    void this.pollReadiness(child);
  }

  /** Stops the process (and anything it spawned) for good: no restart follows, nor any operator action. */
  async stop(timeoutMs: number): Promise<void> {
    this.final = true;
    return this.terminate(timeoutMs);
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; nothing restarts it on its own. */
  private async terminate(timeoutMs: number): Promise<void> {
    this.halted = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.state = 'stopping';
    this.hooks.changed();
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const { pid } = child;
      // A paused process takes no SIGTERM until it runs again.
      signalGroup(pid, 'SIGCONT');
      const exited = waitForExit(child);
      await stopWithSignals({
        steps: [
          { signal: 'SIGTERM', waitMs: timeoutMs },
          { signal: 'SIGKILL', waitMs: Infinity },
        ],
        send: (signal) => signalGroup(pid, signal),
        exitedWithin: (ms) => settlesWithin(exited, ms),
        escalating: () => this.hooks.warn(`${this.instanceId} did not stop within ${timeoutMs / 1000} s; killing it`),
      });
    }
    this.state = 'stopped';
    this.hooks.changed();
  }

  /** Immediate SIGKILL, for a second Ctrl-C. */
  kill(): void {
    this.final = true;
    this.halted = true;
    clearTimeout(this.restartTimer);
    this.state = 'stopping';
    if (this.child?.pid !== undefined) signalGroup(this.child.pid, 'SIGKILL');
  }

  /**
   * An operator's action (the console's buttons): kill (SIGKILL; it stays down), pause (SIGSTOP: it keeps its
   * port and answers nothing, so callers time out), resume (SIGCONT; ready again once /health/ready says so),
   * restart (a graceful stop, then a new process; or a start, when it was killed or waits to restart).
   * Throws ActionRefused when the action does not fit its state; resolves once the signal is sent, or, for
   * restart, once the new process is spawned.
   */
  async operate(action: OperatorAction, stopTimeoutMs: number): Promise<InstanceState> {
    if (this.final) throw new ActionRefused(`${this.instanceId} is stopping with the devhost`);
    const running = this.child?.pid;
    switch (action) {
      case 'kill':
        if (this.state === 'killed') throw new ActionRefused(`${this.instanceId} is already killed`);
        this.halted = true;
        clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        this.state = 'killed';
        if (running !== undefined) signalGroup(running, 'SIGKILL');
        this.hooks.warn(`${this.instanceId} killed by an operator; it stays down until restarted`);
        break;
      case 'pause':
        if (running === undefined || (this.state !== 'ready' && this.state !== 'starting'))
          throw new ActionRefused(`${this.instanceId} is ${this.state}: only a running instance can be paused`);
        signalGroup(running, 'SIGSTOP');
        this.state = 'paused';
        this.hooks.warn(`${this.instanceId} paused by an operator (SIGSTOP)`);
        break;
      case 'resume':
        if (running === undefined || this.state !== 'paused')
          throw new ActionRefused(`${this.instanceId} is ${this.state}, not paused`);
        signalGroup(running, 'SIGCONT');
        this.state = 'starting';
        this.hooks.info(`${this.instanceId} resumed by an operator`);
        void this.pollReadiness(this.child!);
        break;
      case 'restart': {
        this.hooks.info(`${this.instanceId} restarted by an operator`);
        if (running !== undefined) await this.terminate(stopTimeoutMs);
        if (this.final) break;
        clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        this.halted = false;
        // Its certificate is issued before the spawn: it counts as starting from now.
        this.state = 'starting';
        this.start();
        break;
      }
    }
    this.hooks.changed();
    return this.state;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.pid = undefined;
    // Whatever the process left in its group (workers, shells) goes with it.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    if (this.state === 'killed') return this.hooks.changed();
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const uptime = performance.now() - this.startedAt;
    const delay = this.backoff.next(uptime);
    this.restarts++;
    this.state = 'backoff';
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.hooks.warn(`${this.instanceId} ${how} after ${formatMs(uptime)}; restart #${this.restarts} in ${formatMs(delay)}`);
    this.hooks.changed();
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  private readinessTls(): StatusTls | undefined {
    const tls = this.options.clientTls?.();
    return tls ? { ...tls, service: this.spec.service } : undefined;
  }

  private async pollReadiness(child: ChildProcess): Promise<void> {
    while (this.child === child && this.state === 'starting') {
      if (
        (await httpStatus(`${this.spec.url}/health/ready`, 2_000, this.readinessTls())) === 200 &&
        this.child === child &&
        this.state === 'starting'
      ) {
        this.state = 'ready';
        // CPU beside wall time: on a busy machine the wall time says more about the neighbours than about the start.
        const cpuMs = child.pid === undefined ? undefined : processCpuMs(child.pid);
        const cpu = cpuMs === undefined ? '' : `, ${formatMs(cpuMs)} CPU`;
        this.hooks.info(`${this.instanceId} ready at ${this.spec.url} (${formatMs(performance.now() - this.startedAt)}${cpu})`);
        this.hooks.changed();
        return;
      }
      await new Promise((r) => setTimeout(r, this.readinessIntervalMs));
    }
  }
}

/** With mutual TLS: the client certificate, and the service whose SPIFFE id the instance must present. */
export interface StatusTls extends ClientTls {
  service: string;
}

/**
 * The readiness polls' https agent: no keep-alive (a kept connection would hold a service's shutdown
 * up), but TLS sessions are cached per instance and certificate, so a poll every 100 ms while an
 * instance starts resumes the session instead of a full mutual-TLS handshake each time.
 */
const pollAgent = new https.Agent({ keepAlive: false });

/**
 * Status code of a GET, or 0 when nothing answers (or an https: instance fails the TLS checks).
 * No keep-alive, so it never holds a service's shutdown up.
 */
export function httpStatus(url: string, timeoutMs: number, tls?: StatusTls): Promise<number> {
  return new Promise((resolve) => {
    const secure = url.startsWith('https:');
    const options = secure
      ? {
          agent: pollAgent,
          timeout: timeoutMs,
          ...(tls ? { cert: tls.cert, key: tls.key, ca: tls.ca, checkServerIdentity: serverIdentityCheck(tls.service) } : {}),
        }
      : { agent: false as const, timeout: timeoutMs };
    const req = (secure ? https : http).get(url, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
