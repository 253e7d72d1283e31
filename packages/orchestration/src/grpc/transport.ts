// Transport settings from config: HTTP/2 keepalive, stream and message limits, and optional TLS.
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import type { Config } from '@tasker/shared/config';
import type { ChannelOptions } from 'nice-grpc';

export function grpcServerOptions(config: Pick<Config, 'grpc'>): ChannelOptions {
  const g = config.grpc;
  return {
    'grpc.keepalive_time_ms': g.keepalive_time_ms,
    'grpc.keepalive_timeout_ms': g.keepalive_timeout_ms,
    'grpc.max_concurrent_streams': g.max_concurrent_streams,
    'grpc.max_receive_message_length': g.max_message_bytes,
    'grpc.max_send_message_length': g.max_message_bytes,
  };
}

/** Reads the PEM files at listen time, so a rotated certificate is picked up by the next start. */
export function grpcServerCredentials(config: Pick<Config, 'grpc'>): ServerCredentials {
  const tls = config.grpc.tls;
  if (!tls.enabled) return ServerCredentials.createInsecure();
  if (tls.cert_path === null || tls.key_path === null) {
    throw new Error('grpc.tls.enabled needs grpc.tls.cert_path and grpc.tls.key_path');
  }
  return ServerCredentials.createSsl(
    null,
    [{ cert_chain: readFileSync(tls.cert_path), private_key: readFileSync(tls.key_path) }],
    false,
  );
}
