export { SoukError, isSoukError, defineErrors, errorCatalogue } from './errors.ts';
export type { ErrorSpec, ErrorFactory, SoukErrorOptions } from './errors.ts';
export { chassisErrors } from './codes.ts';
export { PROBLEM_CONTENT_TYPE, toProblem, fromProblem, toSoukError, problemType } from './problem.ts';
export type { ProblemDocument } from './problem.ts';
