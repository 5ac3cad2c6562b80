// Keeps this instance registered: registers, heartbeats every interval, and
// registers again when the registry has forgotten it (evicted or restarted).

import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import { createOutageLog, sleep, type OutageLog, type RegistryHttp } from './registry-http.ts';
import type { Clock, Log, ServiceInstance } from './types.ts';

/** What this instance tells the registry about itself: the fields others will see. */
export type SelfRegistration = ServiceInstance;

export interface RegistrationLoopOptions {
  http: RegistryHttp;
  log: Log;
  clock: Clock;
  registryUrl: string;
  intervalMs: number;
  requestTimeoutMs: number;
  retry: BackoffOptions;
}

/** One running registration; `stop()` ends the heartbeats without deregistering. */
export class RegistrationLoop {
  private registered = false;
  private readonly stopper = new AbortController();
  private readonly outage: OutageLog;
  /** Settles after the first attempt, successful or not, so start-up never hangs on the registry. */
  readonly firstAttempt: Promise<void>;
  private readonly done: Promise<void>;

  constructor(
    readonly self: SelfRegistration,
    private readonly options: RegistrationLoopOptions,
  ) {
    this.outage = createOutageLog(options.log, options.clock, 'heartbeats', options.registryUrl);
    let settleFirst!: () => void;
    this.firstAttempt = new Promise((resolve) => (settleFirst = resolve));
    this.done = this.run(settleFirst);
  }

  /** Whether the registry accepted the last registration or heartbeat. */
  get isRegistered(): boolean {
    return this.registered && !this.outage.down;
  }

  /** Stops heartbeating and aborts a call in flight; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.done;
  }

  private async run(settleFirst: () => void): Promise<void> {
    const { signal } = this.stopper;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.beat(signal);
        this.outage.recovered();
        failures = 0;
        settleFirst();
        await sleep(this.options.intervalMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.outage.failed(err);
        settleFirst();
        // Retry sooner than the interval at first: the registry evicts after a
        // TTL, and a quick recovery keeps this instance listed.
        await sleep(backoffDelay({ curve: 'full-jitter', ...this.options.retry }, ++failures, this.options.retry.random), signal);
      }
    }
    settleFirst();
  }

  private async beat(signal: AbortSignal): Promise<void> {
    const { http, requestTimeoutMs, log } = this.options;
    const { instanceId } = this.self;
    if (this.registered) {
      const res = await http.call('PUT', `/api/v1/instances/${encodeURIComponent(instanceId)}/heartbeat`, {
        timeoutMs: requestTimeoutMs,
        signal,
      });
      if (res.status >= 200 && res.status < 300) return;
      if (res.status !== 404) throw new Error(`heartbeat answered ${res.status}`);
      this.registered = false;
      log.warn({ instanceId }, 'the registry no longer knows this instance (evicted or restarted); registering again');
    }
    const res = await http.call('POST', '/api/v1/instances', { body: this.self, timeoutMs: requestTimeoutMs, signal });
    if (res.status < 200 || res.status >= 300)
      throw new Error(`registration answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.registered = true;
    log.info({ instanceId, service: this.self.service, url: this.self.url }, 'registered with the registry');
  }
}
