// The telemetry backend's error codes, each also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const telemetryErrors = defineErrors({
  malformedOtlp: {
    code: 'SOUK_TELEMETRY_OTLP_MALFORMED',
    status: 400,
    title: 'The OTLP export request cannot be decoded',
    description:
      'The body is not an ExportTraceServiceRequest in the encoding its Content-Type names (application/json or application/x-protobuf), or breaks a limit (spans per request, nesting). Nothing of it was kept.',
  },
  notYourSpans: {
    code: 'SOUK_TELEMETRY_NOT_YOUR_SPANS',
    status: 403,
    title: 'A service may export only its own spans',
    description:
      'With mutual TLS, the resource `service.name` of every span must be the service named in the caller’s certificate, unless the caller is a forwarder (TELEMETRY_FORWARDERS: the devhost, a collector).',
  },
  notAShipper: {
    code: 'SOUK_TELEMETRY_NOT_A_SHIPPER',
    status: 403,
    title: 'Only a log shipper may send log lines',
    description:
      'Log lines arrive from the process that runs the services (the devhost, or a collector in Kubernetes), whose certificate names a service in TELEMETRY_FORWARDERS.',
  },
  behind: {
    code: 'SOUK_TELEMETRY_BEHIND',
    status: 503,
    title: 'Telemetry is behind with its writes',
    description:
      'More rows wait to be stored than it holds in memory; nothing of this request was kept. Send it again after Retry-After (the OTLP exporter does so by itself).',
  },
  traceNotFound: {
    code: 'SOUK_TELEMETRY_TRACE_NOT_FOUND',
    status: 404,
    title: 'No such trace',
    description:
      'No span of this trace has arrived, or it is older than the retention. Only sampled traces (and every failure) are recorded.',
  },
  badCursor: {
    code: 'SOUK_TELEMETRY_CURSOR_INVALID',
    status: 400,
    title: 'The paging cursor is not one this service gave out',
    description: 'Pass `before` exactly as the previous page returned it in `next`.',
  },
});
