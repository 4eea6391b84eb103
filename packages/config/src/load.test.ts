import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

describe('loadConfig', () => {
  it('defaults to the embedded backends', () => {
    const cfg = loadConfig({});
    expect(cfg.bus.kafkaBrokers).toEqual([]);
    expect(cfg.store.databaseUrl).toBeUndefined();
    expect(cfg.redisUrl).toBeUndefined();
    expect(cfg.mail.outboxDir).toBe('./data/outbox');
    expect(cfg.pipeline.lateWindowMs).toBe(7 * 86_400_000);
  });

  it('switches engines from the environment', () => {
    const cfg = loadConfig({
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      DATABASE_URL: 'postgres://u@db:5432/t',
      REDIS_URL: 'redis://cache:6379',
      LATE_WINDOW: '2h',
    });
    expect(cfg.bus.kafkaBrokers).toEqual(['k1:9092', 'k2:9092']);
    expect(cfg.store.databaseUrl).toBe('postgres://u@db:5432/t');
    expect(cfg.redisUrl).toBe('redis://cache:6379');
    expect(cfg.pipeline.lateWindowMs).toBe(7_200_000);
  });

  it('reports every bad value by variable name', () => {
    let error: unknown;
    try {
      loadConfig({ MQTT_PORT: 'abc', LATE_WINDOW: 'soon', DATABASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/MQTT_PORT: .*\(got "abc"\)/);
    expect(problems).toMatch(/LATE_WINDOW: "soon" is not a duration/);
    expect(problems).toMatch(/DATABASE_URL/);
  });

  it('requires a JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });
});
