// The error a secret that cannot be read raises, and what a place holding secrets offers.

/** A secret that cannot be read. `secret` names it; the message never holds a value. */
export class SecretError extends Error {
  readonly code = 'SOUK_SECRET_UNAVAILABLE';
  constructor(
    readonly secret: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SecretError';
  }
}

/** One place secrets live; `get` resolves undefined when it has no such secret. */
export interface SecretSource {
  describe(name: string): string;
  get(name: string): Promise<string | undefined>;
}
