// Each benchmark module exports one of these; bench/run.ts runs them in one process, in order,
// and `npm run bench -- <name>` runs only the named ones.
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(): Promise<void>;
}
