// Request decoding that can never take the server down. Every service a Tasker gRPC server registers goes
// through `guardDefinition`: a message the decoder refuses becomes an UndecodableRequest value instead of an
// exception inside grpc-js (which answers INTERNAL), so the errors middleware can answer INVALID_ARGUMENT
// on every method. Decoders must themselves be bounded: ts-proto's (over @bufbuild/protobuf's BinaryReader)
// check every length against the buffer; services built on other decoders get a bounded one (reflection.ts).
import type {
  CompatServiceDefinition,
  MethodDefinition,
  NormalizedServiceDefinition,
  TsProtoServiceDefinition,
} from 'nice-grpc';

/** What a method's deserializer yields for bytes its decoder refused; the errors middleware refuses the call. */
export class UndecodableRequest {
  constructor(readonly reason: string) {}
}

export function isUndecodableRequest(value: unknown): value is UndecodableRequest {
  return value instanceof UndecodableRequest;
}

type AnyMethod = MethodDefinition<unknown, unknown, unknown, unknown>;

function isTsProto(definition: CompatServiceDefinition): definition is TsProtoServiceDefinition {
  return 'fullName' in definition && 'methods' in definition && 'name' in definition;
}

/**
 * The same normalisation nice-grpc applies (it does not export its own): ts-proto definitions become method
 * tables; grpc-js tables already are one (grpc-js hands their deserializers a Buffer, as they expect).
 */
function normalise(definition: CompatServiceDefinition): Record<string, AnyMethod> {
  if (!isTsProto(definition)) {
    const out: Record<string, AnyMethod> = {};
    for (const [key, m] of Object.entries(definition as Record<string, AnyMethod>))
      out[key] = { ...m, options: m.options ?? {} };
    return out;
  }
  const out: Record<string, AnyMethod> = {};
  for (const [key, m] of Object.entries(definition.methods)) {
    const req = m.requestType;
    const res = m.responseType;
    out[key] = {
      path: `/${definition.fullName}/${m.name}`,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestDeserialize: (bytes) => req.decode(bytes),
      requestSerialize: req.fromPartial
        ? (v) => req.encode(req.fromPartial!(v)).finish()
        : (v) => req.encode(v).finish(),
      responseDeserialize: (bytes) => res.decode(bytes),
      responseSerialize: res.fromPartial
        ? (v) => res.encode(res.fromPartial!(v)).finish()
        : (v) => res.encode(v).finish(),
      options: m.options,
    };
  }
  return out;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * `definition` with every request deserializer wrapped: a decoder error (malformed wire data, a nesting
 * depth that overflows the stack) yields an {@link UndecodableRequest} instead of throwing.
 */
export function guardDefinition<D extends CompatServiceDefinition>(definition: D): NormalizedServiceDefinition<D> {
  const guarded: Record<string, AnyMethod> = {};
  for (const [key, method] of Object.entries(normalise(definition))) {
    const decode = method.requestDeserialize;
    guarded[key] = {
      ...method,
      requestDeserialize: (bytes) => {
        try {
          return decode(bytes);
        } catch (err) {
          return new UndecodableRequest(describe(err));
        }
      },
    };
  }
  return guarded as unknown as NormalizedServiceDefinition<D>;
}
