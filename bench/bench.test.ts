// Smoke test of the benchmark harness: every registered suite in its smallest configuration against the
// integration server, checking the harness (figures measured and well-formed, report renders, files
// written), never timings.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { runBench } from './lib/harness.js';
import { computePercentile, summarizeSamples } from './lib/stats.js';
import { baselinesOf } from './lib/report.js';
import { SIZES } from './lib/suite.js';
import { SUITES } from './suites/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/** Minimal well-formedness: every opened tag is closed in order (self-closing tags stand alone). */
function checkBalancedTags(svg: string): void {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name = '', selfClosing] = match;
    if (selfClosing === '/') continue;
    if (closing === '/') expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
}

it('interpolates percentiles linearly between closest ranks', () => {
  expect(computePercentile([1, 2], 50)).toBe(1.5);
  expect(computePercentile([10, 20, 30, 40, 50], 95)).toBeCloseTo(48);
  expect(computePercentile([7], 99)).toBe(7);
  expect(computePercentile([], 50)).toBeNaN();
  expect(summarizeSamples([3, 1, 2])).toMatchObject({ n: 3, min: 1, max: 3, p50: 2, mean: 2 });
});

it('runs every registered suite and renders a consistent report', async () => {
  const adminUrl = inject('databaseUrl');
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'tasker-bench-smoke-'));
  const lines: string[] = [];
  try {
    const run = await runBench({
      mode: 'smoke',
      adminUrl,
      server: 'integration',
      suites: SUITES,
      outDir,
      log: (l) => lines.push(l),
    });
    const { report } = run;

    expect(report.suites.map((s) => [s.name, s.error])).toEqual(SUITES.map((s) => [s.name, undefined]));
    const figures = report.suites.flatMap((s) => s.figures);
    const ids = figures.map((f) => f.id);
    expect(new Set(ids).size, 'figure ids are unique').toBe(ids.length);
    for (const suite of report.suites) expect(suite.figures.length, suite.name).toBeGreaterThan(0);
    for (const f of figures) {
      expect(f.samples === undefined, `${f.id}: exactly one of samples and value`).toBe(f.value !== undefined);
      const values = f.samples ?? [f.value ?? Number.NaN];
      if (f.samples !== undefined) expect(f.samples.length, f.id).toBeGreaterThanOrEqual(SIZES.smoke.chainSamples);
      for (const v of values) {
        expect(Number.isFinite(v), `${f.id} finite`).toBe(true);
        // PostgreSQL CPU comes in 10 ms clock ticks: a tiny run may legitimately measure none.
        if (f.id.endsWith('.cpu_ms.postgres')) expect(v, f.id).toBeGreaterThanOrEqual(0);
        else expect(v, f.id).toBeGreaterThan(0);
      }
      for (const baseline of baselinesOf(f)) expect(ids, `${f.id} baseline`).toContain(baseline);
      for (const r of f.ratios ?? []) expect(Number.isFinite(r.ratio), `${f.id} ratio to ${r.baseline}`).toBe(true);
      expect(f.ratios?.length ?? 0, `${f.id} ratios`).toBe(baselinesOf(f).length);
    }
    expect(report.calibration.summary.p50).toBeGreaterThan(0);

    for (const id of ids) expect(run.markdown).toContain(`\`${id}\``);
    expect(run.markdown.match(/^\| `/gm)).toHaveLength(ids.length);

    expect(run.files).toBeDefined();
    const svg = await readFile(run.files?.svg ?? '', 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    checkBalancedTags(svg);
    for (const f of figures.filter((x) => x.samples !== undefined)) expect(svg).toContain(f.id);

    const json = JSON.parse(await readFile(run.files?.json ?? '', 'utf8')) as typeof report;
    expect(json.suites.flatMap((s) => s.figures.map((f) => f.id))).toEqual(ids);
    expect(json.suites.flatMap((s) => s.figures).find((f) => f.samples !== undefined)?.summary?.n).toBe(
      SIZES.smoke.chainSamples,
    );
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nbench log:\n${lines.join('\n')}`, {
      cause: err,
    });
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}, 240_000);
