/**
 * What a rendered figure shows, read back from Vega's SVG (its ARIA labels), so that tests can
 * check a picture without a browser: the title, the legend's series, how many marks of each kind.
 * Depends on Vega's SVG output (vega 6); not meant for SVG from elsewhere.
 */
export interface SvgFacts {
  title: string | null;
  /** The legend's entries, in legend order; [] without a legend. */
  series: string[];
  /** Line marks (one path per series), bars and points drawn. */
  lines: number;
  bars: number;
  points: number;
  /** The aria-label of each bar or point: 'x: a; y: 0.5; series: b'. */
  markLabels: string[];
}

const decodeEntities = (s: string) =>
  s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

export function svgFacts(svg: string): SvgFacts {
  const title = /aria-label="Title text '([^"]*)'"/.exec(svg)?.[1] ?? null;
  const legend = /aria-roledescription="legend" aria-label="[^"]*? with \d+ values?: ([^"]*)"/.exec(svg)?.[1];
  const count = (re: RegExp) => [...svg.matchAll(re)].length;
  const lineGroups = [...svg.matchAll(/<g class="mark-line role-mark[^>]*>(.*?)<\/g>/g)];
  const lines = lineGroups.reduce((n, g) => n + [...g[1]!.matchAll(/<path /g)].length, 0);
  const markLabels = [
    ...svg.matchAll(
      /<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="(bar|point|circle)"/g,
    ),
  ].map((m) => decodeEntities(m[1]!));
  return {
    title: title === null ? null : decodeEntities(title),
    series: legend ? decodeEntities(legend).split(', ') : [],
    lines,
    bars: count(/aria-roledescription="bar"/g),
    points: count(/aria-roledescription="(point|circle)"/g),
    markLabels,
  };
}
