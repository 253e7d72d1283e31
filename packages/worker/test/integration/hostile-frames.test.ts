// Malformed protobuf messages against every method of both gRPC servers, as real processes: orchestration
// (`main.ts`) and a worker's own surface (`tasker-worker`), reflection on. Each method gets the 6 bytes that
// used to spin google-protobuf's decoder in the reflection service forever (`0a ff ff ff ff 0f`: field 1,
// length 2^32-1) and a set of other malformed frames; after each method, grpc.health.v1 must still answer
// within 100 ms. Frames no decoder can read are answered INVALID_ARGUMENT (error-code VALIDATION_FAILED),
// on every method; odd but well-formed ones (unknown fields, huge field numbers, groups) may get any answer,
// but must get one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listServicesThroughReflection } from '../../../orchestration/src/grpc/testing/reflection-client.js';
import {
  REPO_ROOT,
  startOrchestration,
  startWorkerProcess,
  type Orchestration,
  type WorkerProcess,
} from './helpers/processes.js';

const REFLECTION = '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo';
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
const CALL_DEADLINE_MS = 1_000;
const HEALTH_BUDGET_MS = 100;

const bytes = (...b: number[]) => Buffer.from(b);
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
};

/** No protobuf decoder can read these: every method must answer INVALID_ARGUMENT. */
const UNDECODABLE: Record<string, Buffer> = {
  'field 1 with length 2^32-1 (the reflection hang)': bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f),
  'length far past the end': bytes(0x0a, 0x7f, 0x41),
  'truncated length-delimited field': bytes(0x0a, 0x05, 0x61, 0x62),
  'truncated fixed64': bytes(0x09, 0x01, 0x02),
  'truncated fixed32': bytes(0x0d, 0x01),
  'wire type 6': bytes(0x0e, 0x00),
  'wire type 7': bytes(0x0f, 0x00),
  'unterminated group': bytes(0x0b, 0x08, 0x01),
  'groups nested past the recursion limit': Buffer.from([
    ...Array.from({ length: 200 }, () => 0x0b),
    ...Array.from({ length: 200 }, () => 0x0c),
  ]),
};

/** Well-formed or harmlessly odd: any answer will do, as long as there is one and the server stays up. */
const ODD: Record<string, Buffer> = {
  'largest field number': Buffer.from([...varint((2 ** 29 - 1) * 8), 0x00]),
  'tag wider than 32 bits': bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00),
  'overlong varint': bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  'balanced group': bytes(0x0b, 0x08, 0x01, 0x0c),
  'end-group tag alone': bytes(0x0c),
  'field number 0': bytes(0x00, 0x01),
  garbage: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 197 + 31) % 256)),
};

