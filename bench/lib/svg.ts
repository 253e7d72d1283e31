// Hand-written SVG of every latency distribution of a run (and the commit calibration as the reference
// row): one strip per figure on a shared log-scale ms axis, samples as dots, the p25–p75 box, the median as
// a bar, min–max as a whisker and p95/p99 as ticks.
import type { RunReport } from './report.js';
import { computePercentile, formatNumber } from './stats.js';

interface Row {
  id: string;
  label: string;
  samples: number[];
}

const WIDTH = 1060;
const LABEL_WIDTH = 250;
const PLOT_WIDTH = 560;
const ROW_HEIGHT = 38;
const TOP = 48;
const AXIS_HEIGHT = 44;

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function collectRows(report: RunReport): Row[] {
  const rows: Row[] = [{ id: 'calibration', label: report.calibration.label, samples: report.calibration.samples }];
  for (const suite of report.suites) {
    for (const f of suite.figures) {
      if (f.unit === 'ms' && f.samples !== undefined && f.samples.length > 0)
        rows.push({ id: f.id, label: f.label, samples: f.samples });
    }
  }
  return rows;
}

function chooseTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) if (decade * m <= hi * 1.0001) ticks.push(decade * m);
  }
  return ticks;
}

export function renderLatencySvg(report: RunReport): string {
  const rows = collectRows(report);
  const positive = rows.flatMap((r) => r.samples).filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, 1)));
  if (hi <= lo) hi = lo * 10;
  const x = (v: number): number =>
    LABEL_WIDTH + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT_WIDTH;
  const height = TOP + rows.length * ROW_HEIGHT + AXIS_HEIGHT;
  const bottom = TOP + rows.length * ROW_HEIGHT;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(`Latency distributions (${report.mode}, ${report.startedAt})`)}</text>`,
    `<text x="12" y="38" fill="#555555">${escapeXml(`${report.machine.cpuModel}, ${report.machine.cores} cores; ${report.machine.postgres}; log-scale ms; box p25–p75, red p50, orange p95/p99, whisker min–max`)}</text>`,
  ];
  for (const tick of chooseTicks(lo, hi)) {
    const tx = x(tick).toFixed(1);
    out.push(`<line x1="${tx}" y1="${TOP}" x2="${tx}" y2="${bottom}" stroke="#e3e3e3"/>`);
    out.push(
      `<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#444444">${escapeXml(formatNumber(tick))}</text>`,
    );
  }
  out.push(
    `<text x="${LABEL_WIDTH + PLOT_WIDTH / 2}" y="${bottom + 34}" text-anchor="middle" fill="#444444">ms</text>`,
  );
  rows.forEach((row, index) => out.push(renderRow(row, TOP + index * ROW_HEIGHT, x)));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function renderRow(row: Row, top: number, x: (v: number) => number): string {
  const sorted = [...row.samples].sort((a, b) => a - b);
  const p = (q: number): number => computePercentile(sorted, q);
  const mid = top + ROW_HEIGHT / 2;
  const parts: string[] = [`<g>`, `<title>${escapeXml(`${row.id}: ${row.label}`)}</title>`];
  parts.push(`<text x="12" y="${mid + 4}">${escapeXml(row.id)}</text>`);
  parts.push(
    `<line x1="${x(sorted[0] ?? 0).toFixed(1)}" y1="${mid}" x2="${x(sorted[sorted.length - 1] ?? 0).toFixed(1)}" y2="${mid}" stroke="#888888"/>`,
  );
  sorted.forEach((v, i) => {
    // Deterministic vertical jitter (golden-ratio sequence) so equal samples stay visible as a band.
    const jitter = (((i * 0.618034) % 1) - 0.5) * (ROW_HEIGHT - 14);
    parts.push(
      `<circle cx="${x(v).toFixed(1)}" cy="${(mid + jitter).toFixed(1)}" r="1.8" fill="#3366cc" fill-opacity="0.35"/>`,
    );
  });
  const boxLeft = x(p(25));
  parts.push(
    `<rect x="${boxLeft.toFixed(1)}" y="${top + 8}" width="${Math.max(1, x(p(75)) - boxLeft).toFixed(1)}" height="${ROW_HEIGHT - 16}" fill="none" stroke="#1a3d80"/>`,
  );
  parts.push(
    `<line x1="${x(p(50)).toFixed(1)}" y1="${top + 5}" x2="${x(p(50)).toFixed(1)}" y2="${top + ROW_HEIGHT - 5}" stroke="#cc3311" stroke-width="2.5"/>`,
  );
  for (const q of [95, 99]) {
    parts.push(
      `<line x1="${x(p(q)).toFixed(1)}" y1="${top + 10}" x2="${x(p(q)).toFixed(1)}" y2="${top + ROW_HEIGHT - 10}" stroke="#ee7733" stroke-width="1.5"/>`,
    );
  }
  const summary = `p50 ${formatNumber(p(50))}  p95 ${formatNumber(p(95))}  p99 ${formatNumber(p(99))}  n ${sorted.length}`;
  parts.push(
    `<text x="${LABEL_WIDTH + PLOT_WIDTH + 12}" y="${mid + 4}" fill="#333333">${escapeXml(summary)}</text>`,
    '</g>',
  );
  return parts.join('\n');
}
