// The files of one run: every figure as JSON and the latency distributions as SVG, side by side.
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunReport } from './report.js';
import { renderLatencySvg } from './svg.js';

/** `YYYY-MM-DDTHHMM` in local time. */
export function formatRunStamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}${pad(date.getMinutes())}`;
}

/** Writes `<stamp>.json` and `<stamp>.svg` into `outDir` (a `-2`, `-3`… suffix keeps earlier runs). */
export async function writeReportFiles(report: RunReport, outDir: string): Promise<{ json: string; svg: string }> {
  await mkdir(outDir, { recursive: true });
  const stamp = formatRunStamp(new Date(report.startedAt));
  let base = path.join(outDir, stamp);
  for (let i = 2; await exists(`${base}.json`); i += 1) base = path.join(outDir, `${stamp}-${i}`);
  const files = { json: `${base}.json`, svg: `${base}.svg` };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.svg, renderLatencySvg(report));
  return files;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
