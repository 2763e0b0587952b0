// The web page as an agent module: with --ui (the default) `run` serves it from the local API.
// Its code is imported only when it starts, so commands other than `run` (and `run --ui false`)
// never load it; with no tab open it costs one "anyone listening?" check per collection.
import type { AgentModule } from '../agent/types.js';
import type { ApiModule } from '../api/module.js';
import type { BuildsModule } from '../builds/module.js';
import type { SchedulerModule } from '../scheduler/module.js';

export interface WebModuleDeps {
  readonly api: Pick<ApiModule, 'route' | 'raw'>;
  readonly builds: Pick<BuildsModule, 'service'>;
  readonly scheduler: Pick<SchedulerModule, 'scheduler' | 'monitor' | 'health'>;
}

export function createWebModule(deps: WebModuleDeps): AgentModule {
  let close: (() => void) | undefined;
  return {
    name: 'web',
    async start(agent) {
      if (!agent.config.ui) return;
      const { serveWebPage } = await import('./server.js');
      close = serveWebPage(agent, deps);
    },
    async stop() {
      close?.();
      close = undefined;
    },
  };
}
