// Large request bodies become garbage the moment they are answered, but V8 collects only when JavaScript
// allocates again: an idle receiver would keep its last bodies (up to its in-flight bound) for good.
// After enough bytes were let go, one full collection runs shortly after, while the process is idle.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/** V8's gc() without --expose-gc on the command line (as jest's leak detector gets it); null if refused. */
function collector(): (() => void) | null {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  return gc;
}

export class GarbageNudge {
  private released = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Collects `delayMs` after at least `minBytes` were let go (once per delay at most). */
  constructor(
    private readonly minBytes: number,
    private readonly delayMs = 200,
  ) {}

  /** `bytes` of large buffers are no longer referenced. */
  let(bytes: number): void {
    this.released += bytes;
    if (this.released < this.minBytes || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.released = 0;
      collector()?.();
    }, this.delayMs);
    this.timer.unref();
  }
}
