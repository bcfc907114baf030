// The networked adapter of HypervisorPeer: the exchange travels on Kafka, so a persona runtime
// needs no hypervisor-core address and whichever instance owns the shard answers. The demand goes
// on duet.tick-demands.v1 (partition = shard); the grant comes back on the persona's grants topic,
// which this runtime's TickGrantsConsumer reads and hands to the GrantInbox.
import { findTopic, type hypervisor } from '@duet/contracts';
import type { EventBus } from '@duet/service-kit';
import { HypervisorPeer, PeerUnavailable } from '../domain/ports';
import type { GrantInbox } from '../domain/grant-inbox';

const DEMANDS = findTopic('duet.tick-demands.v1');

export class KafkaHypervisorPeer extends HypervisorPeer {
  constructor(
    private readonly bus: EventBus,
    private readonly grants: GrantInbox,
  ) {
    super();
  }

  async exchangeTick(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse> {
    const demand = request.demand!;
    // Waiting first, so a grant that comes back before the send resolves is not missed.
    const granted = this.grants.take(demand.runId, demand.shard, demand.tick);
    try {
      await this.bus.publish(DEMANDS.name, [{ key: String(demand.shard), value: DEMANDS.payload.encode(request).finish() }]);
    } catch (error) {
      this.grants.cancel(demand.runId, demand.shard, error as Error);
      granted.catch(() => undefined);
      throw new PeerUnavailable('hypervisor-core', `demands not sent: ${(error as Error).message}`);
    }
    return granted;
  }
}
