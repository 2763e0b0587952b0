// The catalogue's Histograms as OpenTelemetry instruments (recorded synchronously, e.g. build
// durations). Every other catalogue metric is observed per collection and reported by
// CatalogueProducer (catalogue-producer.ts).
import type { Histogram, Meter } from '@opentelemetry/api';
import { CATALOGUE, type MetricDef, type MetricName } from '../catalogue.js';

export interface CatalogueInstruments {
  histogram(name: MetricName): Histogram;
}

export function createCatalogueHistograms(meter: Meter): CatalogueInstruments {
  const histograms = new Map<string, Histogram>();
  for (const def of CATALOGUE as readonly MetricDef[]) {
    if (def.instrument === 'Histogram') {
      histograms.set(def.name, meter.createHistogram(def.name, { unit: def.unit, description: def.description }));
    }
  }
  return {
    histogram(name) {
      const h = histograms.get(name);
      if (!h) throw new Error(`${name} is not a Histogram in the catalogue`);
      return h;
    },
  };
}
