// Who may send and read telemetry. Reads are for admins (the console signs in as one; logs and traces hold
// customers' data). With mutual TLS, a service exports only its own spans (its certificate names the
// `service.name` of every span it sends), and log lines come only from a forwarder: the devhost, which
// ships every process's output, or a collector (TELEMETRY_FORWARDERS). Without TLS (--no-mtls) nothing
// proves who sends, and ingestion is open, as the registry's writes are then.

import { callerIdentity } from '@souk/chassis';
import type { FastifyRequest } from 'fastify';
import type { SpanRecord } from './model.ts';
import { telemetryErrors } from './errors.ts';

export interface IngestAccess {
  /** Throws 403 unless the caller may send these spans. */
  spans(request: FastifyRequest, spans: readonly SpanRecord[]): void;
  /** Throws 403 unless the caller may ship log lines. */
  logs(request: FastifyRequest): void;
}

export function ingestAccess(options: { mtls: boolean; forwarders: ReadonlySet<string> }): IngestAccess {
  const caller = (request: FastifyRequest) => (options.mtls ? callerIdentity(request) : undefined);
  return {
    spans(request, spans) {
      if (!options.mtls) return;
      const peer = caller(request);
      if (peer && options.forwarders.has(peer.service)) return;
      const foreign = spans.find((s) => s.service !== peer?.service);
      if (foreign)
        throw telemetryErrors.notYourSpans(
          `The caller is ${peer?.spiffeId ?? 'unknown'}; a span of ${foreign.service} must come from that service or a forwarder (${[...options.forwarders].join(', ')}).`,
        );
    },
    logs(request) {
      if (!options.mtls) return;
      const peer = caller(request);
      if (!peer || !options.forwarders.has(peer.service))
        throw telemetryErrors.notAShipper(
          `The caller is ${peer?.spiffeId ?? 'unknown'}; log lines are taken from ${[...options.forwarders].join(', ')} only.`,
        );
    },
  };
}
