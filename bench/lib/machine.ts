// What the numbers were measured on, and how fast this machine commits right now: every durable figure of
// the run sits on top of that commit latency, so a noisy or slow-disk run shows here first.
import os from 'node:os';
import type { Sql } from 'postgres';
import { openSql } from './pg.js';
import { readClockTicksPerSecond } from './proc-cpu.js';
import type { Calibration, MachineInfo } from './report.js';
import { summarizeSamples } from './stats.js';

const DURABILITY_SETTINGS = [
  'fsync',
  'synchronous_commit',
  'wal_sync_method',
  'full_page_writes',
  'shared_buffers',
  'max_connections',
];

export async function describeMachine(admin: Sql, server: string): Promise<MachineInfo> {
  const [version] = await admin<{ version: string }[]>`SELECT version() AS version`;
  const rows = await admin<{ name: string; setting: string; unit: string | null }[]>`
    SELECT name, setting, unit FROM pg_settings WHERE name IN ${admin(DURABILITY_SETTINGS)} ORDER BY name`;
  const settings = Object.fromEntries(
    rows.map((r) => [r.name, r.unit === '8kB' ? `${(Number(r.setting) * 8) / 1024}MB` : r.setting]),
  );
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    loadAverage: os.loadavg(),
    node: process.version,
    postgres: (version?.version ?? 'unknown').split(' on ')[0] ?? 'unknown',
    server,
    settings,
    clockTicksPerSecond: readClockTicksPerSecond(),
  };
}

/**
 * One durable single-row INSERT commit, as bench/engine-throughput.ts measures it (a serial-keyed table,
 * `INSERT … DEFAULT VALUES` in autocommit through postgres.js), but timed one by one for a distribution.
 */
export async function measureCommitLatency(databaseUrl: string, samples: number): Promise<Calibration> {
  const sql = openSql(databaseUrl);
  try {
    await sql`CREATE TABLE commit_probe (id serial PRIMARY KEY)`;
    for (let i = 0; i < 5; i += 1) await sql`INSERT INTO commit_probe DEFAULT VALUES`;
    const timings: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const started = performance.now();
      await sql`INSERT INTO commit_probe DEFAULT VALUES`;
      timings.push(performance.now() - started);
    }
    return { label: 'one durable single-row INSERT commit', samples: timings, summary: summarizeSamples(timings) };
  } finally {
    await sql.end();
  }
}
