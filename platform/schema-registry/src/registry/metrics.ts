// Prometheus metrics of the schema registry: registrations by outcome and
// compatibility checks by verdict, so a producer stuck on 409s shows up.

import { Counter, type Registry } from '@souk/chassis';

export type RegistrationOutcome = 'created' | 'existing' | 'incompatible' | 'invalid' | 'error';

export interface RegistryMetrics {
  registration(outcome: RegistrationOutcome): void;
  compatibilityCheck(compatible: boolean): void;
}

export function createRegistryMetrics(registry: Registry): RegistryMetrics {
  const registrations = new Counter({
    name: 'souk_schema_registry_registrations_total',
    help: 'Schema registrations by outcome: created (a new version), existing (already registered), incompatible, invalid, error.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const checks = new Counter({
    name: 'souk_schema_registry_compatibility_checks_total',
    help: 'Compatibility checks asked through /compatibility, by verdict.',
    labelNames: ['compatible'],
    registers: [registry],
  });
  // Series exist from the start, so a rate over "incompatible" is 0 rather than absent.
  for (const outcome of ['created', 'existing', 'incompatible', 'invalid', 'error'] as const) registrations.inc({ outcome }, 0);
  return {
    registration: (outcome) => registrations.inc({ outcome }),
    compatibilityCheck: (compatible) => checks.inc({ compatible: String(compatible) }),
  };
}
