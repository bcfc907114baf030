// The networked side of the per-tick exchange: persona runtimes publish their demands on
// duet.tick-demands.v1, keyed by shard; hypervisor-core's instances consume it as one consumer
// group, so the partitions Kafka assigns a member are the shards it owns (a shard s lives in
// partition s % 16). Each demand goes to the same exchange the in-process peers call; the grants go
// back on the persona's grants topic. An instance that is given a partition builds its shards from
// their checkpoints and re-simulates from the committed offset, which the OffsetLedger keeps at the
// first demand not yet folded into a checkpoint.
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { findTopic, hypervisor } from '@duet/contracts';
import { EventBus, OffsetLedger, decodeExchangeTickRequest, type Assignment, type IncomingMessage, type Subscription } from '@duet/service-kit';
import { Persona } from '@duet/sim-core';
import { ExchangeRefused } from '../domain/shard-exchange';
import { HypervisorCoreOptions } from '../hypervisor-core.options';
import { HypervisorRunsService } from '../services/hypervisor-runs.service';

const DEMANDS = findTopic('duet.tick-demands.v1');
const GRANTS = { [Persona.PERSONAL]: findTopic('duet.personal-grants.v1'), [Persona.BUSINESS]: findTopic('duet.business-grants.v1') };
export const HYPERVISOR_GROUP = 'hypervisor-core';
// A demand may overtake its run's STARTED message (another topic): how long to wait for it.
const RUN_WAIT_MS = 5_000;

@Injectable()
export class TickDemandsConsumer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('hypervisor-core');
  private readonly ledger = new OffsetLedger();
  private subscription: Subscription | undefined;
  private held: readonly number[] = [];
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: EventBus,
    private readonly runs: HypervisorRunsService,
    private readonly options: HypervisorCoreOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.shared) return;
    this.runs.onCheckpoint((runId, shard, tick) => {
      this.ledger.covered(unitOf(runId, shard), tick);
      this.commit();
    });
    this.subscription = await this.bus.subscribe(HYPERVISOR_GROUP, [DEMANDS.name], (messages) => this.consume(messages), {
      onAssignment: (assignment) => this.assigned(assignment),
      manualCommit: true,
      concurrency: DEMANDS.partitions,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  /** Partitions (shards s with s % 16 in them) this instance holds now. */
  get partitions(): readonly number[] {
    return this.held;
  }

  private assigned(assignment: Assignment): void {
    const now = assignment.get(DEMANDS.name) ?? [];
    const lost = this.held.filter((partition) => !now.includes(partition));
    for (const partition of lost) this.ledger.dropPartition(DEMANDS.name, partition);
    this.runs.release((shard) => now.includes(shard % DEMANDS.partitions));
    this.held = now;
    this.logger.log(`holds partitions ${now.join(',') || 'none'} of ${DEMANDS.name}${lost.length > 0 ? ` (gave up ${lost.join(',')})` : ''}`);
  }

  private async consume(messages: readonly IncomingMessage[]): Promise<void> {
    for (const message of messages) {
      const offset = Number(message.offset);
      let request: hypervisor.ExchangeTickRequest;
      try {
        request = decodeExchangeTickRequest(message.value); // DEMANDS' payload, columns read as typed arrays
      } catch (error) {
        this.logger.warn(`${DEMANDS.name}[${message.partition}]@${offset}: not a demand (${(error as Error).message}); skipped`);
        this.ledger.received(DEMANDS.name, message.partition, offset, '', undefined);
        continue;
      }
      const demand = request.demand;
      const run = demand === undefined ? undefined : await this.runs.knownRun(demand.runId, RUN_WAIT_MS);
      if (demand === undefined || run === undefined) {
        this.ledger.received(DEMANDS.name, message.partition, offset, '', undefined); // no run to fold it into
        continue;
      }
      this.ledger.received(DEMANDS.name, message.partition, offset, unitOf(demand.runId, demand.shard), demand.tick);
      try {
        await this.runs.shard(demand.runId, demand.shard);
      } catch (error) {
        this.logger.warn(`demand of run ${demand.runId} shard ${demand.shard} tick ${demand.tick}: ${(error as Error).message}`);
        continue;
      }
      // Not awaited: the exchange answers once the other persona's demand (later in this
      // partition) is in; the grant goes out then.
      this.runs
        .exchange(request)
        .then((response) =>
          this.bus.publish(GRANTS[demand.persona as Persona].name, [
            { key: String(demand.shard), value: GRANTS[Persona.PERSONAL].payload.encode(response).finish() },
          ]),
        )
        .catch((error: unknown) => {
          if (error instanceof ExchangeRefused && ['out-of-order', 'finished', 'not-owned'].includes(error.reason)) return; // a repeat, or the shard moved on
          this.logger.warn(`demand of run ${demand.runId} shard ${demand.shard} tick ${demand.tick}: ${(error as Error).message}`);
        });
    }
    this.commit();
  }

  private commit(): void {
    const subscription = this.subscription;
    if (subscription === undefined) return;
    this.committing = this.committing.then(async () => {
      for (const { topic, partition, offset } of this.ledger.pending()) {
        if (!this.held.includes(partition)) continue;
        if (await subscription.commit(topic, partition, offset)) this.ledger.markCommitted(topic, partition, offset);
      }
    });
  }
}

function unitOf(runId: string, shard: number): string {
  return `${runId}/${shard}`;
}
