// Service identity by mutual TLS: the instance's certificate files, watched for rotation,
// the server options, the outgoing connector and the caller's SPIFFE identity.

export { loadServiceTls, type ServerTlsOptions, type ServiceTls, type TlsFiles } from './service-tls.ts';
export { tlsConnector, tlsFetch, tlsFetches, type ConnectorOptions } from './connector.ts';
export {
  callerIdentity,
  identityOf,
  peerIdentity,
  serverIdentityCheck,
  spiffeId,
  TRUST_DOMAIN,
  uriSans,
  type PeerIdentity,
} from './spiffe.ts';
export { tlsFilesOf, useServerTls } from './server-tls.ts';
