// One StreamTaskStatus call: `after_event_id` carries the resume cursor; keepalives are signs of life.
import { streamTaskStatusRequestToProto, taskStatusEventFromProto } from '@tasker/shared/convert/proto/index';
import type { WatchSource } from '../watch.js';
import { decodeResponse } from './decode.js';
import type { GrpcTransport } from './transport.js';

/** What the gRPC watch source needs from the client. */
export interface StreamSourceDeps {
  isTerminal: WatchSource['isTerminal'];
}

/** A {@link WatchSource} over gRPC; each connection starts at the next replica (failover after a drop). */
export function createStreamWatchSource(grpc: GrpcTransport, deps: StreamSourceDeps): WatchSource {
  return {
    transport: 'grpc',
    isTerminal: deps.isTerminal,
    async *open(taskUuid, afterEventId, includeSteps, signal) {
      const replica = grpc.replica(grpc.nextStart(), 0);
      const request = streamTaskStatusRequestToProto({
        taskUuid,
        options: afterEventId === undefined ? { includeSteps } : { includeSteps, afterEventId },
      });
      for await (const update of grpc.serverStream(replica, signal, (s, o) => s.tasks.streamTaskStatus(request, o))) {
        const event = decodeResponse('tasks.watch', () => taskStatusEventFromProto(update));
        yield event.type === 'keepalive' ? null : event;
      }
    },
  };
}
