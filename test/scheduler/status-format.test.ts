import { afterEach, describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/scheduler/status-format.js';
import { type SchedulerHarness, startSchedulerHarness } from './harness.js';

let h: SchedulerHarness;
afterEach(async () => h && (await h.stop()));

describe('lease status for people', () => {
  it('shows the state and its reasons, capacity, active leases, the queue and the addons', async () => {
    h = await startSchedulerHarness();
    await h.collect('NORMAL');
    const id = (await h.post('/api/scheduler/lease/request', { addon_id: 'indexer', job_type: 'reindex', cost_units: 40, priority: 'HIGH' })).body.lease_id;
    await h.post(`/api/scheduler/lease/${id}/report`, { progress_pct: 25 });
    await h.post('/api/scheduler/lease/request', { addon_id: 'backup', job_type: 'snapshot', cost_units: 30, priority: 'HIGH', wait: true });
    h.clock.advance(12_000);
    const status = (await h.get('/api/scheduler/status')).body;
    const text = formatStatus(status, h.clock.now());
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'Quiet: NORMAL (score 63) for 12s',
      '  - memory 75% > 70% (NORMAL)',
      'Capacity: 40/60 units used (100 configured - 20 headroom, x0.75 for the state)',
      'Leases: 1 active (max 4, 2 per addon), TTL 30s',
    ]);
    expect(text).toContain(`\nActive\nLEASE     ADDON    JOB      COST  PRIORITY  AGE  EXPIRES IN  PROGRESS\n${id.slice(0, 8)}  indexer  reindex  40    HIGH      12s  18s         25%\n`);
    expect(text).toMatch(/\nQueue\nPOS +QUEUE ID +ADDON +JOB +COST +PRIORITY +WAITING +REASON\n1 +q-\S+ +backup +snapshot +30 +HIGH +12s +Capacity exceeded: used=40, requested=30, capacity=60\n/);
    expect(text).toMatch(/\nAddons\nADDON +GRANTED +DENIED +QUEUED +ACTIVE +LAST +RETRY +LAST REASON\nindexer +1 +0 +0 +1 \(40u\) +approved +- +Approved: used=0, requested=40, capacity=60\nbackup +0 +0 +1 +0 \(0u\) +queued +in 18s +Capacity exceeded/);
  });
});
