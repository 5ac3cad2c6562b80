// How times and durations read on screen: local time with milliseconds, durations in milliseconds.

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2025-12-07 21:03:04.123` in the browser's time zone. */
export function formatTime(value: string | number): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  return `${day} ${time}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A JSON line pretty-printed; any other text as it is. */
export function prettyLine(line: string): string {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return line;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return line;
  }
}

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
