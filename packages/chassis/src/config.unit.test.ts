import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { CommonConfig, ConfigError, loadConfig } from './config.ts';

test('applies defaults and converts numbers and booleans', () => {
  const config = loadConfig(
    Type.Object({ PORT: Type.Integer({ default: 0 }), SEED: Type.Boolean({ default: true }), NAME: Type.String() }),
    { PORT: '8080', SEED: 'false', NAME: 'x', UNRELATED: 'ignored' },
  );
  assert.deepEqual(config, { PORT: 8080, SEED: false, NAME: 'x' });
  assert.ok(Object.isFrozen(config));
});

test('common config has working defaults', () => {
  const config = loadConfig(CommonConfig, {});
  assert.equal(config.HOST, '127.0.0.1');
  assert.equal(config.LOG_LEVEL, 'info');
  // Services accept internal tokens; users' tokens (the external audience) are the gateway's to exchange.
  assert.equal(config.AUTH_AUDIENCE, 'souk-internal');
  assert.equal(config.AUTH_EXTERNAL_AUDIENCE, 'souk');
});

test('a problem names the variable, what is wrong and what was given', () => {
  const err = catchConfigError(() => loadConfig(CommonConfig, { PORT: '99999', LOG_LEVEL: 'loud', REGISTRY_URL: 'ftp://x' }));
  assert.equal(err.problems.length, 3);
  assert.match(err.message, /PORT: must be <= 65535 \(got 99999\)/);
  assert.match(err.message, /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/);
  assert.match(err.message, /REGISTRY_URL: .*\(got "ftp:\/\/x"\)/);
});

test('tracing samples every trace by default; the sampler and its ratio are checked', () => {
  const defaults = loadConfig(CommonConfig, {});
  assert.equal(defaults.OTEL_TRACES_SAMPLER, 'parentbased_always_on');
  assert.equal(defaults.OTEL_TRACES_SAMPLER_ARG, 1);
  assert.equal(defaults.LOG_SLOW_REQUEST_MS, 1000);
  const tenth = loadConfig(CommonConfig, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
  assert.equal(tenth.OTEL_TRACES_SAMPLER, 'parentbased_traceidratio');
  assert.equal(tenth.OTEL_TRACES_SAMPLER_ARG, 0.1);
  const sampler = catchConfigError(() => loadConfig(CommonConfig, { OTEL_TRACES_SAMPLER: 'sometimes' }));
  assert.match(
    sampler.message,
    /OTEL_TRACES_SAMPLER: must be one of always_on, always_off, traceidratio, .* \(got "sometimes"\)/,
  );
  const numbers = catchConfigError(() => loadConfig(CommonConfig, { OTEL_TRACES_SAMPLER_ARG: '10', LOG_SLOW_REQUEST_MS: '-1' }));
  assert.equal(numbers.problems.length, 2);
  assert.match(numbers.message, /OTEL_TRACES_SAMPLER_ARG: must be <= 1 \(got 10\)/);
  assert.match(numbers.message, /LOG_SLOW_REQUEST_MS: must be >= 0 \(got -1\)/);
});

test('a missing required variable is named', () => {
  const err = catchConfigError(() => loadConfig(Type.Object({ IDENTITY_KEY_FILE: Type.String() }), {}));
  assert.deepEqual(err.problems, ['IDENTITY_KEY_FILE: required but not set']);
});

test('a value of the wrong type is refused, not coerced to something else', () => {
  const err = catchConfigError(() => loadConfig(Type.Object({ N: Type.Integer() }), { N: 'ten' }));
  assert.match(err.problems[0] ?? '', /^N: must be integer \(got "ten"\)$/);
});

test('an empty value counts as unset, so the default applies', () => {
  assert.equal(loadConfig(CommonConfig, { PORT: '' }).PORT, 0);
});

function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('a rejected value is shown without the secrets in it', () => {
  const err = catchConfigError(() =>
    loadConfig(
      Type.Object({ DATABASE_URL: Type.String({ pattern: '^postgres://[^ ]+$' }), API_KEY: Type.String({ minLength: 40 }) }),
      {
        DATABASE_URL: 'postgres ://souk:S3cr3tPass@db/souk',
        API_KEY: 'short-but-secret',
      },
    ),
  );
  assert.doesNotMatch(err.message, /S3cr3tPass|short-but-secret/);
  assert.match(err.message, /DATABASE_URL: .*\(got "postgres :\/\/souk:\*\*\*@db\/souk"\)/);
  assert.match(err.message, /API_KEY: .*\(got "<hidden>"\)/);
});
