// Memory of `otel-sysmon bridge` (a child process, as deployed) under parallel large bodies: three rounds
// of 16 parallel 31 MB OTLP/HTTP posts (valid exports padded with an unknown field, so the bytes cost
// memory but make no rows), then three rounds of 16 gzip bodies that each inflate to 31 MB. Prints the
// answers by status, RSS before, the peak (VmHWM) and RSS 5 s after each round. Target: every request
// answered, peak under 350 MB, back near the starting RSS. BRIDGE_BASELINE=<checkout> runs another
// build's bin/otel-sysmon.js the same way first (e.g. the code before the in-flight bound).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Benchmark } from './types.js';

const PARALLEL = 16;
const BODY_BYTES = 31_000_000;
const ROUNDS = 3;
const ANSWER_TIMEOUT_MS = 60_000;
const TARGET_PEAK_MB = 350;

function paddedExport(size: number): Buffer {
  const body = Buffer.alloc(size);
  let len = size - 6;
  const head = [0x9a, 0x06];
  for (let i = 0; i < 4; i++, len = Math.floor(len / 128)) head.push((len & 0x7f) | (i < 3 ? 0x80 : 0));
  Buffer.from(head).copy(body);
  return body;
}

function status(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

function startBridge(bin: string, dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [bin, 'bridge', '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--proton-url', 'http://127.0.0.1:9', '--data-dir', dataDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /bridge listening.*http=127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

function post(port: number, body: Buffer, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/metrics', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length, ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error('no answer')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (n: number) => `${n.toFixed(0)} MB`;

async function measure(label: string, bin: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-bench-mem-'));
  const { child, port } = await startBridge(bin, dir);
  const pid = child.pid!;
  await sleep(1000);
  const start = status(pid).rss;
  process.stdout.write(`${label}: RSS at start ${mb(start)}\n`);
  const plain = paddedExport(BODY_BYTES);
  const gzip = gzipSync(plain);
  for (const [kind, body, headers] of [
    ['identity', plain, {}],
    ['gzip', gzip, { 'content-encoding': 'gzip' }],
  ] as const) {
    for (let round = 1; round <= ROUNDS; round++) {
      const before = status(pid).rss;
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: PARALLEL }, () => post(port, body, headers)));
      const seconds = (performance.now() - t0) / 1000;
      const peak = status(pid).hwm;
      await sleep(5000);
      const after = status(pid).rss;
      const counts = new Map<string, number>();
      for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
      const summary = [...counts].map(([s, n]) => `${n}x ${s}`).join(', ');
      process.stdout.write(
        `  ${kind} round ${round}: ${PARALLEL} x ${(body.length / 1e6).toFixed(body.length < 1e6 ? 2 : 0)} MB in ${seconds.toFixed(2)} s -> ${summary}; ` +
          `RSS ${mb(before)} -> peak so far ${mb(peak)} -> ${mb(after)} 5 s later\n`,
      );
    }
  }
  const end = status(pid);
  process.stdout.write(
    `${label}: peak RSS ${mb(end.hwm)} (target < ${TARGET_PEAK_MB} MB: ${end.hwm < TARGET_PEAK_MB ? 'met' : 'NOT met'}), ` +
      `final ${mb(end.rss)} against ${mb(start)} at start\n`,
  );
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

const bridgeMemoryBenchmark: Benchmark = {
  name: 'bridge-memory',
  description: `bridge RSS under ${PARALLEL} parallel ${BODY_BYTES / 1e6} MB bodies (peak < ${TARGET_PEAK_MB} MB, every request answered)`,
  async run() {
    const baseline = process.env.BRIDGE_BASELINE;
    if (baseline) await measure(`baseline ${baseline}`, join(baseline, 'bin/otel-sysmon.js'));
    await measure('this build', fileURLToPath(new URL('../../bin/otel-sysmon.js', import.meta.url)));
  },
};

export default bridgeMemoryBenchmark;
