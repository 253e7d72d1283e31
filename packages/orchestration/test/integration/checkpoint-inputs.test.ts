// Bad CheckpointStep inputs on both transports: each is a 400 / INVALID_ARGUMENT naming the field, never a 500.
// gRPC also gets bytes no typed client sends (a negative uint64, wrong wire types, a truncated message).
import { Client, Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODE_TRAILER } from '@tasker/shared/errors';
import { CheckpointStepRequest } from '@tasker/shared/gen/tasker/v1/workers';
import { UNDECODABLE_REQUEST_MESSAGE } from '@tasker/shared/grpc';
import type { FastifyInstance } from 'fastify';
import { Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';

const h = useGrpcRuntime();
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildRestApp(h.services, h.config);
});
afterAll(async () => {
  if (app !== undefined) await closeApp(app, 200);
});

const MISSING_UUID = '0190a4f0-5a1b-7c3d-8e4f-0000000000cc';
const valid = { worker_id: 'w', step_uuid: MISSING_UUID, lease_token: MISSING_UUID, cursor: { offset: 1 } };

function omit(...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(valid).filter(([k]) => !keys.includes(k)));
}

describe('POST /v1/workers/checkpoint', () => {
  it.each([
    ['no step_uuid or lease_token', omit('step_uuid', 'lease_token'), ['lease_token', 'step_uuid']],
    ['no worker_id', omit('worker_id'), ['worker_id']],
    ['no cursor', omit('cursor'), ['cursor']],
    ['a null cursor', { ...valid, cursor: null }, ['cursor']],
    [
      'non-UUID step_uuid and lease_token',
      { ...valid, step_uuid: 'step-1', lease_token: '42' },
      ['lease_token', 'step_uuid'],
    ],
    ['a negative items_processed', { ...valid, items_processed: -1 }, ['items_processed']],
    ['a fractional items_processed', { ...valid, items_processed: 0.5 }, ['items_processed']],
    ['items_processed past 2^53', { ...valid, items_processed: 2 ** 53 }, ['items_processed']],
    ['items_processed as a string', { ...valid, items_processed: '10' }, ['items_processed']],
    [
      'a numeric step_uuid and a null lease_token',
      { ...valid, step_uuid: 7, lease_token: null },
      ['lease_token', 'step_uuid'],
    ],
    ['an array worker_id', { ...valid, worker_id: ['w'] }, ['worker_id']],
  ])('refuses %s with 400 naming the field', async (_, payload, fields) => {
    const res = await app.inject({ method: 'POST', url: '/v1/workers/checkpoint', payload });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; details: { fields: Array<{ path: string }> } } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    // REST names a body field by its place in the request.
    expect([...new Set(body.error.details.fields.map((f) => f.path))].sort()).toEqual(fields.map((f) => `body.${f}`));
  });

  it.each([
    ['a JSON array', '[]'],
    ['malformed JSON', '{"worker_id": "w",'],
  ])('refuses %s as a body with 400', async (_, raw) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/workers/checkpoint',
      payload: raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });

  it('answers a well-formed checkpoint of a step that does not exist with 404, not 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/workers/checkpoint', payload: valid });
    expect(res.statusCode).toBe(404);
  });
});

describe('WorkerService.CheckpointStep', () => {
  const request = (overrides: Partial<CheckpointStepRequest> = {}) =>
    CheckpointStepRequest.fromPartial({
      workerId: 'w',
      stepUuid: MISSING_UUID,
      leaseToken: MISSING_UUID,
      cursor: { offset: 1 },
      ...overrides,
    });

  it.each([
    ['no step_uuid or lease_token', { stepUuid: '', leaseToken: '' }, ['lease_token', 'step_uuid']],
    ['no worker_id', { workerId: '' }, ['worker_id']],
    ['no cursor', { cursor: undefined }, ['cursor']],
    ['a null cursor', { cursor: null }, ['cursor']],
    ['non-UUID step_uuid and lease_token', { stepUuid: 'step-1', leaseToken: '42' }, ['lease_token', 'step_uuid']],
  ])('refuses %s with INVALID_ARGUMENT naming the field', async (_, overrides, fields) => {
    const err = await grpcErrorOf(h.clients.workers.checkpointStep(request(overrides)));
    expect([err.status, err.code]).toEqual([Status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
    const paths = ((err.details?.fields ?? []) as Array<{ path: string }>).map((f) => f.path).sort();
    expect(paths).toEqual(fields);
  });

  it('a typed client cannot even encode a negative items_processed (uint64)', () => {
    expect(() => CheckpointStepRequest.encode(request({ itemsProcessed: -1 }))).toThrow(/uint64/);
  });

  /** Sends `bytes` as the request message as is. */
  function rawCall(bytes: Uint8Array): Promise<ServiceError> {
    const client = new Client(h.address, credentials.createInsecure());
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        '/tasker.v1.WorkerService/CheckpointStep',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        new Metadata(),
        (err) => {
          client.close();
          if (err === null) reject(new Error('expected the call to fail'));
          else resolve(err);
        },
      );
    });
  }

  const validBytes = () => CheckpointStepRequest.encode(request()).finish();
  const append = (...tail: number[]) => Uint8Array.from([...validBytes(), ...tail]);
  const errorCodeOf = (err: ServiceError) => err.metadata.get(ERROR_CODE_TRAILER)[0];

  it('refuses a negative items_processed on the wire (its varint decodes past 2^53) as undecodable', async () => {
    // Field 5, varint: -1 as a 64-bit two's complement (ten bytes).
    const err = await rawCall(append(0x28, ...Array<number>(9).fill(0xff), 0x01));
    expect([err.code, errorCodeOf(err), err.details]).toEqual([
      GrpcStatus.INVALID_ARGUMENT,
      'VALIDATION_FAILED',
      UNDECODABLE_REQUEST_MESSAGE,
    ]);
  });

  it('refuses a truncated message as undecodable', async () => {
    const bytes = validBytes();
    const err = await rawCall(bytes.subarray(0, bytes.length - 3));
    expect([err.code, errorCodeOf(err)]).toEqual([GrpcStatus.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
  });

  it('reads a step_uuid of the wrong wire type as absent, and names it', async () => {
    // Only field 2 (step_uuid), as a varint instead of a string: the decoder skips it like an unknown field.
    const bytes = CheckpointStepRequest.encode(request({ stepUuid: '' })).finish();
    const err = await rawCall(Uint8Array.from([...bytes, 0x10, 0x07]));
    expect([err.code, errorCodeOf(err)]).toEqual([GrpcStatus.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
    expect(err.details).toContain('step_uuid');
  });

  it('reads an items_processed of the wrong wire type as absent (protobuf skips it): the call goes on', async () => {
    // Field 5 as a length-delimited "5": skipped, so items_processed is 0 and the unknown step answers NOT_FOUND.
    const err = await rawCall(append(0x2a, 0x01, 0x35));
    expect([err.code, errorCodeOf(err)]).toEqual([GrpcStatus.NOT_FOUND, 'NOT_FOUND']);
  });
});
