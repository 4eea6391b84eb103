import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configVariables, loadConfig } from '@telemetry/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './processes.js';

// docker-compose.yml can't be started here (no Docker engine), so it is checked against the code:
// every service exists and runs its own main.ts, every variable is one the config reads and parses,
// and every published port is the one the service listens on.
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      build?: { args?: { SERVICE?: string } };
      environment?: Record<string, string>;
      ports?: string[];
      deploy?: { replicas?: number };
    }
  >;
};
const ENGINES = ['kafka', 'timescaledb', 'redis', 'mailpit', 'prometheus', 'grafana'];
const runnable = readdirSync(join(ROOT, 'services')).filter(
  (s) => s !== 'stack' && existsSync(join(ROOT, 'services', s, 'src', 'main.ts')),
);
/** ${VAR:?msg} / ${VAR:-default} as compose would substitute them, from a sample .env. */
const sampleEnv: Record<string, string> = {
  POSTGRES_PASSWORD: 'pw',
  JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters',
  GRAFANA_PASSWORD: 'admin',
};
const substitute = (v: string) =>
  v.replace(
    /\$\{(\w+)(?::[?-]([^}]*))?\}/g,
    (_, name: string, fallback: string | undefined) => sampleEnv[name] ?? fallback ?? '',
  );

describe('docker-compose.yml', () => {
  it('has the engines and one container per runnable service', () => {
    for (const engine of ENGINES) expect(compose.services, engine).toHaveProperty(engine);
    const built = Object.entries(compose.services)
      .filter(([, s]) => s.build)
      .map(([name, s]) => {
        expect(s.build?.args?.SERVICE, `${name} builds its own service`).toBe(name);
        return name;
      });
    expect(built.sort()).toEqual([...runnable].sort());
  });

  it('gives each service an environment its config accepts, with only variables the code reads', () => {
    const known = new Set(configVariables());
    for (const name of runnable) {
      const env = Object.fromEntries(
        Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]),
      );
      for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key} is read by no service`).toBe(true);
      const cfg = loadConfig(env);
      expect(cfg.env).toBe('production');
      expect(cfg.bus.kafkaBrokers, name).toEqual(['kafka:9092']);
      expect(cfg.store.databaseUrl, name).toMatch(/^postgres:\/\/telemetry:pw@timescaledb:5432\/telemetry$/);
      expect(cfg.redisUrl, name).toBe('redis://redis:6379');
      expect(cfg.serviceName).toBe(name);
    }
  });

  it('publishes the ports the services listen on', () => {
    const listens: Record<string, (c: ReturnType<typeof loadConfig>) => number[]> = {
      'mqtt-gateway': (c) => [c.mqtt.port, c.mqtt.wsPort],
      api: (c) => [c.http.port],
      realtime: (c) => [c.realtime.port],
    };
    for (const [name, ports] of Object.entries(listens)) {
      const svc = compose.services[name];
      const env = Object.fromEntries(
        Object.entries(svc?.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]),
      );
      const published = (svc?.ports ?? []).map((p) => Number(String(p).split(':').pop()));
      expect(published.sort(), name).toEqual(ports(loadConfig(env)).sort());
    }
  });

  it('runs pipeline and realtime with replicas, and Prometheus scrapes every service on its metrics port', () => {
    expect(compose.services.pipeline?.deploy?.replicas).toBeGreaterThan(1);
    expect(compose.services.realtime?.deploy?.replicas).toBeGreaterThan(1);
    const prom = parse(readFileSync(join(ROOT, 'infra/prometheus/prometheus.yml'), 'utf8'));
    const sd = prom.scrape_configs[0].dns_sd_configs[0];
    expect([...sd.names].sort()).toEqual([...runnable].sort());
    for (const name of runnable) {
      const env = compose.services[name]?.environment ?? {};
      expect(
        loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute(String(v))]))).metrics.port,
      ).toBe(sd.port);
    }
  });

  it('builds every service from the one Dockerfile, which runs its main.ts', () => {
    const dockerfile = readFileSync(join(ROOT, 'infra/docker/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/services\/\$\{SERVICE\}\/src\/main\.ts/);
    for (const name of runnable) expect(existsSync(join(ROOT, 'services', name, 'src', 'main.ts'))).toBe(true);
  });
});

describe('Grafana provisioning', () => {
  it('queries only tables the migrations create', () => {
    const migrations = readdirSync(join(ROOT, 'packages/store/migrations'))
      .map((f) => readFileSync(join(ROOT, 'packages/store/migrations', f), 'utf8'))
      .join('\n');
    const created = new Set([...migrations.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]));
    const dashboard = readFileSync(join(ROOT, 'infra/grafana/dashboards/telemetry-rollups.json'), 'utf8');
    const used = [...dashboard.matchAll(/FROM (\w+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const table of used) expect(created.has(table), `${table} exists`).toBe(true);
  });
});
