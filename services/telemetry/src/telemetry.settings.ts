/** What the composition root decides about this service's consumption (an injectable value, not a string token). */
export class TelemetrySettings {
  constructor(
    /** Kafka consumer group (or in-process group) reading every event topic. */
    readonly consumerGroup: string,
    /** The read-only token the query APIs and the dashboard ask for; undefined: open (the embedded mode, in-process on 127.0.0.1). */
    readonly viewerToken?: string,
  ) {}
}
