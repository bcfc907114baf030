// The embedded mode's adapters of the persona runtime's ports: calls into the other services'
// modules in the same process, with the same messages the gRPC adapters carry.
import type { hypervisor, policy } from '@duet/contracts';
import { HypervisorPeer, PeerUnavailable, PolicyGateway } from '../domain/ports';

export class InProcessHypervisorPeer extends HypervisorPeer {
  constructor(
    private readonly target: { exchange(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse> },
    /** Which of the target's errors mean "not yet" (e.g. the run's start not yet seen). */
    private readonly isTransient: (error: unknown) => boolean,
  ) {
    super();
  }

  async exchangeTick(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse> {
    try {
      return await this.target.exchange(request);
    } catch (error) {
      if (this.isTransient(error)) throw new PeerUnavailable('hypervisor-core', (error as Error).message);
      throw error;
    }
  }
}

export class InProcessPolicyGateway extends PolicyGateway {
  constructor(
    private readonly target: {
      enrollBatch(request: policy.EnrollBatchRequest): Promise<policy.EnrollBatchResponse>;
      checkInBatch(request: policy.CheckInBatchRequest): Promise<policy.CheckInBatchResponse>;
    },
  ) {
    super();
  }

  enrollBatch(request: policy.EnrollBatchRequest): Promise<policy.EnrollBatchResponse> {
    return this.target.enrollBatch(request);
  }

  checkInBatch(request: policy.CheckInBatchRequest): Promise<policy.CheckInBatchResponse> {
    return this.target.checkInBatch(request);
  }
}
