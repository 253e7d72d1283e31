// Percentiles with linear interpolation between closest ranks (the "R-7" / NumPy default definition), so
// p50 of [1, 2] is 1.5 and small samples are not rounded to a neighbouring sample.

export interface Summary {
  n: number;
  min: number;
  max: number;
  mean: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
}

/** p in [0, 100] of ascending `sorted`; NaN for an empty list. */
export function computePercentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower] ?? Number.NaN;
  const high = sorted[upper] ?? Number.NaN;
  return low + (high - low) * (rank - lower);
}

export function summarizeSamples(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((acc, v) => acc + v, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p25: computePercentile(sorted, 25),
    p50: computePercentile(sorted, 50),
    p75: computePercentile(sorted, 75),
    p95: computePercentile(sorted, 95),
    p99: computePercentile(sorted, 99),
  };
}

/** A figure's value for the table: 3 significant digits, integers from 100 up; '' for none. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value === 0 ? '0' : value.toPrecision(2);
}
