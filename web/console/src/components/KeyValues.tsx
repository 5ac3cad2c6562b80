// Attributes as a key/value list; a value of several lines (a stack trace) keeps its lines.

import type { Attributes, AttributeValue } from '../telemetry.ts';

const textOf = (value: AttributeValue) => (typeof value === 'string' ? value : JSON.stringify(value));

export function KeyValues({ values }: { values: Attributes }) {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p className="muted">None.</p>;
  return (
    <dl className="kv">
      {entries.map(([key, value]) => {
        const text = textOf(value);
        return (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{text.includes('\n') ? <pre>{text}</pre> : text}</dd>
          </div>
        );
      })}
    </dl>
  );
}
