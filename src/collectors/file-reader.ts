// Reads procfs/sysfs files through descriptors kept open between collections: one pread(2) at offset 0
// regenerates a seq_file or sysfs attribute, 3-8x cheaper than open+read+close each time.
import { closeSync, openSync, readSync, statfsSync } from 'node:fs';

/** Beyond this many open files, further ones are read with open/read/close (stay far below fd limits). */
const MAX_OPEN = 512;

// Only the kernel's pseudo-files regenerate on pread. A regular file (a fixture tree, a copied root)
// can be deleted, replaced or made unreadable under a kept descriptor, which would then read stale
// data forever: those are opened afresh each time.
const PROC_SUPER_MAGIC = 0x9fa0;
const SYSFS_MAGIC = 0x62656572;

function isKernelPseudoFile(path: string): boolean {
  try {
    const type = Number(statfsSync(path).type);
    return type === PROC_SUPER_MAGIC || type === SYSFS_MAGIC;
  } catch {
    return false;
  }
}

export class KeptOpenFileReader {
  private readonly fds = new Map<string, number>();
  /** Paths found to be regular files: statfs once, not at every read. */
  private readonly regular = new Set<string>();
  private buffer = Buffer.allocUnsafe(64 * 1024);

  /** The whole file as latin1 text; throws the errno error (ENOENT, EACCES...) like readFileSync. */
  read(path: string): string {
    let fd = this.fds.get(path);
    let keep = fd !== undefined;
    if (fd === undefined) {
      fd = openSync(path, 'r');
      keep = this.fds.size < MAX_OPEN && !this.regular.has(path) && isKernelPseudoFile(path);
      if (keep) this.fds.set(path, fd);
      else this.regular.add(path);
    }
    try {
      for (;;) {
        const n = readSync(fd, this.buffer, 0, this.buffer.length, 0);
        // A full buffer may mean a truncated read: grow and read again from the start.
        if (n < this.buffer.length) return this.buffer.toString('latin1', 0, n);
        this.buffer = Buffer.allocUnsafe(this.buffer.length * 2);
      }
    } catch (err) {
      // A CPU going offline or a device vanishing invalidates the descriptor: reopen next time.
      this.forget(path);
      throw err;
    } finally {
      if (!keep) closeSync(fd);
    }
  }

  private forget(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    try {
      closeSync(fd);
    } catch {
      // already closed by the kernel side; nothing to release
    }
  }

  close(): void {
    for (const path of [...this.fds.keys()]) this.forget(path);
  }
}
