// How a consumer's handler is called on a batch, so that nothing stops a partition for good
// (docs/architecture.md#poison-messages): messages the handler rejects are dead-lettered; a batch
// that fails on a transient error (a dependency away) is tried again with backoff within a budget;
// one that fails otherwise is tried a bounded number of times, then message by message, and the
// message that still fails is dead-lettered. Used by the Kafka event bus for every subscription.
import { Logger } from '@nestjs/common';
import type { IncomingMessage, MessageHandler } from './event-bus';
import type { Metrics } from './metrics';
import { isTransientError } from './transient-errors';

/** Attempts of a batch (then of each of its messages) failing with a non-transient error. */
export const MAX_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
/** How long a batch may keep failing on transient errors before the consumer gives up (and is restarted). */
export const TRANSIENT_BUDGET_MS = 10 * 60_000;

export interface DeadLetter {
  readonly message: IncomingMessage;
  readonly group: string;
  readonly reason: string;
}

/** Where dead letters go: resolves once they are durable (the offsets may then move past them). */
export type DeadLetterSink = (letters: readonly DeadLetter[]) => Promise<void>;

/** What the delivery needs of the transport while it waits between attempts. */
export interface DeliveryControl {
  /** Keeps the group membership alive (Kafka heartbeat); throws when the group rebalances. */
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the partition moved: give the batch back, do not dead-letter. */
  running(): boolean;
}

export class GuardedDelivery {
  private readonly logger = new Logger('event-bus');

  constructor(
    private readonly group: string,
    private readonly handler: MessageHandler,
    private readonly sink: DeadLetterSink,
    private readonly metrics: Metrics,
    private readonly options: { readonly maxAttempts?: number; readonly transientBudgetMs?: number; readonly sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  /** Handles the batch; resolves once every message is handled or dead-lettered. */
  async deliver(messages: readonly IncomingMessage[], control: DeliveryControl): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? MAX_ATTEMPTS;
    const budgetMs = this.options.transientBudgetMs ?? TRANSIENT_BUDGET_MS;
    let failures = 0;
    let transientSince: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const rejected: DeadLetter[] = [];
      try {
        await this.handler(messages, { reject: (message, reason) => rejected.push({ message, group: this.group, reason }) });
        if (transientSince !== undefined)
          this.logger.log(`${this.group}: ${describe(messages)} handled after ${Math.round((Date.now() - transientSince) / 1000)} s of retries`);
        await this.deadLetter(rejected);
        return;
      } catch (error) {
        if (!control.running()) throw error;
        const transient = isTransientError(error);
        this.metrics.deliveryRetries.inc({ group: this.group, topic: messages[0].topic, cause: transient ? 'transient' : 'failed' });
        if (transient) {
          if (transientSince === undefined) {
            transientSince = Date.now();
            this.logger.warn(`${this.group}: ${describe(messages)} failed on a dependency (${(error as Error).message}); retrying with backoff`);
          }
          if (Date.now() - transientSince > budgetMs) throw error; // the transport restarts the consumer; liveness says it is stuck
        } else if (++failures >= maxAttempts) {
          if (messages.length > 1) {
            this.logger.warn(`${this.group}: ${describe(messages)} failed ${failures} times (${(error as Error).message}); handling its messages one by one`);
            for (const message of messages) await this.deliver([message], control);
            return;
          }
          await this.deadLetter([{ message: messages[0], group: this.group, reason: `failed ${failures} times: ${(error as Error).message}` }]);
          return;
        }
        await this.pause(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(attempt, 10)), control);
      }
    }
  }

  private async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.sink(letters);
    for (const letter of letters) {
      const { message } = letter;
      this.metrics.messagesDeadLettered.inc({ topic: message.topic, group: this.group });
      this.logger.warn(`${this.group}: ${message.topic}[${message.partition}]@${message.offset} moved to ${message.topic}.dlq: ${letter.reason}`);
    }
  }

  /** Waits, keeping the membership alive (a heartbeat a second) and stopping early when the consumer stops. */
  private async pause(ms: number, control: DeliveryControl): Promise<void> {
    const sleep = this.options.sleep ?? ((wait: number) => new Promise<void>((resolve) => setTimeout(resolve, wait)));
    for (let waited = 0; waited < ms && control.running(); waited += 1_000) {
      await sleep(Math.min(1_000, ms - waited));
      await control.heartbeat();
    }
  }
}

function describe(messages: readonly IncomingMessage[]): string {
  const first = messages[0];
  return `${first.topic}[${first.partition}]@${first.offset}${messages.length > 1 ? ` (+${messages.length - 1})` : ''}`;
}
