// nice-grpc clients carry no deadline of their own: a plain grpc-js client sends the grpc-timeout header, so tests
// of deadline propagation call ClaimSteps through one.
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { ClaimStepsRequest, ClaimStepsResponse } from '@tasker/shared/gen/tasker/v1/workers';

/** Calls ClaimSteps with a call deadline `deadlineMs` from now; resolves with the call's error (null on success). */
export function claimWithDeadline(
  address: string,
  request: Partial<ClaimStepsRequest>,
  deadlineMs: number,
): Promise<ServiceError | null> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/tasker.v1.WorkerService/ClaimSteps',
      (r: ClaimStepsRequest) => Buffer.from(ClaimStepsRequest.encode(r).finish()),
      (b: Buffer) => ClaimStepsResponse.decode(b),
      ClaimStepsRequest.fromPartial(request),
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err) => {
        client.close();
        resolve(err);
      },
    );
  });
}
