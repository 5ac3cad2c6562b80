// Service identity as SPIFFE ids in X.509 certificates: `spiffe://souk.local/<service>`
// in the URI SAN, the instance id in the subject CN. The caller's identity is read
// from its certificate once per connection; a client checks a server's by its URI SAN.

import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';

/** The trust domain of every souk identity. */
export const TRUST_DOMAIN = 'souk.local';

/** Who is at the other end of a mutually authenticated connection. */
export interface PeerIdentity {
  /** `spiffe://souk.local/orders` */
  readonly spiffeId: string;
  /** The service part of the SPIFFE id (`orders`). */
  readonly service: string;
  /** The certificate's subject CN: the instance id the certificate was issued to. */
  readonly instanceId: string | undefined;
  /** Hexadecimal serial number of the certificate (lower case). */
  readonly serial: string;
}

export function spiffeId(service: string): string {
  return `spiffe://${TRUST_DOMAIN}/${service}`;
}

const SERVICE_OF = new RegExp(`^spiffe://${TRUST_DOMAIN.replace('.', '\\.')}/([a-z0-9][a-z0-9-]*)$`);

/** The URI SANs of a certificate (Node's `subjectaltname` text: `URI:spiffe://…, DNS:…`). */
export function uriSans(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string[] {
  const text = cert?.subjectaltname;
  if (!text) return [];
  return text
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
}

/** The identity a certificate carries: exactly one souk SPIFFE id, or none. */
export function identityOf(cert: PeerCertificate | undefined): PeerIdentity | undefined {
  if (!cert || !cert.raw) return undefined;
  const ids = uriSans(cert).filter((uri) => uri.startsWith('spiffe://'));
  if (ids.length !== 1) return undefined;
  const service = SERVICE_OF.exec(ids[0]!)?.[1];
  if (!service) return undefined;
  const cn = cert.subject?.CN;
  return {
    spiffeId: ids[0]!,
    service,
    instanceId: typeof cn === 'string' ? cn : undefined,
    serial: cert.serialNumber.toLowerCase(),
  };
}

const identities = new WeakMap<object, PeerIdentity | null>();

/**
 * The verified identity of the peer on a server-side socket, parsed on first use and kept for the
 * connection's life (a WeakMap on the socket); undefined for a plain connection.
 */
export function peerIdentity(socket: Socket | TLSSocket): PeerIdentity | undefined {
  const known = identities.get(socket);
  if (known !== undefined) return known ?? undefined;
  const tlsSocket = socket as TLSSocket;
  const identity = tlsSocket.encrypted && tlsSocket.authorized ? (identityOf(tlsSocket.getPeerCertificate()) ?? null) : null;
  identities.set(socket, identity);
  return identity ?? undefined;
}

/** The identity of the instance that sent a request (a Fastify request or a raw one); undefined over plain HTTP. */
export function callerIdentity(request: { raw: { socket: Socket } } | { socket: Socket }): PeerIdentity | undefined {
  return peerIdentity('raw' in request ? request.raw.socket : request.socket);
}

/**
 * A `checkServerIdentity` for `tls.connect` that accepts only a certificate naming `service`
 * in its URI SAN (the host name is not what identifies an instance here).
 */
export function serverIdentityCheck(service: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const expected = spiffeId(service);
  return (_host, cert) => {
    const found = uriSans(cert);
    if (found.length === 1 && found[0] === expected) return undefined;
    return Object.assign(new Error(`the server's certificate names ${found.join(', ') || 'no URI'}, not ${expected}`), {
      code: 'ERR_SOUK_TLS_IDENTITY',
      reason: 'server identity mismatch',
    });
  };
}
