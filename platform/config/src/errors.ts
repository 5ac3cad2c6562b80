// The config server's error codes, each also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const configErrors = defineErrors({
  noSchema: {
    code: 'SOUK_CONFIG_NO_SCHEMA',
    status: 409,
    title: 'The service has published no settings schema',
    description:
      'Settings are validated against the schema the service publishes when it starts; start the service once (or check its name) before setting anything.',
  },
  invalidSettings: {
    code: 'SOUK_CONFIG_SETTINGS_INVALID',
    status: 422,
    title: 'The settings do not match the service’s schema',
    description:
      'Nothing was changed. `errors` lists each problem with the JSON Pointer of the setting (`path`) and what the schema expects.',
  },
  unsupportedSchema: {
    code: 'SOUK_CONFIG_SCHEMA_UNSUPPORTED',
    status: 400,
    title: 'The settings schema cannot be accepted',
    description:
      'A settings schema must be a JSON Schema of an object that compiles, without `pattern` or `patternProperties` (regular expressions from a caller are not run here).',
  },
  versionConflict: {
    code: 'SOUK_CONFIG_VERSION_CONFLICT',
    status: 409,
    title: 'The settings changed since the version the change was based on',
    description:
      'Someone else set a new version first. `current` is the version now in effect: read it, make the change on top of it, and send it again.',
  },
  versionNotFound: {
    code: 'SOUK_CONFIG_VERSION_NOT_FOUND',
    status: 404,
    title: 'No such version',
    description: 'The service has no settings version with this number; the history lists those it has.',
  },
  notThisService: {
    code: 'SOUK_CONFIG_NOT_THIS_SERVICE',
    status: 403,
    title: 'Only the service itself, or an admin, may do this',
    description:
      'A service reads its own settings and publishes its own schema, proven by its client certificate (mutual TLS); anyone else needs an admin’s token.',
  },
});
