// What an idle replica costs the database: started on a real PostgreSQL and left alone, the runtime sends at
// most one statement a second, summed over every loop (pulse = readiness probe + backpressure count + lease and
// retry deadlines, sweeper, promoter, staleness, watcher refresh, LISTEN), counted on the wire with postgres.js's
// debug hook. Start-up (migration check, first runs of every loop) is excluded. The pulse keeps running, so
// readiness still follows the database.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './helpers/runtime.js';

const WINDOW_MS = 5000;
const sent: Array<{ at: number; statement: string }> = [];
let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime(undefined, {
    onStatement: (statement) => sent.push({ at: performance.now(), statement }),
  });
});

afterAll(async () => {
  await rt?.stop();
});

it('costs at most one statement a second while idle, and stays ready', async () => {
  await new Promise((r) => setTimeout(r, 1500)); // start-up settles
  const from = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const window = sent.filter((s) => s.at >= from && s.at < from + WINDOW_MS);
  const label = window.map((s) => s.statement.replace(/\s+/g, ' ').slice(0, 80)).join('\n');
  expect(window.length, label).toBeLessThanOrEqual(WINDOW_MS / 1000 + 1);
  // Each of them is the pulse: no loop polls on its own.
  expect(
    window.every((s) => s.statement.includes('min(lease_expires_at)')),
    label,
  ).toBe(true);
  // …and it does run: readiness is a live check, not a cached answer from start-up.
  expect(window.length).toBeGreaterThanOrEqual(WINDOW_MS / 1000 - 1);
  expect(rt.runtime.health.isReady()).toBe(true);
}, 20_000);
