// Docker packaging, validated without a Docker engine: the Dockerfile's instructions are checked the way
// hadolint would for the rules that matter here (hadolint is not packaged for Debian), the build-context
// filter keeps what the build copies, compose.yaml is checked against the Compose Specification's JSON
// schema, structurally and against the files it mounts, and the image's healthcheck script is run for its
// failure paths (its success path runs in the end-to-end test against a live agent, and in
// docker-sidecar.test.ts inside the built image).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseDocument } from 'yaml';
import { type ComposeService, interpolate } from './docker-engine.js';
import { freePort, readRepoFile, repoPath, run } from './tools.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly stage: number;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) && current === '') continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  let stage = -1;
  return logical.map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    if (op.toUpperCase() === 'FROM') stage++;
    return { op: op.toUpperCase(), args: rest.join(' '), stage };
  });
}

const dockerfile = instructions(readRepoFile('deploy/docker/Dockerfile'));
const finalStage = Math.max(...dockerfile.map((i) => i.stage));
const final = dockerfile.filter((i) => i.stage === finalStage);
const envOf = (ins: Instruction[]) =>
  Object.fromEntries(ins.filter((i) => i.op === 'ENV').flatMap((i) => [...i.args.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]])));

describe('Dockerfile', () => {
  it('is multi-stage: builds in one stage, copies the result into a clean one', () => {
    const froms = dockerfile.filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0].args).toMatch(/ AS build$/);
    const copies = final.filter((i) => i.op === 'COPY' && i.args.includes('--from=build'));
    expect(copies.map((c) => c.args.split(/\s+/)[1])).toEqual(
      expect.arrayContaining(['/src/node_modules', '/src/dist/src', '/src/dist/native-bindings', '/src/bin', '/src/package.json']),
    );
    // Read at run time: the OTLP proto definitions (bridge, OTLP/HTTP error replies), the bridge's Proton DDL.
    expect(final.some((i) => i.op === 'COPY' && i.args === 'proto ./proto')).toBe(true);
    expect(final.some((i) => i.op === 'COPY' && i.args.startsWith('otel-collector-config/proton/streams.sql '))).toBe(true);
    // Only what the runtime loads: dev dependencies and other platforms' binaries pruned in the build stage.
    const prune = dockerfile.find((i) => i.op === 'RUN' && i.args.includes('prune-node-modules.sh'))!;
    expect(prune.stage).toBe(0);
    expect(prune.args).toContain('npm prune --omit=dev');
    expect(final.some((i) => i.op === 'RUN' && /npm (ci|install)|tsc/.test(i.args))).toBe(false);
  });

  it('needs nothing from a registry but its base image: no `# syntax=` frontend for BuildKit to fetch', () => {
    expect(readRepoFile('deploy/docker/Dockerfile')).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('pins its base images (no implicit or explicit latest)', () => {
    const arg = dockerfile.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))!;
    expect(arg.args).toMatch(/^NODE_IMAGE=node:\d+-[a-z]+-slim$/);
    for (const from of dockerfile.filter((i) => i.op === 'FROM')) expect(from.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it('installs packages the hadolint way and builds with npm ci', () => {
    for (const r of dockerfile.filter((i) => i.op === 'RUN' && i.args.includes('apt-get install'))) {
      expect(r.args).toContain('--no-install-recommends');
      expect(r.args).toContain('-y');
      expect(r.args).toContain('rm -rf /var/lib/apt/lists/*');
    }
    expect(dockerfile.some((i) => i.op === 'RUN' && i.args.includes('npm ci'))).toBe(true);
    expect(dockerfile.some((i) => i.op === 'ADD')).toBe(false);
    expect(dockerfile.some((i) => /\bsudo\b/.test(i.args))).toBe(false);
    for (const w of dockerfile.filter((i) => i.op === 'WORKDIR')) expect(w.args).toMatch(/^\//);
  });

  it('runs as a non-root user with its state in a volume (read-only root friendly)', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1)!;
    expect(user.args.split(':')[0]).toMatch(/^[1-9]\d*$/);
    const env = envOf(final);
    expect(final.find((i) => i.op === 'VOLUME')!.args).toBe(`["${env.SYSMON_DATA_DIR}"]`);
    expect(final.find((i) => i.op === 'RUN' && i.args.includes(`chown ${user.args.split(':')[0]}`))?.args).toContain(
      env.SYSMON_DATA_DIR,
    );
  });

  it('has a healthcheck that asks the running agent, and exec-form entrypoint', () => {
    const env = envOf(final);
    expect(env.SYSMON_EXPORTER.split(',')).toContain('prometheus');
    expect(final.find((i) => i.op === 'EXPOSE')!.args).toBe(env.SYSMON_PROMETHEUS_LISTEN.split(':').at(-1));
    // healthcheck.mjs finds the agent's listeners.json in the data directory the image sets.
    expect(env.SYSMON_DATA_DIR).toBe('/var/lib/otel-sysmon');
    const health = final.find((i) => i.op === 'HEALTHCHECK')!;
    expect(health.args).toMatch(/--interval=\d+s .*CMD \["node", "\/opt\/otel-sysmon\/healthcheck\.mjs"\]/);
    expect(final.some((i) => i.op === 'COPY' && i.args === 'deploy/docker/healthcheck.mjs ./healthcheck.mjs')).toBe(true);
    expect(JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['node', '/opt/otel-sysmon/bin/otel-sysmon.js']);
    expect(JSON.parse(final.find((i) => i.op === 'CMD')!.args)).toEqual(['run']);
  });

  // The legacy builder and BuildKit read the root .dockerignore (there is no Dockerfile.dockerignore to
  // take precedence). Semantics: the last matching pattern decides; a pattern matching a parent matches.
  it('has one build-context filter, at the root', () => {
    expect(existsSync(repoPath('deploy/docker/Dockerfile.dockerignore'))).toBe(false);
  });
  const ignore = readRepoFile('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const ignored = (path: string): boolean => {
    let excluded = false;
    const parts = path.split('/');
    for (const raw of ignore) {
      const negate = raw.startsWith('!');
      const pattern = negate ? raw.slice(1) : raw;
      const hit = parts.some((_, n) => {
        const prefix = parts.slice(0, n + 1).join('/');
        return pattern === '*' ? n === 0 : prefix === pattern;
      });
      if (hit) excluded = !negate;
    }
    return excluded;
  };

  it('copies only sources that exist and that the build-context filter keeps', () => {
    const sources = dockerfile
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(existsSync(repoPath(s)), s).toBe(true);
      expect(ignored(s), s).toBe(false);
      expect(ignored(`${s}/x.ts`), s).toBe(false);
    }
    for (const local of ['node_modules/yaml/package.json', 'dist/src/cli/main.js', '.git/HEAD', '.sysmon-data/store.db', 'test/deploy/docker.test.ts']) {
      expect(ignored(local), local).toBe(true);
    }
  });
});

