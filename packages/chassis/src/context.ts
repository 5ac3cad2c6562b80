// The request a piece of code is running for, carried across awaits so that
// outgoing calls propagate the caller's identity and request id without
// threading them through every function.

import { context, createContextKey, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/** The authenticated caller, from a verified access token. */
export interface Identity {
  /** `sub`: the user id, or the client id for a service token. */
  subject: string;
  email?: string;
  roles: readonly string[];
  scopes: readonly string[];
  /** Set for client_credentials tokens only (the service acting for itself: subject = client id). */
  clientId?: string;
}

export interface RequestContext {
  requestId: string;
  /** The raw `Authorization` header the request came with, forwarded on outgoing calls. */
  authorization?: string;
  /** Filled in once a token has been verified. */
  identity?: Identity;
}

// Kept in the OpenTelemetry context rather than an AsyncLocalStorage of its own:
// the server binds that context to the request's streams, so it survives body
// parsing, and it travels with the active span.
const REQUEST_CONTEXT = createContextKey('souk.request-context');

// Without a context manager every `context.with` is a no-op; install one once
// per process, here, so that request context works even where tracing is not set up (unit tests).
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** The context of the request being handled, if any. */
export function requestContext(): RequestContext | undefined {
  return context.active().getValue(REQUEST_CONTEXT) as RequestContext | undefined;
}

/** Runs `fn` with `ctx` as the current request context. */
export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return context.with(withRequestContext(context.active(), ctx), fn);
}

/** `parent` carrying `ctx` as the request context (the server enters it once, with the request's span). */
export function withRequestContext(parent: Context, ctx: RequestContext): Context {
  return parent.setValue(REQUEST_CONTEXT, ctx);
}
