// The optional parts of `otel-sysmon run`, in start order (they stop in reverse).
import { createApiModule } from '../api/module.js';
import { createBuildsModule } from '../builds/module.js';
import type { LoadedConfig } from '../config/load.js';
import { createSchedulerModule } from '../scheduler/module.js';
import { createStoreModule } from '../store/store.js';
import { durableExporterFor } from '../telemetry/delivery-exporter.js';
import { createWebModule } from '../web/module.js';
import type { AgentModule } from './types.js';

export function agentModules(config: LoadedConfig): AgentModule[] {
  const modules: AgentModule[] = [];
  // The durable OTLP exporter: run.ts hands it to the Agent as its otlp exporter too.
  const otlp = durableExporterFor(config);
  if (otlp) modules.push(otlp);
  // The store first and the API last: modules in between add routes; the API stops first on shutdown.
  const store = createStoreModule();
  const api = createApiModule();
  const builds = createBuildsModule({ store, api });
  const scheduler = createSchedulerModule({ store, api });
  modules.push(store, builds, scheduler, api);
  // After the API: it stops first, ending the page's event streams before the API closes.
  modules.push(createWebModule({ api, builds, scheduler }));
  return modules;
}
