// Public entry of @duet/service-kit.
export * from './config';
export * from './event-bus';
export * from './in-process.event-bus';
export * from './kafka.event-bus';
export * from './database';
export * from './migrations';
export * from './embedded-postgres';
export * from './health';
export * from './tick-exchange.codec';
export * from './run-reports';
export * from './metrics';
export * from './checkpoint.codec';
export * from './checkpoint.store';
export * from './offset-ledger';
export * from './run-directory';
export * from './columnar.decoder';
