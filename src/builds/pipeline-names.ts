// Bounds the series count of the cicd.* metrics, whose cicd.pipeline.name is the build name: the first
// `limit` distinct names keep their own series; later ones share `_other`, marked otel.metric.overflow=true
// like the OpenTelemetry SDK's cardinality-limit overflow series.
import type { Attributes } from '../collectors/types.js';

export const OVERFLOW_NAME = '_other';

export class PipelineNames {
  private readonly admitted = new Set<string>();
  private readonly attributeCache = new Map<string, Attributes>();

  constructor(readonly limit: number) {}

  /** The cicd.pipeline.name a build name is reported under. */
  nameOf(buildName: string): string {
    if (this.admitted.has(buildName)) return buildName;
    if (this.admitted.size < this.limit) {
      this.admitted.add(buildName);
      return buildName;
    }
    return OVERFLOW_NAME;
  }

  /** Attributes for a build name plus fixed extra attributes; objects are reused so exporters key them once. */
  attributes(buildName: string, extra: Readonly<Record<string, string>>): Attributes {
    const name = this.nameOf(buildName);
    const key = `${name}\u0000${Object.entries(extra).flat().join('\u0000')}`;
    let attrs = this.attributeCache.get(key);
    if (!attrs) {
      attrs = { 'cicd.pipeline.name': name, ...extra, ...(name === OVERFLOW_NAME ? { 'otel.metric.overflow': true } : {}) };
      // The cache holds at most (limit + 1) names times the few fixed attribute sets used.
      this.attributeCache.set(key, attrs);
    }
    return attrs;
  }
}