interface Method {
  path: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

/** Every method of the descriptor set's services named `services`. */
function methodsOf(services: readonly string[]): Method[] {
  const set = fromBinary(
    FileDescriptorSetSchema,
    readFileSync(join(REPO_ROOT, 'packages/shared/src/gen/descriptor_set.bin')),
  );
  const registry = createFileRegistry(set);
  return services.flatMap((name) => {
    const service = registry.getService(name);
    if (service === undefined) throw new Error(`service ${name} is not in the descriptor set`);
    return service.methods.map((m) => ({
      path: `/${name}/${m.name}`,
      clientStreaming: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      serverStreaming: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
    }));
  });
}

interface Outcome {
  code: number;
  errorCode: string | undefined;
  details: string;
}

const identity = (b: Buffer) => b;

function outcomeOf(err: ServiceError | null | undefined): Outcome {
  if (!err) return { code: status.OK, errorCode: undefined, details: '' };
  const errorCode = err.metadata?.get('error-code')[0];
  return { code: err.code, errorCode: errorCode === undefined ? undefined : String(errorCode), details: err.details };
}

/** Sends `frame` as the (first) request message of `method` and waits for the call's end or its deadline. */
function call(client: Client, method: Method, frame: Buffer): Promise<Outcome> {
  const deadline = Date.now() + CALL_DEADLINE_MS;
  return new Promise((resolve) => {
    if (!method.clientStreaming && !method.serverStreaming) {
      client.makeUnaryRequest(method.path, identity, identity, frame, new Metadata(), { deadline }, (err) =>
        resolve(outcomeOf(err)),
      );
      return;
    }
    const stream = method.clientStreaming
      ? client.makeBidiStreamRequest(method.path, identity, identity, new Metadata(), { deadline })
      : client.makeServerStreamRequest(method.path, identity, identity, frame, new Metadata(), { deadline });
    stream.on('data', () => undefined);
    stream.on('error', (err: ServiceError) => resolve(outcomeOf(err)));
    stream.on('end', () => resolve(outcomeOf(null)));
    if (method.clientStreaming) {
      const writable = stream as unknown as { write(b: Buffer): void; end(): void };
      writable.write(frame);
      writable.end();
    }
  });
}

/** grpc.health.v1 Check over an already connected channel: true when it answered SERVING within the budget. */
async function healthAnswersInTime(client: Client): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  const ok = await new Promise<boolean>((resolve) => {
    client.makeUnaryRequest(
      HEALTH_CHECK,
      identity,
      identity,
      Buffer.alloc(0),
      new Metadata(),
      { deadline: Date.now() + HEALTH_BUDGET_MS },
      (err, res) =>
        // HealthCheckResponse{status: SERVING} = field 1, varint 1.
        resolve(!err && res !== undefined && res.equals(bytes(0x08, 0x01))),
    );
  });
  return { ok, ms: performance.now() - started };
}

async function survivesEveryFrame(address: string): Promise<void> {
  const client = new Client(address, credentials.createInsecure());
  const probe = new Client(address, credentials.createInsecure());
  try {
    // Warm the probe's channel: the budget is for an answer, not for a TCP + HTTP/2 handshake.
    expect((await healthAnswersInTime(probe)).ok || (await healthAnswersInTime(probe)).ok).toBe(true);
    const services = await listServicesThroughReflection(address);
    expect(services).toContain('grpc.health.v1.Health');
    const methods = [...methodsOf(services), { path: REFLECTION, clientStreaming: true, serverStreaming: true }];
    const wrong: string[] = [];
    for (const method of methods) {
      for (const [name, frame] of Object.entries(UNDECODABLE)) {
        const outcome = await call(client, method, frame);
        if (outcome.code !== status.INVALID_ARGUMENT || outcome.errorCode !== 'VALIDATION_FAILED') {
          wrong.push(`${method.path} ← ${name}: ${JSON.stringify(outcome)}`);
        }
      }
      for (const frame of Object.values(ODD)) await call(client, method, frame);
      // A hung process answers none of these; a loaded CI machine may miss one.
      const attempts = [await healthAnswersInTime(probe)];
      while (!attempts.at(-1)!.ok && attempts.length < 3) attempts.push(await healthAnswersInTime(probe));
      expect(
        attempts.at(-1)!.ok,
        `health after ${method.path}: ${attempts.map((a) => `${a.ms.toFixed(0)} ms`).join(', ')}`,
      ).toBe(true);
    }
    expect(wrong).toEqual([]);
  } finally {
    client.close();
    probe.close();
  }
}

let orchestration: Orchestration;
let worker: WorkerProcess;

beforeAll(async () => {
  orchestration = await startOrchestration({ TASKER_GRPC_REFLECTION: 'true' });
  worker = await startWorkerProcess(orchestration, 'grpc', [], { TASKER_GRPC_REFLECTION: 'true' });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await orchestration?.stop();
});

describe('malformed gRPC messages', () => {
  it('never stall orchestration: every method refuses undecodable frames, health answers within 100 ms', async () => {
    await survivesEveryFrame(orchestration.grpcAddress);
    expect((await fetch(`${orchestration.restUrl}/health/ready`)).status).toBe(200);
  }, 120_000);

  it("never stall a worker's own gRPC surface", async () => {
    await survivesEveryFrame(worker.grpcAddress);
    expect((await fetch(`${worker.restUrl}/health/ready`)).status).toBe(200);
  }, 120_000);
});
