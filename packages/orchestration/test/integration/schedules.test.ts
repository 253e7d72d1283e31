// Schedules with real PostgreSQL and two engine replicas: each tick creates its task exactly once while both
// replicas' schedulers race for it; catch-up after both replicas were stopped; the overlap policies; the
// service's input rules. Time is moved by rewriting next_fire_at / trigger_anchor_at, not by waiting, except
// for one short real-time run of a per-second cron schedule.
import type { Schedule, ScheduleCreateInput } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachTestRuntime,
  registerFixtureTemplate,
  startTestRuntime,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';

const TEMPLATE = { namespace: 'billing', name: 'invoice_settlement', version: '1.0.0' } as const;
const REPLICA = { schedules: { misfire_grace_ms: 2000 }, engine: { pulse_interval_ms: 200 } };

let base: TestRuntime;
let replicas: TestRuntime[] = [];

async function startReplicas(): Promise<void> {
  replicas = [await attachTestRuntime(base, REPLICA), await attachTestRuntime(base, REPLICA)];
}

async function stopReplicas(): Promise<void> {
  await Promise.all(replicas.map((r) => r.stop()));
  replicas = [];
}

beforeAll(async () => {
  // The database owner runs no scheduler: only the two replicas do, and they can be stopped together.
  base = await startTestRuntime({ schedules: { enabled: false, misfire_grace_ms: 2000 } });
  await registerFixtureTemplate(base.services, 'linear');
  await startReplicas();
});

afterAll(async () => {
  await stopReplicas();
  await base?.stop();
});

function create(input: Partial<ScheduleCreateInput>): Promise<Schedule> {
  return base.services.schedules!.create(TEST_PRINCIPAL, { ...TEMPLATE, context: { invoice_id: 7 }, ...input });
}

interface FiringView {
  fire_at: Date;
  outcome: string;
  task_uuid: string | null;
}

function firings(scheduleUuid: string): Promise<FiringView[]> {
  return base.sql<FiringView[]>`
    SELECT fire_at, outcome, task_uuid FROM tasker.schedule_firings WHERE schedule_uuid = ${scheduleUuid}
    ORDER BY fire_at`;
}

async function tasksOf(scheduleUuid: string): Promise<{ task_uuid: string; idempotency_key: string }[]> {
  return base.sql`
    SELECT task_uuid, idempotency_key FROM tasker.tasks WHERE initiator = ${`schedule:${scheduleUuid}`}
    ORDER BY idempotency_key`;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every created firing has its own task, and the scheduler made no task without a firing. */
async function expectOneTaskPerFiring(scheduleUuid: string): Promise<FiringView[]> {
  const rows = await firings(scheduleUuid);
  const created = rows.filter((f) => f.outcome === 'created');
  const tasks = await tasksOf(scheduleUuid);
  expect(tasks.length).toBe(created.length);
  expect(new Set(created.map((f) => f.task_uuid)).size).toBe(created.length);
  expect(new Set(tasks.map((t) => t.task_uuid))).toEqual(new Set(created.map((f) => f.task_uuid)));
  return rows;
}

/**
 * Both replicas stopped; the schedule's clock set back so that `missed` interval ticks (60 s apart) lie in the
 * past, the newest 30 s ago; the replicas started again.
 */
async function simulateDowntime(scheduleUuids: string[], missed: number): Promise<Date> {
  await stopReplicas();
  const [row] = await base.sql<{ anchor: Date }[]>`
    SELECT date_trunc('second', now()) - make_interval(secs => ${(missed - 1) * 60 + 30}) AS anchor`;
  const anchor = row!.anchor;
  await base.sql`
    UPDATE tasker.schedules SET trigger_anchor_at = ${anchor}, next_fire_at = ${anchor}
    WHERE schedule_uuid = ANY (${scheduleUuids}::uuid[])`;
  await startReplicas();
  return anchor;
}

describe('exactly once across two replicas', () => {
  it('60 missed per-second ticks with run_all: 60 tasks, one per tick, while both replicas race', async () => {
    const s = await create({ cronExpression: '* * * * * *', catchUpPolicy: 'run_all', catchUpCap: 1000 });
    await stopReplicas();
    const [row] = await base.sql<
      { start: Date }[]
    >`SELECT date_trunc('second', now()) - interval '62 seconds' AS start`;
    const start = row!.start;
    // Ticks from `start` up to 2 s ago are missed; the rest arrive on time while the test watches.
    await base.sql`UPDATE tasker.schedules SET next_fire_at = ${start} WHERE schedule_uuid = ${s.scheduleUuid}`;
    await startReplicas();
    const rows = await waitFor(
      () => firings(s.scheduleUuid),
      (r) => r.length >= 64,
    );
    await base.services.schedules!.pause(TEST_PRINCIPAL, s.scheduleUuid);
    const all = await expectOneTaskPerFiring(s.scheduleUuid);
    expect(rows.length).toBeGreaterThanOrEqual(64);
    // Consecutive seconds from `start`, none missing, none twice (the primary key forbids twice).
    all.forEach((f, i) => {
      expect(f.outcome).toBe('created');
      expect(f.fire_at.getTime()).toBe(start.getTime() + i * 1000);
    });
    const keys = (await tasksOf(s.scheduleUuid)).map((t) => t.idempotency_key);
    expect(new Set(keys).size).toBe(all.length);
  });

  it('a per-second cron schedule in real time fires each tick once across both replicas', async () => {
    const s = await create({ cronExpression: '* * * * * *', timeZone: 'Europe/Berlin' });
    await new Promise((r) => setTimeout(r, 4500));
    const paused = await base.services.schedules!.pause(TEST_PRINCIPAL, s.scheduleUuid);
    expect(paused.nextFireAt).toBeNull();
    const rows = await expectOneTaskPerFiring(s.scheduleUuid);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < rows.length; i += 1) {
      expect(rows[i]!.fire_at.getTime() - rows[i - 1]!.fire_at.getTime()).toBe(1000);
    }
    const after = await base.services.schedules!.get(TEST_PRINCIPAL, s.scheduleUuid);
    expect(after.lastFireAt?.getTime()).toBe(rows[rows.length - 1]!.fire_at.getTime());
  });
});

