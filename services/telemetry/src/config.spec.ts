import { ConfigError } from '@duet/service-kit';
import { describe, expect, it } from 'vitest';
import { loadTelemetryConfig } from './config';

describe('loadTelemetryConfig', () => {
  it('fills the documented defaults', () => {
    expect(
      loadTelemetryConfig({ DATABASE_URL: 'postgres://duet@127.0.0.1:5432/duet', KAFKA_BROKERS: '127.0.0.1:9092', VIEWER_TOKEN: 'viewer-token-0123456789' }),
    ).toEqual({
      DATABASE_URL: 'postgres://duet@127.0.0.1:5432/duet',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      GRPC_PORT: 50054,
      HTTP_PORT: 8084,
      HOST: '127.0.0.1',
      CONSUMER_GROUP: 'telemetry',
      VIEWER_TOKEN: 'viewer-token-0123456789',
    });
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadTelemetryConfig({ DATABASE_URL: 'mysql://x', GRPC_PORT: '70000' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.split(':')[0])).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'GRPC_PORT', 'VIEWER_TOKEN']);
  });
});
