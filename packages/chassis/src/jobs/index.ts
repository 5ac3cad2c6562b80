// Background work in a service: periodic ticks.

export { startPeriodic, type Periodic, type PeriodicOptions, type PeriodicSchedule, type PeriodicOutcome } from './periodic.ts';
