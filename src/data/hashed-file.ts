/**
 * A local file written piece by piece, with its sha256 and size computed as it is written:
 * the split files are built this way so that no split is ever held in memory whole.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';

/** Text is handed to the file in pieces of about this size (one write per row would be slow). */
const FLUSH_CHARS = 64 * 1024;

export interface WrittenFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export class HashedFileWriter {
  private readonly out: WriteStream;
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private pending = '';

  constructor(readonly path: string) {
    this.out = createWriteStream(path);
  }

  /** Appends text; resolves once the file can take more (backpressure). */
  async append(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= FLUSH_CHARS) await this.flush();
  }

  async close(): Promise<WrittenFile> {
    await this.flush();
    this.out.end();
    await finished(this.out);
    return { path: this.path, sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  /** Closes the file after a failure elsewhere, without waiting for its contents. */
  abandon(): void {
    this.out.destroy();
  }

  private async flush(): Promise<void> {
    if (!this.pending) return;
    const chunk = Buffer.from(this.pending);
    this.pending = '';
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}
