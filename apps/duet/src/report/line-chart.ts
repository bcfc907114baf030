// Line charts of per-tick series over simulated time, as inline SVG: no script, no dependency, so
// a report opens anywhere and is the same bytes for the same run.
import { escapeHtml } from './html';

export interface ChartSeries {
  readonly name: string;
  /** One value per tick from the chart's first tick. */
  readonly values: readonly number[];
}

export interface LineChart {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  /** Tick of values[0]. */
  readonly firstTick: number;
  readonly tickSeconds: number;
  /** Simulated minute of the day at tick 0. */
  readonly startMinuteOfDay: number;
  readonly format: (value: number) => string;
  /** Fixed top of the y axis (e.g. 1 for ratios); otherwise a round number above the data. */
  readonly yMax?: number;
  /** Shaded windows, e.g. outages: [fromTick, toTick). */
  readonly bands?: readonly { readonly fromTick: number; readonly toTick: number; readonly label: string }[];
  /** Vertical lines, e.g. a policy push. */
  readonly markers?: readonly { readonly tick: number; readonly label: string }[];
}

const WIDTH = 760; // px
const HEIGHT = 230; // px
const LEFT = 64; // px for the y labels
const RIGHT = 12; // px
const TOP = 10; // px
const BOTTOM = 26; // px for the x labels
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const MINUTE_STEPS = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 4320, 10080]; // simulated minutes between x labels

/** A `<figure>` with the SVG chart and its legend. */
export function renderLineChart(chart: LineChart): string {
  const length = Math.max(0, ...chart.series.map((series) => series.values.length));
  const lastTick = chart.firstTick + Math.max(length - 1, 1);
  const dataMax = Math.max(0, ...chart.series.flatMap((series) => series.values.filter(Number.isFinite)));
  const yMax = chart.yMax ?? niceCeiling(dataMax);
  const x = (tick: number) => LEFT + ((tick - chart.firstTick) / (lastTick - chart.firstTick)) * PLOT_WIDTH;
  const y = (value: number) => TOP + PLOT_HEIGHT - (Math.min(value, yMax) / yMax) * PLOT_HEIGHT;
  const parts: string[] = [];

  for (const band of chart.bands ?? []) {
    const from = Math.max(band.fromTick, chart.firstTick);
    const to = Math.min(band.toTick, lastTick);
    if (to <= from) continue;
    parts.push(
      `<rect x="${fixed(x(from))}" y="${TOP}" width="${fixed(x(to) - x(from))}" height="${PLOT_HEIGHT}" fill="#f2c14e" fill-opacity="0.25"><title>${escapeHtml(band.label)}</title></rect>`,
    );
  }
  for (let step = 0; step <= 4; step++) {
    const value = (yMax * step) / 4;
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${fixed(y(value))}" y2="${fixed(y(value))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${fixed(y(value) + 4)}" text-anchor="end">${escapeHtml(chart.format(value))}</text>`);
  }
  for (const tick of timeLabels(chart.firstTick, lastTick, chart.tickSeconds, chart.startMinuteOfDay)) {
    parts.push(`<line x1="${fixed(x(tick))}" x2="${fixed(x(tick))}" y1="${TOP}" y2="${TOP + PLOT_HEIGHT}" stroke="#f0f0f0"/>`);
    parts.push(
      `<text x="${fixed(x(tick))}" y="${HEIGHT - 8}" text-anchor="middle">${clockLabel(chart.startMinuteOfDay + (tick * chart.tickSeconds) / 60)}</text>`,
    );
  }
  for (const marker of chart.markers ?? []) {
    if (marker.tick < chart.firstTick || marker.tick > lastTick) continue;
    parts.push(
      `<line x1="${fixed(x(marker.tick))}" x2="${fixed(x(marker.tick))}" y1="${TOP}" y2="${TOP + PLOT_HEIGHT}" stroke="#555" stroke-dasharray="4 3"><title>${escapeHtml(marker.label)}</title></line>`,
    );
  }
  chart.series.forEach((series, s) => {
    const points = decimate(series.values, PLOT_WIDTH)
      .map(([index, value]) => `${fixed(x(chart.firstTick + index))},${fixed(y(value))}`)
      .join(' ');
    parts.push(
      `<polyline fill="none" stroke="${PALETTE[s % PALETTE.length]}" stroke-width="1.5" points="${points}"><title>${escapeHtml(series.name)}</title></polyline>`,
    );
  });
  parts.push(`<rect x="${LEFT}" y="${TOP}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" fill="none" stroke="#999"/>`);

  const legend = chart.series.map((series, s) => `<span><i style="background:${PALETTE[s % PALETTE.length]}"></i>${escapeHtml(series.name)}</span>`).join(' ');
  return `<figure><figcaption>${escapeHtml(chart.title)}</figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(chart.title)}">${parts.join('')}</svg><div class="legend">${legend}</div></figure>`;
}

/** Keeps at most two points (the minimum and maximum) per pixel column, so spikes survive. */
function decimate(values: readonly number[], columns: number): [number, number][] {
  if (values.length <= columns * 2) return values.map((value, index) => [index, value]);
  const points: [number, number][] = [];
  const perColumn = values.length / columns;
  for (let column = 0; column < columns; column++) {
    const from = Math.floor(column * perColumn);
    const to = Math.min(values.length, Math.floor((column + 1) * perColumn));
    let low = from;
    let high = from;
    for (let i = from; i < to; i++) {
      if (values[i] < values[low]) low = i;
      if (values[i] > values[high]) high = i;
    }
    for (const index of low <= high ? [low, high] : [high, low]) if (points.at(-1)?.[0] !== index) points.push([index, values[index]]);
  }
  return points;
}

/** Ticks at round simulated clock times (whole hours, quarter hours, days), about eight across the chart. */
function timeLabels(firstTick: number, lastTick: number, tickSeconds: number, startMinuteOfDay: number): number[] {
  const minutesPerTick = tickSeconds / 60;
  const span = (lastTick - firstTick) * minutesPerTick;
  const step = MINUTE_STEPS.find((candidate) => span / candidate <= 8) ?? MINUTE_STEPS[MINUTE_STEPS.length - 1];
  const labels: number[] = [];
  const firstMinute = startMinuteOfDay + firstTick * minutesPerTick;
  for (let minute = Math.ceil(firstMinute / step) * step; minute <= startMinuteOfDay + lastTick * minutesPerTick; minute += step) {
    labels.push((minute - startMinuteOfDay) / minutesPerTick);
  }
  return labels;
}

/** `HH:MM` of simulated time, with the day after the first (`d2 06:00`). */
export function clockLabel(minutes: number): string {
  const day = Math.floor(minutes / 1440);
  const minuteOfDay = Math.floor(minutes - day * 1440);
  const time = `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
  return day === 0 ? time : `d${day + 1} ${time}`;
}

function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((candidate) => candidate * magnitude >= value)!;
  return step * magnitude;
}

function fixed(value: number): string {
  return value.toFixed(1);
}
