// An independent client that knows nothing but the reflection protocol: no generated code, no .proto files.
// It lists the services, fetches their descriptors (following imports by file name), builds message types
// from them at run time and calls grpc.health.v1.Health/Check and tasker.v1.HealthService/CheckLiveness.
import {
  create,
  createFileRegistry,
  fromBinary,
  toBinary,
  toJson,
  type DescMessage,
  type DescMethod,
} from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { ChannelCredentials, createChannel, createClient, type ServiceDefinition } from 'nice-grpc';
import { describe, expect, it } from 'vitest';
import { Status as GrpcStatus } from 'nice-grpc';
import { loadConfig } from '@tasker/shared/config';
import { createGrpcServer } from '../../src/grpc/server.js';
import { listServicesThroughReflection } from '../../src/grpc/testing/reflection-client.js';
import { useGrpcRuntime } from './helpers/grpc-client.js';

const h = useGrpcRuntime({ config: { grpc: { reflection: { enabled: true, public: true } } } });

// grpc.reflection.v1 by hand (field numbers from grpc/reflection/v1/reflection.proto).
type ReflectionRequest = { listServices: string } | { fileContainingSymbol: string } | { fileByFilename: string };
interface ReflectionResponse {
  services: string[];
  files: Uint8Array[];
  error: { code: number; message: string } | null;
}

function encodeRequest(r: ReflectionRequest): Uint8Array {
  const w = new BinaryWriter();
  if ('fileByFilename' in r) w.uint32((3 << 3) | 2).string(r.fileByFilename);
  if ('fileContainingSymbol' in r) w.uint32((4 << 3) | 2).string(r.fileContainingSymbol);
  if ('listServices' in r) w.uint32((7 << 3) | 2).string(r.listServices);
  return w.finish();
}

/** Reads the fields of a length-delimited message, calling `on(field, reader)` for each. */
function readMessage(bytes: Uint8Array, on: (field: number, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (!on(field, reader)) reader.skip(wireType, field);
  }
}

function decodeResponse(bytes: Uint8Array): ReflectionResponse {
  const out: ReflectionResponse = { services: [], files: [], error: null };
  readMessage(bytes, (field, r) => {
    if (field === 4) readMessage(r.bytes(), (f, fr) => f === 1 && (out.files.push(fr.bytes()), true));
    else if (field === 6)
      readMessage(
        r.bytes(),
        (f, lr) =>
          f === 1 && (readMessage(lr.bytes(), (sf, sr) => sf === 1 && (out.services.push(sr.string()), true)), true),
      );
    else if (field === 7) {
      const error = { code: 0, message: '' };
      readMessage(r.bytes(), (f, er) =>
        f === 1 ? ((error.code = er.int32()), true) : f === 2 ? ((error.message = er.string()), true) : false,
      );
      out.error = error;
    } else return false;
    return true;
  });
  return out;
}

const ReflectionDefinition = {
  serverReflectionInfo: {
    path: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: () => {
      throw new Error('client only');
    },
    responseSerialize: () => {
      throw new Error('client only');
    },
    responseDeserialize: decodeResponse,
    options: {},
  },
} as const satisfies ServiceDefinition;

/** One reflection stream; each ask() sends a request and returns the next response. */
function reflectionSession(address: string) {
  const channel = createChannel(address, ChannelCredentials.createInsecure());
  const queue: ReflectionRequest[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  async function* requests(): AsyncIterable<ReflectionRequest> {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (closed) return;
      await new Promise<void>((r) => (wake = r));
    }
  }
  const responses = createClient(ReflectionDefinition, channel)
    .serverReflectionInfo(requests())
    [Symbol.asyncIterator]();
  return {
    async ask(request: ReflectionRequest): Promise<ReflectionResponse> {
      queue.push(request);
      wake?.();
      const next = await responses.next();
      if (next.done) throw new Error('reflection stream ended');
      return next.value;
    },
    close() {
      closed = true;
      wake?.();
      channel.close();
    },
  };
}

/** Every file the symbol's file needs, fetched by name until the import graph is closed. */
async function descriptorsFor(
  session: ReturnType<typeof reflectionSession>,
  symbol: string,
): Promise<Map<string, FileDescriptorProto>> {
  const files = new Map<string, FileDescriptorProto>();
  const add = (bytes: Uint8Array[]) => {
    for (const b of bytes) {
      const file = fromBinary(FileDescriptorProtoSchema, b);
      files.set(file.name, file);
    }
  };
  const first = await session.ask({ fileContainingSymbol: symbol });
  expect(first.error).toBeNull();
  add(first.files);
  for (
    let missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d));
    missing.length > 0;
    missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d))
  ) {
    for (const name of new Set(missing)) {
      const r = await session.ask({ fileByFilename: name });
      expect(r.error).toBeNull();
      add(r.files);
    }
  }
  return files;
}

