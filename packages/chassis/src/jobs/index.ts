// Background work in a service: periodic ticks.

export { startPeriodic, type Periodic, type PeriodicOptions, type PeriodicOutcome } from './periodic.ts';
