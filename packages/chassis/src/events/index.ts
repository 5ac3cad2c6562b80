// The event layer's public surface (re-exported by the chassis index).
export { defineEvent, eventType, sourceOfType } from './contract.ts';
export type { EventContract, EventData } from './contract.ts';
export { CloudEvent, CLOUDEVENT_CONTENT_TYPE, sourceUri, dataschemaUri, schemaIdOf, parseEnvelope } from './envelope.ts';
export type { Events } from './event-layer.ts';
export type { ReceivedEvent, HandlerContext, EventHandler } from './handling.ts';
export type { DeadLetter, DeadLetters } from './dead-letters.ts';
export type { PublishOptions, Publication } from './outbox.ts';
export type { FeedPage } from './feed-route.ts';
export type { EventStatus } from './status-route.ts';
export type { ReplayOptions, ReplayResult } from './replay.ts';
export { FEED_PATH } from './feed-route.ts';
export { IncompatibleSchemaError, SCHEMA_REGISTRY_SERVICE, schemaText } from './schemas.ts';
export { streamName } from './nats.ts';
