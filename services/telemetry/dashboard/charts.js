// Chart helpers on uPlot (time series) and a canvas (heatmap), each paired with a text summary
// so the figures are readable without seeing the chart.
import uPlot from './uPlot.esm.js';

export const COLOURS = ['#73bf69', '#5794f2', '#fade2a', '#ff9830', '#f2495c', '#b877d9'];
const AXIS = { stroke: '#a7b0bc', grid: { stroke: '#2c3235', width: 1 }, ticks: { stroke: '#2c3235' } };
// x-axis steps in simulated seconds: whole minutes, hours and days.
const TIME_STEPS = [60, 300, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800];
const PLOT_HEIGHT = 140; // CSS pixels; the legend sits below and may wrap

/** Simulated seconds since midnight of the first day as `06:00`, `1d 06:00` (the second day). */
export function simulatedTime(seconds) {
  const day = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const clock = `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
  return day > 0 ? `${day}d ${clock}` : clock;
}

/**
 * A time-series panel: x in simulated seconds, one line per series.
 * series: [{ label, colour?, format(value) }]; data: [xs, ...ys];
 * options: { range: [min, max], axis(value) for the y-axis labels }.
 */
export class TimeSeriesChart {
  constructor(element, summary, series, options = {}) {
    this.element = element;
    this.summary = summary;
    this.series = series;
    this.options = options;
    this.plot = undefined;
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(element);
  }

  size() {
    return { width: Math.max(200, this.element.clientWidth), height: PLOT_HEIGHT };
  }

  setData(data) {
    if (this.plot === undefined) {
      const axis = this.options.axis ?? compact;
      this.plot = new uPlot(
        {
          ...this.size(),
          scales: { x: { time: false }, y: this.options.range ? { range: this.options.range } : {} },
          axes: [
            { ...AXIS, incrs: TIME_STEPS, values: (_, splits) => splits.map(simulatedTime) },
            { ...AXIS, size: 60, values: (_, splits) => splits.map(axis) },
          ],
          series: [
            { label: 'simulated time', value: (_, value) => (value == null ? '–' : simulatedTime(value)) },
            ...this.series.map((each, i) => ({
              label: each.label,
              stroke: each.colour ?? COLOURS[i % COLOURS.length],
              width: 1.5,
              spanGaps: false,
              value: (_, value) => (value == null ? '–' : each.format(value)),
            })),
          ],
          cursor: { drag: { x: false, y: false } },
        },
        data,
        this.element,
      );
    } else {
      this.plot.setData(data);
    }
    this.describe(data);
  }

  describe(data) {
    const xs = data[0];
    if (xs.length === 0) {
      this.summary.textContent = 'No final ticks yet.';
      return;
    }
    const parts = this.series.map((each, i) => {
      const values = data[i + 1].filter((value) => value != null);
      if (values.length === 0) return `${each.label}: no value yet`;
      const last = values[values.length - 1];
      return `${each.label}: last ${each.format(last)}, min ${each.format(Math.min(...values))}, max ${each.format(Math.max(...values))}`;
    });
    this.summary.textContent = `From ${simulatedTime(xs[0])} to ${simulatedTime(xs[xs.length - 1])} of simulated time. ${parts.join('; ')}.`;
  }
}

/** Rows (bands) × columns (points) of shares 0..1, darker to brighter; drawn on a canvas. */
export function drawHeatmap(canvas, summary, rows, xs) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const context = canvas.getContext('2d');
  context.scale(ratio, ratio);
  context.clearRect(0, 0, width, height);
  const labelWidth = 130;
  const rowHeight = (height - 18) / rows.length;
  const columnWidth = xs.length === 0 ? 0 : (width - labelWidth) / xs.length;
  context.font = '12px system-ui, sans-serif';
  rows.forEach((row, r) => {
    context.fillStyle = '#d8d9da';
    context.fillText(row.label, 4, r * rowHeight + rowHeight / 2 + 4);
    row.share.forEach((share, c) => {
      // Blue to yellow through the share of the fleet in the band.
      const t = Math.max(0, Math.min(1, share));
      context.fillStyle = `rgb(${Math.round(30 + 220 * t)}, ${Math.round(40 + 182 * t)}, ${Math.round(90 - 48 * t)})`;
      context.fillRect(labelWidth + c * columnWidth, r * rowHeight, Math.ceil(columnWidth), rowHeight - 1);
    });
  });
  context.fillStyle = '#a7b0bc';
  if (xs.length > 0) {
    context.fillText(simulatedTime(xs[0]), labelWidth, height - 4);
    const end = simulatedTime(xs[xs.length - 1]);
    context.fillText(end, width - context.measureText(end).width - 2, height - 4);
  }
  summary.textContent =
    xs.length === 0
      ? 'No final ticks yet.'
      : `Share of the fleet per battery band at ${simulatedTime(xs[xs.length - 1])}: ` +
        rows.map((row) => `${row.label} ${percent(row.share[row.share.length - 1])}`).join(', ') +
        '. Brighter cells hold more of the fleet.';
}

/** Horizontal bars with their numbers as text: [{ label, value }]. */
export function renderBars(container, items, className = '') {
  const largest = Math.max(1, ...items.map((item) => item.value));
  container.replaceChildren(
    ...items.flatMap((item) => {
      const label = document.createElement('span');
      label.textContent = item.label;
      const track = document.createElement('div');
      const bar = document.createElement('div');
      bar.className = `bar ${className}`;
      bar.style.width = `${(100 * item.value) / largest}%`;
      track.append(bar);
      const value = document.createElement('span');
      value.textContent = integer(item.value);
      return [label, track, value];
    }),
  );
}

export function percent(ratio, digits = 1) {
  return ratio == null || Number.isNaN(ratio) ? '–' : `${(100 * ratio).toFixed(digits)} %`;
}

export function integer(value) {
  return value == null ? '–' : Math.round(value).toLocaleString('en-US');
}

export function compact(value) {
  if (value == null) return '–';
  const size = Math.abs(value);
  if (size >= 1e6) return `${(value / 1e6).toFixed(1)} M`;
  if (size >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  return size >= 100 ? value.toFixed(0) : value.toFixed(1);
}
