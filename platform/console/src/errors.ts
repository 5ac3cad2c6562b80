// The console backend's error codes, each also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const consoleErrors = defineErrors({
  noControl: {
    code: 'SOUK_CONSOLE_NO_CONTROL',
    status: 409,
    title: 'Instances cannot be controlled here',
    description:
      'Kill, pause, resume and restart go to the devhost that runs the processes (DEVHOST_CONTROL_URL); without one (Kubernetes, or a devhost started with --no-mtls) the console only shows the instances.',
  },
  instanceNotFound: {
    code: 'SOUK_CONSOLE_INSTANCE_NOT_FOUND',
    status: 404,
    title: 'No such instance',
    description: 'The devhost runs no instance of that id (ids look like payments-1).',
  },
  actionRefused: {
    code: 'SOUK_CONSOLE_ACTION_REFUSED',
    status: 409,
    title: 'The action does not fit the instance’s state',
    description:
      'Only a running instance can be paused, only a paused one resumed, and a killed one only restarted; the detail says what state it is in.',
  },
  serviceNotFound: {
    code: 'SOUK_CONSOLE_SERVICE_NOT_FOUND',
    status: 404,
    title: 'No such service',
    description: 'The registry lists no instance of that service with an admin listener.',
  },
  unreachable: {
    code: 'SOUK_CONSOLE_UNREACHABLE',
    status: 503,
    title: 'The instance did not answer',
    description:
      'The service’s admin listener (or the devhost’s control) did not answer in time or refused the connection: it may be down, paused or overloaded. Try again after Retry-After.',
  },
});