/** A registry of the fetched files; a FileDescriptorSet must list every file after its imports. */
function registryOf(files: Map<string, FileDescriptorProto>) {
  const ordered: FileDescriptorProto[] = [];
  const visit = (name: string) => {
    const file = files.get(name);
    if (file === undefined || ordered.includes(file)) return;
    file.dependency.forEach(visit);
    ordered.push(file);
  };
  [...files.keys()].forEach(visit);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

/** A unary nice-grpc definition built from a reflected method. */
function unaryFromDescriptor(method: DescMethod) {
  const msg = (desc: DescMessage) => ({
    serialize: (value: unknown) => toBinary(desc, value as never),
    deserialize: (bytes: Uint8Array) => fromBinary(desc, bytes),
  });
  const input = msg(method.input);
  const output = msg(method.output);
  return {
    call: {
      path: `/${method.parent.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: input.serialize,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize,
      responseDeserialize: output.deserialize,
      options: {},
    },
  } as const satisfies ServiceDefinition;
}

async function callReflected(
  address: string,
  files: Map<string, FileDescriptorProto>,
  service: string,
  method: string,
  request: Record<string, unknown>,
) {
  const desc = registryOf(files).getService(service);
  const m = desc?.methods.find((x) => x.name === method);
  if (m === undefined) throw new Error(`${service}/${method} not found through reflection`);
  const channel = createChannel(address, ChannelCredentials.createInsecure());
  try {
    const response = await createClient(unaryFromDescriptor(m), channel).call(create(m.input, request as never));
    return toJson(m.output, response as never);
  } finally {
    channel.close();
  }
}

describe('server reflection v1', () => {
  it('is off unless config turns it on (the development overlay does)', async () => {
    const config = loadConfig({ env: { TASKER_ENV: 'test' }, overrides: { auth: { enabled: false } } });
    expect(config.grpc.reflection.enabled).toBe(false);
    const server = createGrpcServer(h.services, config);
    const { port } = await server.listen('127.0.0.1:0');
    try {
      await expect(listServicesThroughReflection(`127.0.0.1:${port}`)).rejects.toMatchObject({
        code: GrpcStatus.UNIMPLEMENTED,
      });
      expect(await listServicesThroughReflection(h.address)).toEqual(
        expect.arrayContaining([...h.server.serviceNames]),
      );
    } finally {
      await server.shutdown();
    }
  });

  it('lists exactly the registered services and describes each of them', async () => {
    const session = reflectionSession(h.address);
    try {
      const listed = await session.ask({ listServices: '' });
      expect([...listed.services].sort()).toEqual([...h.server.serviceNames].sort());
      expect(listed.services).toEqual(
        expect.arrayContaining(['grpc.health.v1.Health', 'tasker.v1.TaskService', 'tasker.v1.WorkerService']),
      );
      for (const name of listed.services) {
        const files = await descriptorsFor(session, name);
        expect(registryOf(files).getService(name)?.methods.length).toBeGreaterThan(0);
      }
      const unknown = await session.ask({ fileContainingSymbol: 'tasker.v1.NoSuchService' });
      expect(unknown.error?.code).toBe(5);
    } finally {
      session.close();
    }
  });

  it('is enough to call grpc.health.v1.Health/Check and tasker.v1.HealthService/CheckLiveness', async () => {
    const session = reflectionSession(h.address);
    try {
      const health = await descriptorsFor(session, 'grpc.health.v1.Health');
      expect(await callReflected(h.address, health, 'grpc.health.v1.Health', 'Check', { service: '' })).toEqual({
        status: 'SERVING',
      });
      expect(
        await callReflected(h.address, health, 'grpc.health.v1.Health', 'Check', { service: 'tasker.v1.TaskService' }),
      ).toEqual({ status: 'SERVING' });
      const tasker = await descriptorsFor(session, 'tasker.v1.HealthService');
      const live = await callReflected(h.address, tasker, 'tasker.v1.HealthService', 'CheckLiveness', {});
      expect(live).toMatchObject({ status: 'alive', timestamp: expect.stringMatching(/^\d{4}-/) });
    } finally {
      session.close();
    }
  });
});
