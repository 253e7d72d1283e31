import { protocolError } from '../errors.js';

/** Runs a response converter; a response the converters reject is a broken peer, not the caller's mistake. */
export function decodeResponse<T>(operation: string, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    throw protocolError(
      'grpc',
      `${operation}: unexpected response (${error instanceof Error ? error.message : String(error)})`,
      error,
    );
  }
}