describe('compose.yaml', () => {
  const composeFile = repoPath('deploy/docker/compose.yaml');
  const doc = parseDocument(readRepoFile('deploy/docker/compose.yaml'), { uniqueKeys: true });
  // The sidecar's keys as the Docker test reads them, plus what only this file checks.
  type Service = ComposeService & { build?: { context: string; dockerfile: string }; ports?: string[] };
  const compose = doc.toJS() as { name: string; services: Record<string, Service>; volumes: Record<string, unknown> };
  const services = compose.services;
  const agent = services['otel-sysmon'];
  const base = dirname(composeFile);

  it("is valid for the Compose Specification's JSON schema", () => {
    // The specification's schema (compose-spec/compose-spec schema/compose-spec.json) as dclint ships it.
    const { $schema: dialect, ...schema } = JSON.parse(readFileSync(repoPath('node_modules/dclint/schemas/compose.schema.json'), 'utf8')) as {
      $schema: string;
    };
    // Draft-07, Ajv's default dialect (Ajv names its meta-schema by the http URL, the file by https).
    expect(dialect).toMatch(/json-schema\.org\/draft-07\/schema/);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const valid = validate(doc.toJS());
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
    // The schema knows the keys docker-compose 1.x refused, and refuses what it does not know.
    expect(validate({ services: { a: { image: 'x', uts: 'host' } }, name: 'n' })).toBe(true);
    expect(validate({ services: { a: { image: 'x', utz: 'host' } } })).toBe(false);
  });

  it('parses, and runs the agent, a collector, Prometheus and Grafana', () => {
    expect(doc.errors).toEqual([]);
    expect(Object.keys(services).sort()).toEqual(['grafana', 'otel-collector', 'otel-sysmon', 'prometheus']);
    for (const [name, s] of Object.entries(services)) {
      if (s.image) expect(s.image, name).toMatch(/:[\w.-]+$/);
      expect(s.image ?? '', name).not.toMatch(/:latest$/);
      for (const dep of s.depends_on ?? []) expect(Object.keys(services), name).toContain(dep);
    }
  });

  it('runs the agent as a sidecar on the host: /proc and /sys read-only under --rootfs /host, host PID', () => {
    const rootfs = agent.command![agent.command!.indexOf('--rootfs') + 1];
    expect(rootfs).toBe('/host');
    expect(agent.volumes).toEqual(expect.arrayContaining([`/proc:${rootfs}/proc:ro`, `/sys:${rootfs}/sys:ro`]));
    expect(agent.pid).toBe('host');
    expect(agent.uts).toBe('host');
  });

  it('confines the agent: read-only root, every capability dropped but PERFMON (SYS_ADMIN on old engines), no new privileges', () => {
    expect(agent.read_only).toBe(true);
    expect(agent.cap_drop).toEqual(['ALL']);
    expect(agent.cap_add).toEqual(['${SYSMON_PERF_CAP:-PERFMON}']);
    expect(interpolate(agent.cap_add![0], {})).toBe('PERFMON');
    expect(interpolate(agent.cap_add![0], { SYSMON_PERF_CAP: 'SYS_ADMIN' })).toBe('SYS_ADMIN');
    expect(readRepoFile('deploy/docker/compose.yaml')).toContain('SYSMON_PERF_CAP=SYS_ADMIN docker compose up -d');
    expect(agent.security_opt).toContain('no-new-privileges:true');
    const data = agent.volumes!.find((v) => v.endsWith(':/var/lib/otel-sysmon'))!;
    expect(Object.keys(compose.volumes)).toContain(data.split(':')[0]);
  });

  it('builds the agent image from this repository with the Dockerfile', () => {
    const context = resolve(base, agent.build!.context);
    expect(context).toBe(repoPath());
    expect(existsSync(join(context, agent.build!.dockerfile))).toBe(true);
  });

  it('mounts files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('.')) expect(existsSync(resolve(base, source)), `${name}: ${v}`).toBe(true);
      }
    }
  });

  it('wires agent -> collector -> Prometheus with the ports the configs use', () => {
    const endpoint = new URL(agent.environment!.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(endpoint.hostname).toBe('otel-collector');
    const collector = services['otel-collector'];
    const configMount = collector.volumes!.find((v) => v.includes('otel-collector-config/'))!;
    expect(configMount.split(':')[1]).toBe(collector.command![0].replace('--config=', ''));
    const gateway = parseYaml(readRepoFile('otel-collector-config', configMount.split(':')[0].split('otel-collector-config/')[1])) as {
      receivers: { otlp: { protocols: { grpc: { endpoint: string } } } };
      exporters: { prometheus: { endpoint: string } };
    };
    expect(gateway.receivers.otlp.protocols.grpc.endpoint.split(':')[1]).toBe(endpoint.port);

    const prometheusConfig = parseYaml(readRepoFile('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const target = prometheusConfig.scrape_configs[0].static_configs[0].targets[0];
    expect(target).toBe(`otel-collector:${gateway.exporters.prometheus.endpoint.split(':')[1]}`);
    const prom = services.prometheus;
    expect(prom.volumes).toContain('../prometheus:/etc/prometheus:ro');
    expect(prom.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(prom.command).toContain('--web.enable-remote-write-receiver');
    for (const f of prometheusConfig.rule_files) expect(existsSync(repoPath('deploy/prometheus', f)), f).toBe(true);
  });

  it('exports OTLP to the collector and serves /metrics', () => {
    expect(agent.environment!.SYSMON_EXPORTER.split(',')).toEqual(['otlp', 'prometheus']);
    expect(agent.environment!.SYSMON_PROMETHEUS_LISTEN).toMatch(/:\d+$/);
  });
});

describe('healthcheck.mjs', () => {
  const script = repoPath('deploy/docker/healthcheck.mjs');
  const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH ?? '', ...extra });
  const withListeners = (listeners: object | undefined, check: (dataDir: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'sysmon-health-'));
    try {
      if (listeners) writeFileSync(join(dir, 'listeners.json'), JSON.stringify(listeners));
      check(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is unhealthy when the agent has not written its listeners (not started, or another data directory)', () => {
    withListeners(undefined, (dir) => {
      const r = run(process.execPath, [script], { env: env({ SYSMON_DATA_DIR: dir }) });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`unhealthy: ${join(dir, 'listeners.json')}: ENOENT: the agent is not running (or runs with another --data-dir)`);
    });
  });

  it('is unhealthy when nothing listens where the agent said, naming the address (a wildcard is asked on loopback)', async () => {
    const port = await freePort();
    withListeners({ pid: process.pid, api: null, prometheus: `http://0.0.0.0:${port}/metrics` }, (dir) => {
      const r = run(process.execPath, [script], { env: env({ SYSMON_DATA_DIR: dir }) });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`unhealthy: http://127.0.0.1:${port}/metrics: ECONNREFUSED`);
    });
  });

  it('is unhealthy when the agent that wrote the file is gone', () => {
    const gone = run(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    withListeners({ pid: Number(gone.stdout), api: 'http://127.0.0.1:9', prometheus: null }, (dir) => {
      const r = run(process.execPath, [script, join(dir, 'listeners.json')]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`unhealthy: ${join(dir, 'listeners.json')}: agent process ${gone.stdout} is gone`);
    });
  });
});
