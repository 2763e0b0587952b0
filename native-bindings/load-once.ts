// Native bindings are created on first use and never retried: a missing library or prebuilt
// binary stays missing, and every caller gets the same one-line reason.

/** A loader that runs `create` once; later calls return its result or throw the same error. */
export function loadOnce<T>(what: string, create: () => T): () => T {
  let loaded: T | Error | undefined;
  return () => {
    if (loaded === undefined) {
      try {
        loaded = create();
      } catch (err) {
        loaded = new Error(`${what} unavailable: ${(err as Error).message}`);
      }
    }
    if (loaded instanceof Error) throw loaded;
    return loaded;
  };
}
