// The middleware chain over stub services (no database): error translation, authentication and permissions.
import { AppError, type ErrorCode, ERROR_CODES, ERROR_TABLE } from '@tasker/shared/errors';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import { makeTask, makeUuid } from '@tasker/shared/testing/builders';
import { Status } from 'nice-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcErrorOf } from './testing/clients.js';
import { makeStubServices, startGrpcHarness, type GrpcHarness } from './testing/harness.js';

let harness: GrpcHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const taskUuid = makeUuid();

describe('error translation', () => {
  const expressible = ERROR_CODES.filter((c) => c !== 'INTERNAL');

  it.each(expressible.map((c) => [c]))(
    'answers an AppError %s with its table status and error-code trailer',
    async (code) => {
      harness = await startGrpcHarness(
        makeStubServices({
          tasks: {
            get: async () => {
              throw new AppError(code as ErrorCode, `boom ${code}`, { details: { why: code } });
            },
          },
        }),
      );
      const err = await grpcErrorOf(harness.clients.tasks.getTask({ taskUuid }));
      expect(err.status).toBe(ERROR_TABLE[code as ErrorCode].grpc);
      expect(err.code).toBe(code);
      expect(err.message).toContain(`boom ${code}`);
      expect(err.details).toEqual({ why: code });
    },
  );

  it('adds a retry-after trailer for BACKPRESSURE, keeping it distinct from UNAVAILABLE', async () => {
    harness = await startGrpcHarness(
      makeStubServices({
        tasks: {
          createWithAdmission: async () => {
            throw new AppError('BACKPRESSURE', 'queue depth critical', { retryAfterSeconds: 7 });
          },
        },
      }),
    );
    const req = {
      namespace: 'n',
      name: 'x',
      version: '1',
      context: {},
      initiator: 'i',
      sourceSystem: 's',
      reason: 'r',
    };
    const err = await grpcErrorOf(harness.clients.tasks.createTask(req));
    expect([err.status, err.code, err.retryAfterSeconds]).toEqual([Status.UNAVAILABLE, 'BACKPRESSURE', 7]);
  });

  it.each([
    ['an unknown error', new Error('db password is hunter2')],
    ['an AppError INTERNAL', new AppError('INTERNAL', 'db password is hunter2')],
  ])('hides %s behind a generic INTERNAL and logs the detail', async (_, thrown) => {
    harness = await startGrpcHarness(makeStubServices({ tasks: { get: async () => Promise.reject(thrown) } }));
    const err = await grpcErrorOf(harness.clients.tasks.getTask({ taskUuid }));
    expect([err.status, err.code, err.message]).toEqual([Status.INTERNAL, 'INTERNAL', 'internal error']);
    expect(JSON.stringify(err)).not.toContain('hunter2');
    expect(harness.logged).toHaveLength(1);
    expect(harness.logged[0]).toMatchObject({
      level: 'error',
      obj: { err: thrown, method: '/tasker.v1.TaskService/GetTask' },
    });
  });

  it('rejects a bad request before the service is called, naming the fields', async () => {
    // The stub has no tasks.get: reaching the service would be an INTERNAL "unexpected call".
    harness = await startGrpcHarness(makeStubServices());
    const err = await grpcErrorOf(harness.clients.tasks.getTask({ taskUuid: 'not-a-uuid' }));
    expect([err.status, err.code]).toEqual([Status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
    expect(err.details).toEqual({ fields: [{ path: 'task_uuid', message: 'must be a UUID' }] });
  });
});

describe('authentication and permissions', () => {
  const seen: Principal[] = [];
  const services = () =>
    makeStubServices({
      tasks: {
        get: async (principal) => {
          seen.push(principal);
          return makeTask({ taskUuid });
        },
        getContext: async () => ({ taskUuid, inputs: {}, outputs: {}, merged: {} }),
      },
    });

  it('hands the all-permissions principal to services when auth is disabled', async () => {
    seen.length = 0;
    harness = await startGrpcHarness(services());
    await harness.clients.tasks.getTask({ taskUuid });
    expect(seen).toEqual([ALL_PERMISSIONS_PRINCIPAL]);
  });

  it('refuses protected calls when auth is on and no authenticator is configured, but serves health', async () => {
    harness = await startGrpcHarness(services(), { auth: { enabled: true } });
    const err = await grpcErrorOf(harness.clients.tasks.getTask({ taskUuid }));
    expect([err.status, err.code]).toEqual([Status.UNAUTHENTICATED, 'UNAUTHENTICATED']);
    expect((await harness.clients.health.checkLiveness({})).status).toBe('alive');
    expect((await harness.clients.grpcHealth.check({ service: '' })).status).toBe(1);
  });

  it('passes the raw credentials to the authenticator and checks the RPC permission', async () => {
    const credentials: unknown[] = [];
    const reader: Principal = { subject: 'reader', kind: 'jwt', permissions: ['tasks:read'], namespaces: null };
    harness = await startGrpcHarness(
      services(),
      { auth: { enabled: true } },
      {
        authenticate: async (c) => {
          credentials.push(c);
          if (c.authorization === undefined && c.apiKey === undefined)
            throw new AppError('UNAUTHENTICATED', 'missing credentials');
          return reader;
        },
      },
    );
    const anonymous = await grpcErrorOf(harness.clients.tasks.getTask({ taskUuid }));
    expect(anonymous.code).toBe('UNAUTHENTICATED');

    const withToken = harness.connect({ metadata: { authorization: 'Bearer abc.def.ghi' } });
    seen.length = 0;
    await withToken.tasks.getTask({ taskUuid });
    expect(seen).toEqual([reader]);
    const denied = await grpcErrorOf(withToken.tasks.listTasks({}));
    expect([denied.status, denied.code, denied.message]).toEqual([
      Status.PERMISSION_DENIED,
      'PERMISSION_DENIED',
      'Missing required permission: tasks:list',
    ]);
    // include_context reveals step outputs: it needs GetTaskContext's permission as well.
    const context = await grpcErrorOf(withToken.tasks.getTask({ taskUuid, includeContext: true }));
    expect(context.message).toBe('Missing required permission: tasks:context_read');

    const withKey = harness.connect({ metadata: { 'x-api-key': 'secret-key' } });
    await withKey.tasks.getTask({ taskUuid });
    expect(credentials).toEqual([
      { authorization: undefined, apiKey: undefined },
      { authorization: 'Bearer abc.def.ghi', apiKey: undefined },
      { authorization: 'Bearer abc.def.ghi', apiKey: undefined },
      { authorization: 'Bearer abc.def.ghi', apiKey: undefined },
      { authorization: undefined, apiKey: 'secret-key' },
    ]);
  });
});
