// The optional parts of `otel-sysmon run`, in start order (they stop in reverse).
import type { LoadedConfig } from '../config/load.js';
import type { AgentModule } from './types.js';

export function agentModules(_config: LoadedConfig): AgentModule[] {
  return [];
}
