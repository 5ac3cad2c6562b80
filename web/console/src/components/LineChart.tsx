// A time chart drawn by uPlot (canvas) in a figure named by its caption, as wide as its container (a
// ResizeObserver follows it). The legend is the page's own: a checkbox per line (keyboard and screen reader
// can hide and show lines) with its value at the pointer, or its latest when the pointer is elsewhere.
// uPlot's CSS is a file (the gateway's CSP allows no inline style sheet); uPlot sets element.style from
// script, which the CSP allows.

import { useEffect, useId, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatClock } from '../format.ts';
import type { ChartLine } from '../metrics.ts';

const HEIGHT = 220;
const AXIS = '#57606a';
const GRID = '#eaeef2';

interface Props {
  caption: string;
  /** Seconds since the epoch, ascending. */
  times: readonly number[];
  lines: readonly ChartLine[];
  /** A value as the axis and the legend show it: `0.5/s`, `2%`, `35 ms`. */
  format(value: number): string;
}

/** The points no line joins (a value between two gaps), drawn as dots so that they show at all. */
function isolated(values: ArrayLike<number | null | undefined>): number[] {
  const alone: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] != null && values[i - 1] == null && values[i + 1] == null) alone.push(i);
  return alone;
}

function lastValue(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]!;
  return null;
}

export function LineChart({ caption, times, lines, format }: Props) {
  const captionId = useId();
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(() => new Set());
  const hiddenNow = useRef(hidden);
  const formatNow = useRef(format);
  const [pointer, setPointer] = useState<number | null>(null);

  useEffect(() => {
    hiddenNow.current = hidden;
    formatNow.current = format;
  });

  const data = useMemo<uPlot.AlignedData>(() => [[...times], ...lines.map((l) => l.values)], [times, lines]);
  const dataNow = useRef(data);
  // The lines' names, colours and dashes: a change makes a new chart; new values only new data.
  const shape = lines.map((l) => `${l.label}\u0000${l.color}\u0000${l.dashed}`).join('\u0001');

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height: HEIGHT,
      legend: { show: false },
      // No drag-to-zoom: every refresh would undo it.
      cursor: { drag: { x: false, y: false, setScale: false } },
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 } },
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          values: (_u, splits) => splits.map((v) => formatNow.current(v)),
          size: (_u, values) => 16 + 7 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
        },
      ],
      series: [
        {},
        ...lines.map((line): uPlot.Series => ({
          label: line.label,
          stroke: line.color,
          width: 2,
          ...(line.dashed ? { dash: [6, 4] } : {}),
          show: !hiddenNow.current.has(line.label),
          points: { filter: (u, seriesIdx, show) => (show ? null : isolated(u.data[seriesIdx] ?? [])) },
        })),
      ],
      hooks: { setLegend: [(u) => setPointer(u.cursor.idx ?? null)] },
    };
    const chart = new uPlot(options, dataNow.current, element);
    plot.current = chart;
    const resize = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width > 0 && width !== chart.width) chart.setSize({ width, height: HEIGHT });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // The options are a function of the shape; the data is set by the effect below.
  }, [shape]);

  useEffect(() => {
    dataNow.current = data;
    if (plot.current && plot.current.data !== data) plot.current.setData(data);
  }, [data]);

  const toggle = (index: number, label: string) => {
    const next = new Set(hidden);
    if (next.has(label)) next.delete(label);
    else next.add(label);
    setHidden(next);
    plot.current?.setSeries(index + 1, { show: !next.has(label) });
  };

  const at = pointer === null ? null : times[pointer];
  return (
    <figure className="chart" aria-labelledby={captionId}>
      <figcaption id={captionId}>{caption}</figcaption>
      <div className="chart-plot" ref={box} aria-hidden="true" />
      <p className="chart-at">{at === undefined || at === null ? 'Latest values' : `At ${formatClock(at * 1000)}`}</p>
      <ul className="chart-legend" aria-label={`${caption} legend`}>
        {lines.map((line, index) => {
          const value = pointer === null ? lastValue(line.values) : (line.values[pointer] ?? null);
          return (
            <li key={line.label}>
              <label>
                <input type="checkbox" checked={!hidden.has(line.label)} onChange={() => toggle(index, line.label)} />
                <span
                  className={`swatch${line.dashed ? ' dashed' : ''}`}
                  style={{ borderColor: line.color }}
                  aria-hidden="true"
                />
                {line.label}
              </label>
              <span className="legend-value">{value === null ? '—' : format(value)}</span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
