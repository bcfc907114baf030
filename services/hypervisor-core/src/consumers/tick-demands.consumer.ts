// The networked side of the per-tick exchange: persona runtimes publish their demands on
// duet.tick-demands.v1, keyed by shard; hypervisor-core's instances consume it as one consumer
// group (ShardInput), so the partitions Kafka assigns a member are the shards it owns. Each demand
// goes to the same exchange the in-process peers call; the grants go back on the persona's grants
// topic. An instance given a partition builds its shards from their checkpoints and re-simulates
// from the committed offset, the first demand not yet folded into a checkpoint.
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { findTopic, type hypervisor } from '@duet/contracts';
import {
  activeRunOf,
  EventBus,
  ShardInput,
  decodeChecked,
  decodeExchangeTickRequest,
  identityViolation,
  type DeliveryContext,
  type IncomingMessage,
  type ShardInputMessage,
} from '@duet/service-kit';
import { Persona } from '@duet/sim-core';
import { ExchangeRefused } from '../domain/shard-exchange';
import { HypervisorCoreSettings } from '../hypervisor-core.settings';
import { HypervisorRunsService } from '../services/hypervisor-runs.service';

const DEMANDS = findTopic('duet.tick-demands.v1');
const GRANTS = { [Persona.PERSONAL]: findTopic('duet.personal-grants.v1'), [Persona.BUSINESS]: findTopic('duet.business-grants.v1') };
export const HYPERVISOR_GROUP = 'hypervisor-core';
// A demand may overtake its run's STARTED message (another topic): how long to wait for it.
const RUN_WAIT_MS = 5_000;

@Injectable()
export class TickDemandsConsumer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('hypervisor-core');
  private readonly input: ShardInput;

  constructor(
    private readonly bus: EventBus,
    private readonly runs: HypervisorRunsService,
    private readonly options: HypervisorCoreSettings,
  ) {
    this.input = new ShardInput(bus, DEMANDS);
  }

  async onModuleInit(): Promise<void> {
    if (!this.options.shared) return;
    this.runs.onCheckpoint((runId, shard, tick) => this.input.covered(runId, shard, tick));
    await this.input.start(HYPERVISOR_GROUP, {
      message: (message, context) => this.consume(message, context),
      held: (owns, partitions, lost) => {
        this.runs.release(owns);
        this.logger.log(`holds partitions ${partitions.join(',') || 'none'} of ${DEMANDS.name}${lost.length > 0 ? ` (gave up ${lost.join(',')})` : ''}`);
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.input.close();
  }

  private async consume(message: IncomingMessage, context: DeliveryContext): Promise<ShardInputMessage | undefined> {
    // DEMANDS' payload, columns read as typed arrays.
    const request = decodeChecked(message, context, decodeExchangeTickRequest, (decoded: hypervisor.ExchangeTickRequest) =>
      decoded.demand === undefined ? 'demand: required' : identityViolation(decoded.demand, { partition: message.partition, partitions: DEMANDS.partitions }),
    );
    if (request?.demand === undefined) return undefined;
    const demand = request.demand;
    // A late demand of a run that ended has nothing to fold it into.
    if ((await activeRunOf((runId, ms) => this.runs.knownRun(runId, ms), demand.runId, message, context, RUN_WAIT_MS)) === undefined) return undefined;
    try {
      await this.runs.shard(demand.runId, demand.shard);
    } catch (error) {
      this.logger.warn(`demand of run ${demand.runId} shard ${demand.shard} tick ${demand.tick}: ${(error as Error).message}`);
      return undefined;
    }
    // Not awaited: the exchange answers once the other persona's demand (later in this
    // partition) is in; the grant goes out then.
    const grants = GRANTS[demand.persona as Persona];
    this.runs
      .exchange(request)
      .then((response) => this.bus.publish(grants.name, [{ key: String(demand.shard), value: grants.payload.encode(response).finish() }]))
      .catch((error: unknown) => {
        if (error instanceof ExchangeRefused && ['out-of-order', 'finished', 'not-owned'].includes(error.reason)) return; // a repeat, or the shard moved on
        this.logger.warn(`demand of run ${demand.runId} shard ${demand.shard} tick ${demand.tick}: ${(error as Error).message}`);
      });
    return { runId: demand.runId, shard: demand.shard, tick: demand.tick };
  }
}
