// The SDK's schedule operations against a real orchestration, once per transport: create, read, update, pause,
// resume, the firings (with the task a tick created), delete, and the error codes of bad triggers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskerError, createClient, type TaskerClient, type Transport } from '../../src/index.js';
import { LINEAR, LINEAR_YAML, MISSING_UUID } from './helpers/scenario.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

let servers: TestServers;
beforeAll(async () => {
  // Auth off: the shared test key's grants predate schedules (the permission table is checked elsewhere).
  servers = await startTestServers({ auth: false });
});
afterAll(async () => {
  await servers?.stop();
});

describe.each(['rest', 'grpc'] as const)('SDK schedules over %s', (transport: Transport) => {
  let client: TaskerClient;
  beforeAll(async () => {
    client = createClient({
      transport,
      address: servers.address[transport],
      apiKey: TEST_API_KEY,
      retry: { baseMs: 10 },
    });
    await client.templates.register([LINEAR_YAML]);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('create, get, list, update, pause, resume, firings, delete', async () => {
    const created = await client.schedules.create({
      ...LINEAR,
      context: { invoice_id: 5 },
      intervalSeconds: 1,
      overlapPolicy: 'allow',
    });
    expect(created).toMatchObject({ intervalSeconds: 1, paused: false, cronExpression: null });
    expect(created.nextFireAt).toBeInstanceOf(Date);
    expect((await client.schedules.get(created.scheduleUuid)).scheduleUuid).toBe(created.scheduleUuid);
    expect(
      (await client.schedules.list({ namespace: LINEAR.namespace, limit: 1000 })).map((s) => s.scheduleUuid),
    ).toContain(created.scheduleUuid);

    // The first tick is at most a second away.
    let firings = await client.schedules.firings(created.scheduleUuid);
    for (let i = 0; firings.length === 0 && i < 50; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      firings = await client.schedules.firings(created.scheduleUuid);
    }
    const paused = await client.schedules.pause(created.scheduleUuid);
    expect(paused).toMatchObject({ paused: true, nextFireAt: null });
    expect(firings[0]).toMatchObject({ outcome: 'created', scheduleUuid: created.scheduleUuid });
    const task = await client.tasks.get(firings[0]!.taskUuid!);
    expect(task).toMatchObject({
      ...LINEAR,
      initiator: `schedule:${created.scheduleUuid}`,
      context: { invoice_id: 5 },
    });
    expect((await client.schedules.get(created.scheduleUuid)).lastFireAt).toBeInstanceOf(Date);

    const updated = await client.schedules.update(created.scheduleUuid, {
      cronExpression: '0 9 * * *',
      timeZone: 'Asia/Tokyo',
      catchUpPolicy: 'run_once',
    });
    expect(updated).toMatchObject({ cronExpression: '0 9 * * *', timeZone: 'Asia/Tokyo', intervalSeconds: null });
    const resumed = await client.schedules.resume(created.scheduleUuid);
    expect(resumed.nextFireAt?.getUTCHours()).toBe(0);
    expect((await client.schedules.delete(created.scheduleUuid)).scheduleUuid).toBe(created.scheduleUuid);
    await expect(client.schedules.get(created.scheduleUuid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('bad triggers and unknown schedules', async () => {
    const bad = client.schedules.create({ ...LINEAR, cronExpression: 'not a cron' });
    await expect(bad).rejects.toBeInstanceOf(TaskerError);
    await expect(bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(client.schedules.create({ ...LINEAR, intervalSeconds: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      client.schedules.create({ ...LINEAR, cronExpression: '* * * * *', timeZone: 'Nowhere/Land' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(client.schedules.pause(MISSING_UUID)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
