// The server side of an instance's mutual TLS, kept small so that every listener of
// an instance (the API's, an admin one) is built and rotated the same way.

import type { Server as HttpsServer } from 'node:https';
import { ConfigError } from '../config.ts';
import type { ServerTlsOptions, ServiceTls, TlsFiles } from './service-tls.ts';

/** TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE: all three (mutual TLS) or none (plain HTTP). */
export function tlsFilesOf(config: {
  TLS_CERT_FILE?: string;
  TLS_KEY_FILE?: string;
  TLS_CA_FILE?: string;
}): TlsFiles | undefined {
  const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, TLS_CA_FILE: caFile } = config;
  if (!certFile && !keyFile && !caFile) return undefined;
  if (!certFile || !keyFile || !caFile) {
    const missing = Object.entries({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, TLS_CA_FILE: caFile })
      .filter(([, v]) => !v)
      .map(([k]) => `${k}: required when any of TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE is set (all three or none)`);
    throw new ConfigError(missing);
  }
  return { certFile, keyFile, caFile };
}

/**
 * The options of an HTTPS listener for this instance (a caller without a certificate from the CA is
 * refused during the handshake), and the subscription that gives the listener each rotated certificate.
 */
export function useServerTls(tls: ServiceTls): {
  options: ServerTlsOptions;
  attach(server: HttpsServer): () => void;
} {
  return {
    options: tls.serverOptions(),
    attach: (server) => tls.onRotate(() => server.setSecureContext(tls.serverOptions())),
  };
}
