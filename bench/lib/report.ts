// The run's report: one Markdown table of every figure (distributions as p50/p95/p99/n, single values in
// their own column, ratios to the declared baseline), the raw JSON and the SVG of the latency distributions.
import { formatNumber, summarizeSamples, type Summary } from './stats.js';
import type { BenchMode, Figure } from './suite.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  loadAverage: number[];
  node: string;
  postgres: string;
  /** `embedded` or `DATABASE_URL`. */
  server: string;
  /** Durability-relevant server settings, shown so a run with fsync off is never mistaken for a real one. */
  settings: Record<string, string>;
  clockTicksPerSecond: number;
}

export interface Calibration {
  label: string;
  samples: number[];
  summary: Summary;
}

export interface FigureReport extends Figure {
  summary?: Summary;
  /** value (or p50) divided by each declared baseline's; a baseline that did not run has none. */
  ratios?: { baseline: string; ratio: number | undefined }[];
}

/** The baselines a figure declares, as a list. */
export function baselinesOf(figure: Figure): string[] {
  return figure.baseline === undefined ? [] : Array.isArray(figure.baseline) ? figure.baseline : [figure.baseline];
}

export interface SuiteReport {
  name: string;
  durationMs: number;
  figures: FigureReport[];
  error?: string;
}

export interface RunReport {
  startedAt: string;
  mode: BenchMode;
  durationMs: number;
  machine: MachineInfo;
  calibration: Calibration;
  /** How figures shared by several suites are measured, printed once under the table. */
  methods: string[];
  suites: SuiteReport[];
}

export interface SuiteOutcome {
  name: string;
  durationMs: number;
  figures: Figure[];
  error?: string;
}

/** The figure's headline number: p50 of a distribution, else its value. */
export function readHeadline(figure: FigureReport): number | undefined {
  return figure.summary?.p50 ?? figure.value;
}

export function buildRunReport(input: Omit<RunReport, 'suites'> & { suites: SuiteOutcome[] }): RunReport {
  const suites: SuiteReport[] = input.suites.map((suite) => ({
    ...suite,
    figures: suite.figures.map((f) =>
      f.samples === undefined ? { ...f } : { ...f, summary: summarizeSamples(f.samples) },
    ),
  }));
  const byId = new Map(suites.flatMap((s) => s.figures.map((f) => [f.id, f] as const)));
  for (const figure of byId.values()) {
    const baselines = baselinesOf(figure);
    if (baselines.length === 0) continue;
    const numerator = readHeadline(figure);
    figure.ratios = baselines.map((baseline) => {
      const base = byId.get(baseline);
      const denominator = base === undefined ? undefined : readHeadline(base);
      const ratio =
        numerator !== undefined && denominator !== undefined && denominator !== 0 ? numerator / denominator : undefined;
      return { baseline, ratio };
    });
  }
  return { ...input, suites };
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function renderMarkdown(report: RunReport): string {
  const { machine, calibration } = report;
  const settings = Object.entries(machine.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    `## Benchmark (${report.mode}) ${report.startedAt}`,
    '',
    `- machine: ${machine.cpuModel}, ${machine.cores} cores, load average ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}, node ${machine.node}`,
    `- server: ${machine.postgres} (${machine.server}; ${settings})`,
    `- calibration: ${calibration.label}: p50 ${formatNumber(calibration.summary.p50)} ms, p95 ${formatNumber(calibration.summary.p95)} ms (n ${calibration.summary.n})`,
    '',
    '| figure | what | unit | p50 | p95 | p99 | n | value | ratio to baseline |',
    '|---|---|---|--:|--:|--:|--:|--:|---|',
  ];
  // Figures with the same note (the five per-job figures of one run) share one line.
  const notes = new Map<string, string[]>();
  for (const suite of report.suites) {
    for (const f of suite.figures) {
      const s = f.summary;
      const ratio = (f.ratios ?? [])
        .map((r) => (r.ratio === undefined ? `(${r.baseline} not run)` : `${formatNumber(r.ratio)}× ${r.baseline}`))
        .join('; ');
      lines.push(
        `| \`${f.id}\` | ${escapeCell(f.label)} | ${f.unit} | ${formatNumber(s?.p50)} | ${formatNumber(s?.p95)} | ${formatNumber(s?.p99)} | ${s?.n ?? ''} | ${formatNumber(f.value)} | ${ratio} |`,
      );
      if (f.notes !== undefined) notes.set(f.notes, [...(notes.get(f.notes) ?? []), f.id]);
    }
  }
  const failures = report.suites
    .filter((s) => s.error !== undefined)
    .map((s) => `- suite **${s.name}** failed: ${s.error ?? ''}`);
  const timings = report.suites.map((s) => `${s.name} ${(s.durationMs / 1000).toFixed(1)} s`).join(', ');
  const noteLines = [...notes].map(([note, ids]) => `- ${formatIds(ids)}: ${note}`);
  return [
    ...lines,
    '',
    ...failures,
    ...(failures.length > 0 ? [''] : []),
    ...noteLines,
    ...report.methods.map((m) => `- ${m}`),
    '',
    `Suites: ${timings}; total ${(report.durationMs / 1000).toFixed(1)} s.`,
    '',
  ].join('\n');
}

/** `a.b.x`, `a.b.y` → `a.b.{x, y}`: the per-job figures of one run on one line. */
function formatIds(ids: string[]): string {
  if (ids.length === 1) return `\`${ids[0] ?? ''}\``;
  const first = ids[0] ?? '';
  let prefix = first.slice(0, first.lastIndexOf('.') + 1);
  while (prefix !== '' && !ids.every((id) => id.startsWith(prefix)))
    prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('.') + 1);
  if (prefix === '') return ids.map((id) => `\`${id}\``).join(', ');
  return `\`${prefix}{${ids.map((id) => id.slice(prefix.length)).join(', ')}}\``;
}
