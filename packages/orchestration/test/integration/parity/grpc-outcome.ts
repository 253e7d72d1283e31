// The gRPC side of the parity suite: a call's response converted by the proto converters (`xFromProto`), or
// the AppError code decoded from the status and the `error-code` trailer.
import { GrpcCallError } from '../../../src/grpc/testing/clients.js';
import type { Outcome } from './types.js';

export async function grpcOutcome<R>(call: Promise<R>, decode: (response: R) => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: decode(await call) };
  } catch (err) {
    if (err instanceof GrpcCallError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

/** Collects a server stream; an error ends the outcome with its code. */
export async function grpcStreamOutcome<R>(
  stream: AsyncIterable<R>,
  decode: (items: R[]) => unknown,
): Promise<Outcome> {
  const items: R[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { ok: true, value: decode(items) };
  } catch (err) {
    if (err instanceof GrpcCallError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}
