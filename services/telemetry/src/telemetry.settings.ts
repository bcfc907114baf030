/** What the composition root decides about this service's consumption (an injectable value, not a string token). */
export class TelemetrySettings {
  constructor(
    /** Kafka consumer group (or in-process group) reading every event topic. */
    readonly consumerGroup: string,
  ) {}
}
