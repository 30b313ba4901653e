/**
 * A hand-written SVG bar chart of ratios (ours / incumbent): small multiples, one panel per metric, one row
 * per scenario, bars on a logarithmic axis centred on 1 (equal). Pure code; test/bench/chart.test.ts
 * checks it.
 */

/** One panel: a metric and its ratio for each row (undefined: not measured or meaningless). */
export interface ChartPanel {
  readonly title: string;
  /** Which side of 1 is good for us: `'higher'` for throughput, `'lower'` for costs. */
  readonly better: 'higher' | 'lower';
  readonly values: readonly (number | undefined)[];
}

/** A block of rows sharing its panels (e.g. the scenarios, then the bundles). */
export interface ChartSection {
  readonly heading?: string;
  /** Row labels, shared by every panel of the section. */
  readonly rows: readonly string[];
  readonly panels: readonly ChartPanel[];
}

/** The whole chart: sections stacked top to bottom. */
export interface RatioChart {
  readonly title: string;
  readonly subtitle?: string;
  readonly sections: readonly ChartSection[];
}

const ROW_HEIGHT = 22;
const BAR_HEIGHT = 14;
const LABEL_WIDTH = 360;
const PANEL_WIDTH = 190;
const PANEL_GAP = 34;
const TOP = 50;
const SECTION_HEAD = 58;
const AXIS_HEIGHT = 24;
const BOTTOM = 26;
const LEFT_PAD = 10;
/** Pixels a ratio label needs beside its bar; with less room it goes inside the bar. */
const LABEL_ROOM = 44;
const GOOD = '#2f855a';
const BAD = '#c53030';
const EVEN = '#718096';

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * The half-width of the log axis: the smallest of 2, 4, 10, 100, 1000 that holds every ratio (so the axis
 * runs from 1/extent to extent).
 */
export function axisExtent(values: readonly (number | undefined)[]): number {
  const largest = values.reduce<number>((max, value) => {
    if (value === undefined || !(value > 0) || !Number.isFinite(value)) return max;
    return Math.max(max, value, 1 / value);
  }, 1);
  return [2, 4, 10, 100, 1000].find((extent) => largest <= extent) ?? 1000;
}

/** `1.52×`, `0.48×`, `12×`. */
export function formatRatio(value: number): string {
  if (value >= 10) return `${value.toFixed(0)}×`;
  if (value >= 0.01) return `${value.toFixed(2)}×`;
  return `${value.toExponential(1)}×`;
}

function tickLabels(extent: number): number[] {
  const ticks = [1 / extent, 1, extent];
  if (extent >= 4) ticks.push(1 / 2, 2);
  if (extent >= 100) ticks.push(1 / 10, 10);
  return ticks.sort((a, b) => a - b);
}

function tickText(value: number): string {
  return value >= 1 ? `${value}` : `1/${Math.round(1 / value)}`;
}

