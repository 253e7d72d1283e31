// A reflection client that needs nothing but grpc-js: asks `list_services` over one ServerReflectionInfo
// stream and reads the service names out of the response by hand (grpc.reflection.v1 field numbers).
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { REFLECTION_METHOD_PATH } from '@tasker/shared/grpc';

const identity = (b: Buffer) => b;

function eachField(buf: Uint8Array, on: (field: number, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(buf);
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (!on(field, reader)) reader.skip(wire, field);
  }
}

/** ServerReflectionResponse → the names of its list_services_response (field 6 → 1 → 1). */
export function servicesOfReflectionResponse(response: Uint8Array): string[] {
  const names: string[] = [];
  eachField(response, (f, r) => {
    if (f !== 6) return false;
    eachField(r.bytes(), (lf, lr) => {
      if (lf !== 1) return false;
      eachField(lr.bytes(), (sf, sr) => sf === 1 && (names.push(sr.string()), true));
      return true;
    });
    return true;
  });
  return names;
}

/**
 * The services `address` lists through reflection; rejects with the grpc-js ServiceError when the call fails
 * (UNIMPLEMENTED when reflection is off, UNAUTHENTICATED without a needed credential).
 */
export async function listServicesThroughReflection(
  address: string,
  metadata: Record<string, string> = {},
): Promise<string[]> {
  const client = new Client(address, credentials.createInsecure());
  try {
    const md = new Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    const response = await new Promise<Buffer>((resolve, reject) => {
      const stream = client.makeBidiStreamRequest(REFLECTION_METHOD_PATH, identity, identity, md, {
        deadline: Date.now() + 5_000,
      });
      stream.on('data', (b: Buffer) => resolve(b));
      stream.on('error', reject);
      stream.write(Buffer.from([0x3a, 0x00])); // list_services: ""
      stream.end();
    });
    return servicesOfReflectionResponse(response);
  } finally {
    client.close();
  }
}
