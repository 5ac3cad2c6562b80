// Test helpers for services built on the chassis: real databases, a token issuer, polling.
export { createTestDatabase, DEFAULT_TEST_SERVER, freePort } from './database.ts';
export type { TestDatabase } from './database.ts';
export { createTestIssuer, sharedTestIssuer } from './issuer.ts';
export type { TestIssuer } from './issuer.ts';
export { startTokenServer } from './token-server.ts';
export type { TestClient, TokenServer } from './token-server.ts';
export { waitFor } from './wait-for.ts';
export { call, assertProblem } from './http.ts';
export type { Answer, CallOptions } from './http.ts';
export { startStandInProducer } from './stand-in-producer.ts';
export type { StandInProducer } from './stand-in-producer.ts';
export { handlerContext } from './handler-context.ts';
export { startVaultStandIn } from './vault-stand-in.ts';
export type { VaultStandIn, VaultStandInOptions } from './vault-stand-in.ts';
export { testInstance } from './instances.ts';