describe('catch-up after both replicas were stopped', () => {
  it('skip_missed, run_once and run_all (capped and not) handle 31 missed ticks', async () => {
    const hour = { intervalSeconds: 60 };
    const skip = await create({ ...hour, catchUpPolicy: 'skip_missed' });
    const once = await create({ ...hour, catchUpPolicy: 'run_once' });
    const capped = await create({ ...hour, catchUpPolicy: 'run_all', catchUpCap: 5 });
    const all = await create({ ...hour, catchUpPolicy: 'run_all', catchUpCap: 100 });
    const ids = [skip, once, capped, all].map((s) => s.scheduleUuid);
    const anchor = await simulateDowntime(ids, 31);
    const tick = (k: number): number => anchor.getTime() + k * 60_000;

    await waitFor(
      () => firings(all.scheduleUuid),
      (r) => r.length >= 31,
    );
    await waitFor(
      () => base.services.schedules!.get(TEST_PRINCIPAL, skip.scheduleUuid),
      (s) => s.nextFireAt !== null && s.nextFireAt.getTime() === tick(31),
    );
    await waitFor(
      () => base.services.schedules!.get(TEST_PRINCIPAL, capped.scheduleUuid),
      (s) => s.nextFireAt !== null && s.nextFireAt.getTime() === tick(31),
    );
    await waitFor(
      () => base.services.schedules!.get(TEST_PRINCIPAL, once.scheduleUuid),
      (s) => s.nextFireAt !== null && s.nextFireAt.getTime() === tick(31),
    );

    expect(await expectOneTaskPerFiring(skip.scheduleUuid)).toEqual([]);
    const onceRows = await expectOneTaskPerFiring(once.scheduleUuid);
    expect(onceRows.map((f) => f.fire_at.getTime())).toEqual([tick(30)]);
    const cappedRows = await expectOneTaskPerFiring(capped.scheduleUuid);
    expect(cappedRows.map((f) => f.fire_at.getTime())).toEqual([26, 27, 28, 29, 30].map(tick));
    const allRows = await expectOneTaskPerFiring(all.scheduleUuid);
    expect(allRows.map((f) => f.fire_at.getTime())).toEqual(Array.from({ length: 31 }, (_, k) => tick(k)));
    const allAfter = await base.services.schedules!.get(TEST_PRINCIPAL, all.scheduleUuid);
    expect(allAfter.nextFireAt?.getTime()).toBe(tick(31));
    expect(allAfter.lastFireAt?.getTime()).toBe(tick(30));
  });
});

