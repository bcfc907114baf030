import { Injectable } from '@nestjs/common';
import { common, policy } from '@duet/contracts';
import { Database, Outbox, quoted } from '@duet/service-kit';
import { CommandType, shardOf } from '@duet/sim-core';
import { MAX_BATCH_ROWS, checkRunId, checkUniqueHandsets } from '../domain/columnar-batch';
import { IssueList, RequestError } from '../domain/request-error';
import { CommandRepository } from '../repositories/command.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { CommandIssuedPublisher } from '../publishers/command-issued.publisher';
import { toCommandMessage } from './contract-messages';
import { EnrollmentTokenService } from './enrollment-token.service';

const COMMAND_TYPES: ReadonlySet<number> = new Set(Object.values(CommandType));
const MAX_SHARDS = 1024; // as sim-core's simulation

/** Remote commands: stored, then fanned out to hypervisor-core on duet.commands.v1 through the outbox (IssueCommand). */
@Injectable()
export class CommandService {
  constructor(
    private readonly database: Database,
    private readonly commands: CommandRepository,
    private readonly devices: DeviceRepository,
    private readonly commandIssued: CommandIssuedPublisher,
    private readonly outbox: Outbox,
    private readonly enrollmentTokens: EnrollmentTokenService,
  ) {}

  async issueCommand(request: policy.IssueCommandRequest): Promise<policy.IssueCommandResponse> {
    const issues = new IssueList();
    checkRunId(issues, request.runId);
    if (!COMMAND_TYPES.has(request.type)) {
      issues.add('type', 'enum', `must be one of ${[...COMMAND_TYPES].map((code) => common.commandTypeToJSON(code)).join(', ')} (got ${request.type})`);
    }
    if (request.handsetIds.length === 0) issues.add('handset_ids', 'required', 'must name at least one handset');
    if (request.handsetIds.length > MAX_BATCH_ROWS)
      issues.add('handset_ids', 'max-rows', `holds ${request.handsetIds.length} handsets; at most ${MAX_BATCH_ROWS}`);
    else checkUniqueHandsets(issues, request.handsetIds);
    if (request.shards > MAX_SHARDS) issues.add('shards', 'max', `must be at most ${MAX_SHARDS} (got ${request.shards})`);
    issues.throwIfAny('invalid-argument', 'IssueCommandRequest');
    await this.enrollmentTokens.checkRunTick(request.runId, request.tick, 'IssueCommandRequest');

    const shards = await this.shardsOf(request);
    const stored = await this.database.transaction(async (client) => {
      const commands = await this.commands.insert(client, request.runId, request.type, request.tick, request.handsetIds, shards);
      // Fanned out once the commit is done, by the outbox: stored and announced, or neither.
      await this.commandIssued.enqueue(
        client,
        commands.map((command) => ({
          runId: command.runId,
          commandId: command.commandId,
          shard: command.shard,
          handsetId: command.handsetId,
          type: command.type,
          tick: command.tick,
        })),
      );
      return commands;
    });
    await this.outbox.relay(); // a failed publish is retried by the relay: the commands are stored
    return { commands: stored.map(toCommandMessage) };
  }

  // sim-core's shardOf when the request gives the run's shard count, else the shard each handset enrolled from.
  private async shardsOf(request: policy.IssueCommandRequest): Promise<number[]> {
    if (request.shards > 0) return request.handsetIds.map((id) => shardOf(id, request.shards));
    const enrolled = await this.devices.shardsOf(request.runId, request.handsetIds);
    const issues = request.handsetIds.flatMap((id, row) =>
      enrolled.has(id)
        ? []
        : [
            {
              path: `handset_ids[${row}]`,
              rule: 'shard',
              message: `handset ${id} did not enroll from a shard of run ${quoted(request.runId)}; give the run's shard count in shards`,
            },
          ],
    );
    if (issues.length > 0) throw new RequestError('failed-precondition', 'IssueCommandRequest', issues);
    return request.handsetIds.map((id) => enrolled.get(id)!);
  }
}
