// grpc.reflection.v1 for a Tasker gRPC server: nice-grpc-server-reflection's implementation, with its request
// decoder replaced. That package decodes requests with google-protobuf, whose reader trusts length prefixes:
// the 6 bytes `0a ff ff ff ff 0f` (field 1, length 2^32-1) spin it forever on one core. Here the request is
// read with @bufbuild/protobuf's BinaryReader, which checks every length and varint against the buffer, and
// the google-protobuf message the implementation expects is built from the decoded values.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { ServiceDefinition as GrpcJsServiceDefinition } from '@grpc/grpc-js';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';
// google-protobuf's generated CommonJS: its exports are only visible through the module object.
import reflectionPb from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';

const { ExtensionRequest, ServerReflectionRequest } = reflectionPb;
type ExtensionRequest = InstanceType<typeof ExtensionRequest>;
type ServerReflectionRequest = InstanceType<typeof ServerReflectionRequest>;

export const REFLECTION_SERVICE_NAME = 'grpc.reflection.v1.ServerReflection';
export const REFLECTION_METHOD_PATH = `/${REFLECTION_SERVICE_NAME}/ServerReflectionInfo`;

function expectWireType(actual: WireType, expected: WireType, field: number): void {
  if (actual !== expected) throw new Error(`field ${field}: wire type ${actual}, expected ${expected}`);
}

function decodeExtensionRequest(bytes: Uint8Array): ExtensionRequest {
  const out = new ExtensionRequest();
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) {
      expectWireType(wireType, WireType.LengthDelimited, field);
      out.setContainingType(reader.string());
    } else if (field === 2) {
      expectWireType(wireType, WireType.Varint, field);
      out.setExtensionNumber(reader.int32());
    } else reader.skip(wireType, field);
  }
  return out;
}

/** Decodes a ServerReflectionRequest with bounds checks; throws on anything malformed. */
export function decodeReflectionRequest(bytes: Uint8Array): ServerReflectionRequest {
  const out = new ServerReflectionRequest();
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    switch (field) {
      case 1:
      case 3:
      case 4:
      case 6:
      case 7: {
        expectWireType(wireType, WireType.LengthDelimited, field);
        const value = reader.string();
        if (field === 1) out.setHost(value);
        else if (field === 3) out.setFileByFilename(value);
        else if (field === 4) out.setFileContainingSymbol(value);
        else if (field === 6) out.setAllExtensionNumbersOfType(value);
        else out.setListServices(value);
        break;
      }
      case 5:
        expectWireType(wireType, WireType.LengthDelimited, field);
        out.setFileContainingExtension(decodeExtensionRequest(reader.bytes()));
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  return out;
}

/** The reflection service definition with the bounded decoder (pass it through guardDefinition like any other). */
export const BoundedServerReflectionService: GrpcJsServiceDefinition = Object.fromEntries(
  Object.entries(ServerReflectionService as GrpcJsServiceDefinition).map(([key, method]) => [
    key,
    { ...method, requestDeserialize: (bytes: Buffer) => decodeReflectionRequest(bytes) },
  ]),
);

/** Reflection over `descriptorSet` exposing exactly `serviceNames`. */
export function createReflection(descriptorSet: Uint8Array, serviceNames: readonly string[]) {
  return {
    definition: BoundedServerReflectionService as typeof ServerReflectionService,
    implementation: ServerReflection(descriptorSet, [...serviceNames]),
  };
}
