// The alert rules pass `promtool check rules`, their unit tests pass `promtool test rules`, every alert is
// tested both firing and not firing, and the unit tests are able to fail.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readRepoFile, repoPath, run, tool } from './tools.js';

const RULES = 'deploy/prometheus/otel-sysmon.rules.yml';
const TESTS = 'deploy/prometheus/otel-sysmon.rules.test.yml';
const promtool = tool('promtool', 'prometheus');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface UnitTests {
  rule_files: string[];
  tests: { alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[] }[];
}

const rules = (parseYaml(readRepoFile(RULES)) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const unitTests = parseYaml(readRepoFile(TESTS)) as UnitTests;
const cases = unitTests.tests.flatMap((t) => t.alert_rule_test ?? []);

describe('alert rules', () => {
  it('cover what the fleet is paged for', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'SysmonAgentAbsent',
      'SysmonBuildFailureRatioHigh',
      'SysmonBuildWorkersThrottled',
      'SysmonCpuCoreStuckLow',
      'SysmonCpuFrequencyBelowFloor',
      'SysmonCpuFrequencyDrop',
      'SysmonCpuPressure',
      'SysmonCpuThermalThrottling',
      'SysmonDataStale',
      'SysmonFilesystemAlmostFull',
      'SysmonFilesystemFillsWithin4h',
      'SysmonMemoryPressure',
      'SysmonNetworkErrors',
      'SysmonNoData',
    ]);
  });

  it.each(alerts.map((a) => [a.alert!, a]))('%s has a severity, a summary and a description', (_name, rule) => {
    expect(['info', 'warning', 'critical']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toBeTruthy();
    expect(rule.annotations?.description).toBeTruthy();
  });

  it('the frequency drop compares the 5 m average with 80 % of the 1 h maximum, per host, for 5 m', () => {
    const drop = alerts.find((a) => a.alert === 'SysmonCpuFrequencyDrop')!;
    expect(drop.for).toBe('5m');
    expect(drop.expr.replace(/\s+/g, ' ')).toContain(
      'avg by (host_name) (avg_over_time(system_cpu_frequency_hertz[5m])) < 0.8 * max by (host_name) (max_over_time(system_cpu_frequency_hertz[1h]))',
    );
  });

  it.each(alerts.map((a) => [a.alert!]))('%s has unit tests firing and not firing', (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(mine.some((c) => c.exp_alerts.length > 0)).toBe(true);
    expect(mine.some((c) => c.exp_alerts.length === 0)).toBe(true);
  });
});

describe.skipIf(!promtool.path)(`promtool ${promtool.skipReason}`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sysmon-rules-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('promtool check rules passes', () => {
    const r = run(promtool.path!, ['check', 'rules', repoPath(RULES)]);
    expect(r.stderr + r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('promtool test rules passes', () => {
    const r = run(promtool.path!, ['test', 'rules', repoPath(TESTS)], { timeoutMs: 60_000 });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('promtool check config passes for the Prometheus configuration that loads the rules', () => {
    const r = run(promtool.path!, ['check', 'config', repoPath('deploy/prometheus/prometheus.yml')]);
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it.each([
    ['a laxer frequency-drop threshold', '< 0.8 *', '< 0.5 *'],
    ['counting ignored and skipped builds as finished', 'outcome!~"ignored|skipped"', 'outcome=~".+"'],
  ])('the unit tests catch %s', (_what, from, to) => {
    const text = readFileSync(repoPath(RULES), 'utf8');
    expect(text).toContain(from);
    writeFileSync(join(scratch, 'otel-sysmon.rules.yml'), text.split(from).join(to));
    copyFileSync(repoPath(TESTS), join(scratch, 'otel-sysmon.rules.test.yml'));
    const r = run(promtool.path!, ['test', 'rules', join(scratch, 'otel-sysmon.rules.test.yml')], { timeoutMs: 60_000 });
    expect(r.stdout + r.stderr).toContain('FAILED');
    expect(r.status).not.toBe(0);
  });
});
