// A refused change or rollback: the problem's sentence in an alert, then each setting it names (the
// JSON Pointer and what the service's schema expects), when the problem lists them.

import { isConfigError } from '../config-api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

export function ConfigProblem({ error, label }: { error: Error | string | null; label: string }) {
  if (!error) return null;
  const issues = isConfigError(error) ? error.issues : [];
  return (
    <>
      <ErrorAlert error={error} />
      {issues.length > 0 && (
        <ul className="config-issues" aria-label={label}>
          {issues.map((issue, i) => (
            <li key={i}>
              <code>{issue.path}</code> {issue.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