/** Draws the chart. Ratios equal to 1 within 2% are drawn grey, better green, worse red. */
export function drawRatioChart(chart: RatioChart): string {
  const columns = Math.max(1, ...chart.sections.map((section) => section.panels.length));
  const width = LABEL_WIDTH + columns * (PANEL_WIDTH + PANEL_GAP) + LEFT_PAD;
  const sectionHeights = chart.sections.map((section) => SECTION_HEAD + section.rows.length * ROW_HEIGHT + AXIS_HEIGHT);
  const height = TOP + sectionHeights.reduce((sum, h) => sum + h, 0) + BOTTOM;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT_PAD}" y="22" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle !== undefined) {
    parts.push(`<text x="${LEFT_PAD}" y="40" fill="#4a5568">${escapeXml(chart.subtitle)}</text>`);
  }
  let y0 = TOP;
  chart.sections.forEach((section, s) => {
    drawSection(parts, section, y0, width);
    y0 += sectionHeights[s] ?? 0;
  });
  parts.push(
    `<text x="${LEFT_PAD}" y="${height - 12}" fill="#4a5568" font-size="11">Ratio ours / incumbent on a log axis. Green: ours better; red: ours worse; grey: within 2%. n/a: not measured.</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function drawSection(parts: string[], section: ChartSection, y0: number, width: number): void {
  const top = y0 + SECTION_HEAD;
  const bottom = top + section.rows.length * ROW_HEIGHT;
  if (section.heading !== undefined) {
    parts.push(
      `<text x="${LEFT_PAD}" y="${y0 + 16}" font-size="13" font-weight="bold" fill="#2d3748">${escapeXml(section.heading)}</text>`,
    );
  }
  section.rows.forEach((row, index) => {
    if (index % 2 === 1) {
      parts.push(`<rect x="0" y="${top + index * ROW_HEIGHT}" width="${width}" height="${ROW_HEIGHT}" fill="#f7fafc"/>`);
    }
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${top + index * ROW_HEIGHT + ROW_HEIGHT / 2 + 4}" text-anchor="end">${escapeXml(row)}</text>`,
    );
  });
  section.panels.forEach((panel, p) => {
    const x0 = LABEL_WIDTH + p * (PANEL_WIDTH + PANEL_GAP);
    const extent = axisExtent(panel.values);
    const scale = (value: number): number => x0 + ((Math.log(value) / Math.log(extent) + 1) / 2) * PANEL_WIDTH;
    const xOne = scale(1);
    parts.push(
      `<text x="${x0 + PANEL_WIDTH / 2}" y="${top - 20}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`,
      `<text x="${x0 + PANEL_WIDTH / 2}" y="${top - 6}" text-anchor="middle" fill="#4a5568" font-size="11">${
        panel.better === 'higher' ? 'right of 1: ours better' : 'left of 1: ours better'
      }</text>`,
    );
    for (const tick of tickLabels(extent)) {
      const x = scale(tick);
      parts.push(
        `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="${tick === 1 ? '#1a202c' : '#e2e8f0'}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`,
        `<text x="${x.toFixed(1)}" y="${bottom + 15}" text-anchor="middle" fill="#4a5568" font-size="11">${tickText(tick)}</text>`,
      );
    }
    panel.values.forEach((value, index) => {
      const yTop = top + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2;
      const yText = top + index * ROW_HEIGHT + ROW_HEIGHT / 2 + 4;
      if (value === undefined || !(value > 0) || !Number.isFinite(value)) {
        parts.push(`<text x="${(xOne + 4).toFixed(1)}" y="${yText}" fill="#a0aec0" font-size="11">n/a</text>`);
        return;
      }
      const x = scale(Math.min(Math.max(value, 1 / extent), extent));
      const even = Math.abs(value - 1) <= 0.02;
      const good = panel.better === 'higher' ? value > 1 : value < 1;
      const colour = even ? EVEN : good ? GOOD : BAD;
      const left = Math.min(x, xOne);
      const barWidth = Math.max(Math.abs(x - xOne), 2);
      parts.push(
        `<rect x="${left.toFixed(1)}" y="${yTop}" width="${barWidth.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour}"><title>${escapeXml(
          `${section.rows[index] ?? ''}: ${panel.title} ${formatRatio(value)}`,
        )}</title></rect>`,
      );
      // The label goes beyond the bar's end, or inside it near the panel's edges.
      const toRight = x >= xOne;
      const room = toRight ? x0 + PANEL_WIDTH - x : x - x0;
      const inside = room < LABEL_ROOM;
      const labelX = toRight ? (inside ? x - 4 : x + 4) : inside ? x + 4 : x - 4;
      const anchor = toRight === inside ? 'end' : 'start';
      parts.push(
        `<text x="${labelX.toFixed(1)}" y="${yText}" text-anchor="${anchor}" font-size="11" fill="${inside ? '#ffffff' : '#1a202c'}">${formatRatio(value)}</text>`,
      );
    });
  });
}
