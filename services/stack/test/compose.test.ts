import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, configVariables, loadConfig } from '@telemetry/config';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from './processes.js';

// There is no container engine here: docker-compose.yml and infra/k8s are checked against the code
// (services, variables the config schema knows and accepts, ports, health checks, the proxy's
// backends), and `docker compose config` validates the compose file. The proxy configuration itself
// runs in services/stack/test/topology.ts.

interface ComposeService {
  image?: string;
  build?: { args?: { SERVICE?: string } };
  environment?: Record<string, string | number>;
  ports?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] | string };
}
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };
const ENGINES = ['kafka-1', 'kafka-2', 'kafka-3', 'timescaledb', 'redis', 'mailpit', 'prometheus', 'grafana', 'proxy'];
const runnable = readdirSync(join(ROOT, 'services')).filter(
  (s) => s !== 'stack' && existsSync(join(ROOT, 'services', s, 'src', 'main.ts')),
);
/** The variables compose requires (${VAR:?...}), with sample values: .env.example must name each. */
const sampleEnv: Record<string, string> = {
  POSTGRES_PASSWORD: 'pw',
  JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters',
  GRAFANA_PASSWORD: 'admin',
  PROXY_COOKIE_KEY: 'cookie-key',
};
const substitute = (v: string) =>
  v.replace(
    /\$\{(\w+)(?::[?-]([^}]*))?\}/g,
    (_, name: string, fallback: string | undefined) => sampleEnv[name] ?? fallback ?? '',
  );
const envOf = (svc: ComposeService | undefined) =>
  Object.fromEntries(Object.entries(svc?.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]));
