import { ecdfRows, type Figure, type FigureRow, writeFigures } from '../report/plot/index.js';
import { type AppStats, appPercentages, type PolicySummary } from './tables.js';

/**
 * The paper's policy figures (Shahrad et al., ATC 2020, figs. 15 and 16) from a simulation:
 * the CDF of the applications' cold-start percentage per policy, and the normalised wasted
 * memory time against the 3rd quartile of that percentage, one point per policy (a keep-alive
 * sweep draws the fixed policies' frontier). Drawn through the report module.
 */
export function policyFigures(
  names: readonly string[],
  apps: readonly AppStats[],
  summaries: readonly PolicySummary[],
): Figure[] {
  const cdf: FigureRow[] = names.flatMap((name, i) =>
    ecdfRows(appPercentages(apps[i]!), { field: 'policy', name }),
  );
  const points: FigureRow[] = summaries
    .filter((s) => s.appColdStartPctP75 !== null && s.wastedMemoryNormalized !== null)
    .map((s) => ({
      policy: s.policy,
      app_cold_start_pct_p75: s.appColdStartPctP75,
      wasted_memory_normalized: s.wastedMemoryNormalized,
    }));
  const reference = summaries[0]?.normalizedTo ?? '';
  return [
    {
      name: 'app-cold-start-cdf',
      title: 'Cold starts per application',
      kind: 'step',
      x: { field: 'value', title: 'application cold starts (%)', scale: 'linear', domain: [0, 100] },
      y: { field: 'fraction', title: 'share of applications', format: '%', domain: [0, 1] },
      series: { field: 'policy', title: 'policy' },
      rows: cdf,
      note: 'Applications invoked at least once; simulated.',
    },
    {
      name: 'wasted-memory-vs-cold-starts',
      title: 'Wasted memory time against cold starts',
      kind: 'scatter',
      x: {
        field: 'app_cold_start_pct_p75',
        title: '3rd quartile of application cold starts (%)',
        zero: true,
      },
      y: {
        field: 'wasted_memory_normalized',
        title: `wasted memory time (normalised to ${reference})`,
        zero: true,
      },
      series: { field: 'policy', title: 'policy' },
      rows: points,
      note: 'Wasted memory time: memory of loaded, idle instances x time; simulated.',
    },
  ];
}

/** Writes the figures (SVG, CSV, Vega-Lite spec) into `dir`; returns the SVG paths. */
export async function writePolicyFigures(dir: string, figures: readonly Figure[]): Promise<string[]> {
  const written = await writeFigures(dir, figures, { png: false });
  return written.map((w) => w.svg);
}
