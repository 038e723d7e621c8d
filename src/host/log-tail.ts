/** The end of a service's log file, for error messages that say why a process failed. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** The last `lines` lines of a log file (at most its last 8 KiB), or '' when it cannot be read. */
export function logTail(file: string, lines = 20): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 8_192);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
