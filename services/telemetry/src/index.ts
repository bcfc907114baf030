// Public entry of @duet/telemetry, for composition roots (the embedded mode) and tests.
export { TelemetryModule, migrateTelemetry, TELEMETRY_SCHEMA } from './telemetry.module';
export type { TelemetryModuleOptions } from './telemetry.module';
export { TelemetryQueryService } from './services/telemetry-query.service';
export type { RunDetails, RunPage, RunView, SeriesView } from './services/telemetry-query.service';
export { startTelemetryApplication, telemetryGrpcOptions } from './telemetry.app';
export type { TelemetryServerOptions } from './telemetry.app';
export { loadTelemetryConfig } from './config';
export type { TelemetryConfig } from './config';
export { RunNotFoundError } from './domain/errors';
export { pruneTelemetryRuns } from './repositories/run-retention';
