import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { TaskServiceDefinition } from '../gen/tasker/v1/tasks.js';
import { guardDefinition, isUndecodableRequest } from './guarded-definition.js';
import { decodeReflectionRequest } from './reflection.js';

describe('decodeReflectionRequest', () => {
  it('reads every request kind the reflection protocol has', () => {
    const w = (f: (w: BinaryWriter) => void) => {
      const writer = new BinaryWriter();
      f(writer);
      return writer.finish();
    };
    expect(
      decodeReflectionRequest(w((x) => x.uint32(0x0a).string('host-1').uint32(0x3a).string(''))).toObject(),
    ).toMatchObject({ host: 'host-1', listServices: '' });
    expect(decodeReflectionRequest(w((x) => x.uint32(0x1a).string('tasker/v1/tasks.proto'))).getFileByFilename()).toBe(
      'tasker/v1/tasks.proto',
    );
    expect(
      decodeReflectionRequest(w((x) => x.uint32(0x22).string('tasker.v1.TaskService'))).getFileContainingSymbol(),
    ).toBe('tasker.v1.TaskService');
    expect(
      decodeReflectionRequest(w((x) => x.uint32(0x32).string('tasker.v1.Task'))).getAllExtensionNumbersOfType(),
    ).toBe('tasker.v1.Task');
    const ext = decodeReflectionRequest(
      w((x) => x.uint32(0x2a).fork().uint32(0x0a).string('a.B').uint32(0x10).int32(7).join()),
    );
    expect([
      ext.getFileContainingExtension()?.getContainingType(),
      ext.getFileContainingExtension()?.getExtensionNumber(),
    ]).toEqual(['a.B', 7]);
    // Unknown fields are skipped, as protobuf requires.
    expect(decodeReflectionRequest(w((x) => x.uint32(0x48).int32(1).uint32(0x3a).string(''))).getListServices()).toBe(
      '',
    );
  });

  it('refuses malformed input quickly instead of trusting length prefixes', () => {
    const frames = [
      [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], // field 1, length 2^32-1: spun google-protobuf's reader forever
      [0x0a, 0x05, 0x61],
      [0x2a, 0x03, 0x0a, 0xff, 0x0f],
      [0x08, 0x01], // field 1 (a string) sent as a varint
      [0x0e, 0x00],
      [0x0b],
    ];
    const started = performance.now();
    for (const frame of frames) expect(() => decodeReflectionRequest(Uint8Array.from(frame))).toThrow();
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('guardDefinition', () => {
  it('keeps paths, streaming flags and codecs, and turns a decoder failure into an UndecodableRequest', () => {
    const guarded = guardDefinition(TaskServiceDefinition);
    expect(guarded.getTask.path).toBe('/tasker.v1.TaskService/GetTask');
    expect(guarded.streamTaskStatus.responseStream).toBe(true);
    const bytes = guarded.getTask.requestSerialize({ taskUuid: 'x', includeSteps: true, includeContext: false });
    expect(guarded.getTask.requestDeserialize(bytes)).toMatchObject({ taskUuid: 'x', includeSteps: true });
    const refused = guarded.getTask.requestDeserialize(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(isUndecodableRequest(refused)).toBe(true);
  });
});
