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

/** `21:03:04` in the browser's time zone. */
export function formatClock(value: number): string {
  const date = new Date(value);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A count or rate with at most `digits` decimals, trailing zeros dropped: 12, 0.25, 1.5. */
export function formatNumber(value: number, digits = 2): string {
  return Number(value.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A ratio (0 to 1) as a percentage: 0%, 0.25%, 12.5%. */
export function formatPercent(ratio: number): string {
  const pct = ratio * 100;
  return `${formatNumber(pct, pct > 0 && pct < 1 ? 2 : 1)}%`;
}
