// One devhost for the whole security suite (security.test.ts): every attack runs against the same running
// system, so the secrets check at the end reads everything the run logged and traced, and certificates are
// reissued (every CERT_LIFETIME_S / 2 seconds) under all of it. Each area's attacks are in a module of their
// own, registered with `describe` by the suite.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startDevhost, type Devhost } from '../system/devhost-harness.ts';

/** Short enough that every certificate is reissued (at half of it) several times during the suite. */
export const CERT_LIFETIME_S = 16;
/** A credential in the devhost's shell: it must not reach any service (secrets.ts checks). */
export const SHELL_SECRET = 'shell-token-that-must-stay-in-the-devhost-4f1e';

export class SecurityRun {
  #devhost?: Devhost;
  #otlp?: Server;
  /** Every span the run exported (always_on), as the collector stand-in received the bodies. */
  readonly traceBodies: Buffer[] = [];

  get devhost(): Devhost {
    if (!this.#devhost) throw new Error('the security devhost has not started');
    return this.#devhost;
  }

  async start(): Promise<void> {
    this.#otlp = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.traceBodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.#otlp!.listen(0, '127.0.0.1', resolve));
    // Without the telemetry process: every span goes to the receiver above (secrets.ts reads them), and its
    // scrapes would take CPU from the attacks on two cores.
    this.#devhost = await startDevhost(['--cert-lifetime', String(CERT_LIFETIME_S), '--no-telemetry'], {
      // A short header timeout, so that edge.ts's slow client is cut off in a second rather than ten.
      GATEWAY_HEADERS_TIMEOUT_MS: '1000',
      // mtls.ts reads the catalogue as fast as it can from one address during a certificate rotation: the
      // gateway's read limit per address (100/s) stays out of its way. The other classes keep their defaults.
      GATEWAY_RATE_LIMITS: JSON.stringify({ read: { perSecond: 100_000, burst: 100_000 } }),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(this.#otlp.address() as AddressInfo).port}`,
      OTEL_TRACES_SAMPLER: 'always_on',
      SOUK_DEPLOY_TOKEN: SHELL_SECRET,
    });
  }

  /** The address of the service's first instance, as the devhost published it (endpoints.json). */
  instanceUrl(service: string): string {
    const { services } = JSON.parse(readFileSync(join(this.devhost.dataDir, 'endpoints.json'), 'utf8')) as {
      services: Record<string, string[]>;
    };
    const url = services[service]?.[0];
    if (!url) throw new Error(`the devhost published no instance of ${service}`);
    return url;
  }

  async stop(): Promise<void> {
    await this.#devhost?.stop();
    await new Promise((resolve) => (this.#otlp ? this.#otlp.close(resolve) : resolve(undefined)));
  }
}
