import { axisExtent, drawRatioChart, escapeXml, formatRatio, type RatioChart } from '../../bench/chart';

const GREEN = '#2f855a';
const RED = '#c53030';
const GREY = '#718096';

function chart(values: (number | undefined)[], better: 'higher' | 'lower' = 'higher', rows = values.map((_, i) => `row ${i}`)): RatioChart {
  return { title: 'Ratios', sections: [{ rows, panels: [{ title: 'records/s', better, values }] }] };
}

/** The fill colours of the bars, in row order. */
function barColours(svg: string): string[] {
  return [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="14" fill="([^"]+)"><title>/g)].map((m) => m[1] as string);
}

describe('bench ratio chart', () => {
  it('picks the smallest log-axis extent that holds every ratio', () => {
    expect(axisExtent([1.5, 0.6])).toBe(2);
    expect(axisExtent([1.5, 0.3])).toBe(4);
    expect(axisExtent([6])).toBe(10);
    expect(axisExtent([])).toBe(2);
  });

  it('ignores missing, zero and non-finite ratios when choosing the extent', () => {
    expect(axisExtent([undefined, 0, Number.POSITIVE_INFINITY, 1.2])).toBe(2);
  });

  it('formats ratios with two decimals, whole numbers from 10', () => {
    expect(formatRatio(1.5234)).toBe('1.52×');
    expect(formatRatio(0.48)).toBe('0.48×');
    expect(formatRatio(12.4)).toBe('12×');
  });

  it('escapes the five XML special characters', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });

  it('draws one bar per ratio and n/a for a missing one', () => {
    const svg = drawRatioChart(chart([1.5, undefined, 0.5]));
    expect(barColours(svg)).toHaveLength(2);
    expect(svg).toContain('>n/a</text>');
  });

  it('colours a ratio above 1 green when higher is better and red when lower is better', () => {
    expect(barColours(drawRatioChart(chart([1.5], 'higher')))).toEqual([GREEN]);
    expect(barColours(drawRatioChart(chart([1.5], 'lower')))).toEqual([RED]);
    expect(barColours(drawRatioChart(chart([0.5], 'lower')))).toEqual([GREEN]);
  });

  it('colours a ratio within 2% of 1 grey', () => {
    expect(barColours(drawRatioChart(chart([1.015, 0.985])))).toEqual([GREY, GREY]);
  });

  it('labels each bar with its ratio', () => {
    const svg = drawRatioChart(chart([2.3456]));
    expect(svg).toContain('>2.35×</text>');
  });

  it('escapes row labels and titles', () => {
    const svg = drawRatioChart({ ...chart([1.2], 'higher', ['a <b> & c']), title: 'x & y' });
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    expect(svg).toContain('>x &amp; y</text>');
    expect(svg).not.toContain('<b>');
  });

  it('is one well-formed svg element sized to its content', () => {
    const svg = drawRatioChart(chart([1.2, 0.8]));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    const [, width, height] = /width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    expect(Number(width)).toBeGreaterThan(0);
    expect(Number(height)).toBeGreaterThan(0);
  });

  it('stacks sections, each with its own rows and panels', () => {
    const svg = drawRatioChart({
      title: 'Two sections',
      sections: [
        { heading: 'Scenarios', rows: ['a'], panels: [{ title: 'records/s', better: 'higher', values: [1.5] }] },
        { heading: 'Footprint', rows: ['b'], panels: [{ title: 'bytes', better: 'lower', values: [0.4] }] },
      ],
    });
    expect(svg).toContain('>Scenarios</text>');
    expect(svg).toContain('>Footprint</text>');
    expect(barColours(svg)).toEqual([GREEN, GREEN]);
  });
});
