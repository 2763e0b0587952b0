// Creates one OpenTelemetry instrument per catalogue metric, with the kind, unit and description the
// catalogue gives. Observable instruments share ONE batch callback that reports the latest collection.
import type { Histogram, Meter, Observable } from '@opentelemetry/api';
import { CATALOGUE, type MetricDef, type MetricName } from '../catalogue.js';
import type { Point } from '../collectors/types.js';

export type PointsByMetric = ReadonlyMap<MetricName, readonly Point[]>;

export interface CatalogueInstruments {
  histogram(name: MetricName): Histogram;
}

function createObservable(meter: Meter, def: MetricDef): Observable {
  const options = { unit: def.unit, description: def.description };
  switch (def.instrument) {
    case 'Counter':
      return meter.createObservableCounter(def.name, options);
    case 'UpDownCounter':
      return meter.createObservableUpDownCounter(def.name, options);
    default:
      return meter.createObservableGauge(def.name, options);
  }
}

/**
 * Registers every catalogue metric on the meter. `points()` is called once per reader collection and
 * returns the points to report (the agent's latest collection); metrics without points report nothing.
 */
export function registerCatalogueInstruments(
  meter: Meter,
  points: () => PointsByMetric | Promise<PointsByMetric>,
): CatalogueInstruments {
  const observables = new Map<string, Observable>();
  const histograms = new Map<string, Histogram>();
  for (const def of CATALOGUE as readonly MetricDef[]) {
    if (def.instrument === 'Histogram') {
      histograms.set(def.name, meter.createHistogram(def.name, { unit: def.unit, description: def.description }));
    } else {
      observables.set(def.name, createObservable(meter, def));
    }
  }
  meter.addBatchObservableCallback(
    async (result) => {
      for (const [name, list] of await points()) {
        const observable = observables.get(name);
        if (!observable) continue;
        for (const p of list) result.observe(observable, p.value, p.attributes);
      }
    },
    [...observables.values()],
  );
  return {
    histogram(name) {
      const h = histograms.get(name);
      if (!h) throw new Error(`${name} is not a Histogram in the catalogue`);
      return h;
    },
  };
}

