// The console backend's environment: where the devhost's control listener is, and how long it waits for
// an instance's admin listener.

import { Type } from 'typebox';

export const ConsoleConfig = Type.Object({
  DEVHOST_CONTROL_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: "The devhost's control listener (kill, pause, resume, restart); unset: no instance control (Kubernetes)",
    }),
  ),
  CONSOLE_ADMIN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 30_000,
    default: 3_000,
    description: "How long one call to an instance's admin listener may take before it counts as unreachable",
  }),
});