describe('overlap policies', () => {
  it('allow, skip and buffer_one while the previous task is unfinished', async () => {
    // No worker runs: every task stays unfinished until cancelled.
    const allow = await create({ intervalSeconds: 1, overlapPolicy: 'allow' });
    const skip = await create({ intervalSeconds: 1, overlapPolicy: 'skip' });
    const buffer = await create({ intervalSeconds: 1, overlapPolicy: 'buffer_one' });
    const enough = (r: FiringView[]): boolean => r.length >= 3;
    await Promise.all([allow, skip, buffer].map((s) => waitFor(() => firings(s.scheduleUuid), enough)));

    const allowRows = await expectOneTaskPerFiring(allow.scheduleUuid);
    expect(allowRows.every((f) => f.outcome === 'created')).toBe(true);

    const skipRows = await expectOneTaskPerFiring(skip.scheduleUuid);
    expect(skipRows[0]!.outcome).toBe('created');
    expect(skipRows.slice(1).every((f) => f.outcome === 'skipped')).toBe(true);

    const bufferRows = await expectOneTaskPerFiring(buffer.scheduleUuid);
    expect(bufferRows.slice(0, 3).map((f) => f.outcome)).toEqual(['created', 'buffered', 'skipped']);
    const bufferedAt = bufferRows[1]!.fire_at.getTime();

    // The previous tasks finish: skip creates at its next tick, buffer_one runs the buffered firing.
    for (const s of [skip, buffer]) {
      const first = (await firings(s.scheduleUuid))[0]!;
      await base.services.tasks.cancel(TEST_PRINCIPAL, first.task_uuid!, { reason: 'test', performedBy: null });
    }
    const bufferedRun = await waitFor(
      () => firings(buffer.scheduleUuid),
      (r) => r.find((f) => f.fire_at.getTime() === bufferedAt)?.outcome === 'created',
    );
    expect(bufferedRun.find((f) => f.fire_at.getTime() === bufferedAt)?.task_uuid).not.toBeNull();
    const skipAfter = await waitFor(
      () => firings(skip.scheduleUuid),
      (r) => r.filter((f) => f.outcome === 'created').length >= 2,
    );
    expect(skipAfter.filter((f) => f.outcome === 'created').length).toBeGreaterThanOrEqual(2);

    for (const s of [allow, skip, buffer]) {
      await base.services.schedules!.pause(TEST_PRINCIPAL, s.scheduleUuid);
      await expectOneTaskPerFiring(s.scheduleUuid);
    }
  });
});

describe('service rules', () => {
  const schedules = () => base.services.schedules!;

  it.each([
    [{ cronExpression: 'every minute' }, 'cron_expression'],
    [{ cronExpression: '61 * * * *' }, 'cron_expression'],
    [{ cronExpression: '* * * * *', timeZone: 'Mars/Olympus' }, 'time_zone'],
    [{ intervalSeconds: 0 }, 'interval_seconds'],
    [{ intervalSeconds: 60, cronExpression: '* * * * *' }, 'interval_seconds'],
    [{ intervalSeconds: 60, timeZone: 'UTC' }, 'time_zone'],
    [{}, 'cron_expression'],
    [{ intervalSeconds: 60, catchUpCap: 0 }, 'catch_up_cap'],
  ] as [Partial<ScheduleCreateInput>, string][])('create %j is VALIDATION_FAILED naming %s', async (input, field) => {
    await expect(create(input)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [expect.objectContaining({ path: field })] },
    });
  });

  it('an unknown template is NOT_FOUND', async () => {
    await expect(create({ intervalSeconds: 60, version: '9.9.9' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('cron in a time zone: next fire time honours the zone; update, pause, resume, delete', async () => {
    const s = await create({ cronExpression: '0 9 * * *', timeZone: 'America/New_York', paused: true });
    expect(s.nextFireAt).toBeNull();
    const resumed = await schedules().resume(TEST_PRINCIPAL, s.scheduleUuid);
    const next = resumed.nextFireAt!;
    const local = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).format(next);
    expect(local).toBe('09:00');
    const updated = await schedules().update(TEST_PRINCIPAL, s.scheduleUuid, { intervalSeconds: 3600 });
    expect(updated).toMatchObject({ cronExpression: null, timeZone: null, intervalSeconds: 3600 });
    expect(updated.nextFireAt!.getTime() - Date.now()).toBeLessThanOrEqual(3600_000 + 1000);
    await expect(
      schedules().update(TEST_PRINCIPAL, s.scheduleUuid, { timeZone: 'Europe/Paris' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      schedules().update(TEST_PRINCIPAL, s.scheduleUuid, { cronExpression: '* * * * * * * *' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await schedules().list(TEST_PRINCIPAL, { limit: 1000, offset: 0 })).map((x) => x.scheduleUuid)).toContain(
      s.scheduleUuid,
    );
    await schedules().delete(TEST_PRINCIPAL, s.scheduleUuid);
    await expect(schedules().get(TEST_PRINCIPAL, s.scheduleUuid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a namespace-scoped principal sees only its namespaces', async () => {
    const s = await create({ intervalSeconds: 600 });
    const other = { ...TEST_PRINCIPAL, namespaces: ['media'] };
    await expect(schedules().get(other, s.scheduleUuid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await schedules().list(other, { limit: 1000, offset: 0 })).toEqual([]);
  });
});