const composeConfig = (name: string): Config => loadConfig(envOf(compose.services[name]));
/** Pinned: an explicit version (2.17.2-pg16, v3.1.0, 3.9.1), never latest or a bare major. */
const PINNED = /:v?\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/;
/** Every "${VAR}" the proxy configuration reads. */
const haproxyCfg = readFileSync(join(ROOT, 'infra/haproxy/haproxy.cfg'), 'utf8');
const haproxyVars = [...new Set([...haproxyCfg.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];

/** What the proxy's backends must point at, from each service's own configuration. */
function expectProxyMatches(
  proxy: Record<string, string>,
  cfg: (service: string) => Config,
  hosts: Record<string, string>,
) {
  for (const v of haproxyVars) expect(proxy[v], `the proxy sets ${v}`).toBeTruthy();
  expect(Number(proxy.GATEWAY_MQTT_PORT)).toBe(cfg('mqtt-gateway').mqtt.proxyPort);
  expect(Number(proxy.GATEWAY_WS_PORT)).toBe(cfg('mqtt-gateway').mqtt.wsProxyPort);
  expect(Number(proxy.REALTIME_PORT)).toBe(cfg('realtime').realtime.port);
  expect(Number(proxy.API_PORT)).toBe(cfg('api').http.port);
  for (const s of ['mqtt-gateway', 'realtime', 'api']) expect(Number(proxy.METRICS_PORT), s).toBe(cfg(s).metrics.port);
  expect(proxy.GATEWAY_HOST).toBe(hosts['mqtt-gateway']);
  expect(proxy.REALTIME_HOST).toBe(hosts.realtime);
  expect(proxy.API_HOST).toBe(hosts.api);
}

describe('docker-compose.yml', () => {
  it('passes `docker compose config` (the compose CLI needs no engine for it)', () => {
    const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    const [cmd, args] = v2.status === 0 ? ['docker', ['compose']] : ['docker-compose', []];
    const out = execFileSync(cmd, [...args, '-f', join(ROOT, 'docker-compose.yml'), 'config', '-q'], {
      env: { ...process.env, ...sampleEnv },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('');
  });

  it('has the engines, the proxy and one container per runnable service', () => {
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
      const env = envOf(compose.services[name]);
      for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key} is read by no service`).toBe(true);
      const cfg = loadConfig(env);
      expect(cfg.env).toBe('production');
      expect(cfg.bus.kafkaBrokers, name).toEqual(['kafka-1:9092', 'kafka-2:9092', 'kafka-3:9092']);
      expect(cfg.bus.replicationFactor, name).toBe(3);
      expect(cfg.bus.minInsyncReplicas, name).toBe(2);
      expect(cfg.store.databaseUrl, name).toMatch(/^postgres:\/\/telemetry:pw@timescaledb:5432\/telemetry$/);
      expect(cfg.redisUrl, name).toBe('redis://redis:6379');
      expect(cfg.serviceName).toBe(name);
    }
  });

  it('publishes host ports only on the proxy, whose backends are the services’ own ports', () => {
    for (const name of runnable)
      expect(compose.services[name]?.ports, `${name} publishes no host port`).toBeUndefined();
    const published = (compose.services.proxy?.ports ?? []).map((p) => Number(String(p).split(':').pop()));
    const proxy = envOf(compose.services.proxy);
    expect(published.sort()).toEqual(
      [proxy.MQTT_BIND, proxy.MQTT_WS_BIND, proxy.HTTP_BIND].map((b) => Number(b?.split(':').pop())).sort(),
    );
    expectProxyMatches(proxy, composeConfig, { 'mqtt-gateway': 'mqtt-gateway', realtime: 'realtime', api: 'api' });
    expect(compose.services['mqtt-gateway']?.deploy?.replicas).toBeGreaterThan(1);
    expect(composeConfig('mqtt-gateway').mqtt.proxyPort).toBeGreaterThan(0);
  });

  it('has a health check on every container; the services’ ask /readyz on their metrics port', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.healthcheck, `${name} has a healthcheck`).toBeDefined();
    }
    for (const name of runnable) {
      const test = ([] as string[]).concat(compose.services[name]?.healthcheck?.test ?? []).join(' ');
      expect(test, name).toContain(`:${composeConfig(name).metrics.port}/readyz`);
    }
  });

  it('pins every image, and runs three Kafka brokers that hold each partition on three with min ISR 2', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.image) expect(svc.image, name).toMatch(PINNED);
    }
    const voters = ['kafka-1', 'kafka-2', 'kafka-3'].map((k) =>
      String(compose.services[k]?.environment?.KAFKA_CONTROLLER_QUORUM_VOTERS),
    );
    expect(new Set(voters).size).toBe(1);
    expect(voters[0]?.split(',')).toHaveLength(3);
    for (const k of ['kafka-1', 'kafka-2', 'kafka-3']) {
      expect(compose.services[k]?.environment).toMatchObject({
        KAFKA_MIN_INSYNC_REPLICAS: 2,
        KAFKA_DEFAULT_REPLICATION_FACTOR: 3,
      });
    }
  });

  it('runs pipeline and realtime with replicas, and Prometheus scrapes every service on its metrics port', () => {
    expect(compose.services.pipeline?.deploy?.replicas).toBeGreaterThan(1);
    expect(compose.services.realtime?.deploy?.replicas).toBeGreaterThan(1);
    const prom = parse(readFileSync(join(ROOT, 'infra/prometheus/prometheus.yml'), 'utf8'));
    const sd = prom.scrape_configs[0].dns_sd_configs[0];
    expect([...sd.names].sort()).toEqual([...runnable].sort());
    for (const name of runnable) expect(composeConfig(name).metrics.port).toBe(sd.port);
  });

  it('builds every service and the dashboard in the one Dockerfile; .dockerignore and .env.example are there', () => {
    const dockerfile = readFileSync(join(ROOT, 'infra/docker/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/services\/\$\{SERVICE\}\/src\/main\.ts/);
    expect(dockerfile).toMatch(/pnpm build:dashboard/);
    for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(from[1]).toMatch(PINNED);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/node_modules/);
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    for (const v of new Set([...composeText.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!))) {
      expect(example, `.env.example names ${v}`).toMatch(new RegExp(`^${v}=`, 'm'));
    }
  });
});

// biome-ignore lint/suspicious/noExplicitAny: manifests are read loosely, as kubectl would
type Manifest = any;
const manifests: Manifest[] = readdirSync(join(ROOT, 'infra/k8s'))
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(ROOT, 'infra/k8s', f), 'utf8')).map((d) => d.toJS()))
  .filter(Boolean);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const deployment = (name: string) => ofKind('Deployment').find((d) => d.metadata.name === name);
const configMap = ofKind('ConfigMap').find((c) => c.metadata.name === 'telemetry-config')?.data ?? {};
/** The secret the operator creates (DEPLOYMENT.md): its keys, with sample values. */
const secret = {
  JWT_SECRET: sampleEnv.JWT_SECRET!,
  DATABASE_URL: 'postgres://telemetry:pw@timescaledb:5432/telemetry',
  POSTGRES_PASSWORD: 'pw',
  PROXY_COOKIE_KEY: 'cookie-key',
};
function k8sEnv(name: string): Record<string, string> {
  const c = deployment(name)?.spec.template.spec.containers[0];
  const own = Object.fromEntries(
    (c?.env ?? []).filter((e: Manifest) => 'value' in e).map((e: Manifest) => [e.name, String(e.value)]),
  );
  return { ...configMap, ...secret, ...own };
}
const k8sConfig = (name: string) => loadConfig(k8sEnv(name));

describe('infra/k8s', () => {
  it('has a Deployment per runnable service with an environment its config accepts', () => {
    const known = new Set(configVariables());
    for (const name of runnable) {
      const d = deployment(name);
      expect(d, `${name} Deployment`).toBeDefined();
      const c = d.spec.template.spec.containers[0];
      expect(c.envFrom.map((e: Manifest) => e.configMapRef?.name ?? e.secretRef?.name).sort()).toEqual([
        'telemetry-config',
        'telemetry-secrets',
      ]);
      for (const e of c.env) expect(known.has(e.name), `${name}: ${e.name} is read by no service`).toBe(true);
      for (const k of Object.keys(configMap)) expect(known.has(k), `telemetry-config: ${k}`).toBe(true);
      const cfg = k8sConfig(name);
      expect(cfg.serviceName).toBe(name);
      expect(cfg.bus.kafkaBrokers).toHaveLength(3);
      expect(cfg.bus.replicationFactor).toBe(3);
      expect(cfg.bus.minInsyncReplicas).toBe(2);
    }
  });

  it('probes readiness on /readyz and liveness on /healthz at the metrics port, with resource requests', () => {
    for (const name of runnable) {
      const c = deployment(name).spec.template.spec.containers[0];
      const metrics = c.ports.find((p: Manifest) => p.name === 'metrics')?.containerPort;
      expect(metrics, name).toBe(k8sConfig(name).metrics.port);
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
      expect(c.resources.requests.cpu, name).toBeTruthy();
      expect(c.resources.requests.memory, name).toBeTruthy();
    }
  });

  it('scales the stateless services horizontally and lists their pods for the proxy', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    for (const name of ['mqtt-gateway', 'pipeline', 'realtime', 'api']) {
      const hpa = hpas.find((h) => h.spec.scaleTargetRef.name === name);
      expect(hpa, `${name} HPA`).toBeDefined();
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
    const pipelineHpa = hpas.find((h) => h.spec.scaleTargetRef.name === 'pipeline');
    expect(pipelineHpa.spec.maxReplicas).toBeLessThanOrEqual(k8sConfig('pipeline').bus.partitions);
    const ports = (svc: string) =>
      ofKind('Service')
        .find((s) => s.metadata.name === `${svc}-headless`)
        ?.spec.ports.map((p: Manifest) => p.port);
    expect(ports('mqtt-gateway')).toEqual(
      expect.arrayContaining([k8sConfig('mqtt-gateway').mqtt.proxyPort, k8sConfig('mqtt-gateway').mqtt.wsProxyPort]),
    );
    expect(ports('realtime')).toContain(k8sConfig('realtime').realtime.port);
    expect(ports('api')).toContain(k8sConfig('api').http.port);
  });

  it('runs the same proxy configuration in front, pointed at the headless services', () => {
    const c = deployment('proxy').spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: Manifest) => [e.name, String(e.value ?? secret.PROXY_COOKIE_KEY)]));
    const host = (s: string) => `${s}-headless.telemetry.svc.cluster.local`;
    expectProxyMatches(env, k8sConfig, {
      'mqtt-gateway': host('mqtt-gateway'),
      realtime: host('realtime'),
      api: host('api'),
    });
    expect(c.image).toBe(compose.services.proxy?.image);
  });

  it('pins every image and runs Kafka as three brokers', () => {
    for (const m of [...ofKind('Deployment'), ...ofKind('StatefulSet')]) {
      for (const c of m.spec.template.spec.containers) expect(c.image, m.metadata.name).toMatch(PINNED);
    }
    const kafka = ofKind('StatefulSet').find((s) => s.metadata.name === 'kafka');
    expect(kafka.spec.replicas).toBe(3);
    const env = Object.fromEntries(kafka.spec.template.spec.containers[0].env.map((e: Manifest) => [e.name, e.value]));
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS.split(',')).toHaveLength(3);
    expect(env.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
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
