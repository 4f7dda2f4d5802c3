// Splits a byte stream into lines (a watch sends one JSON event per line), holding at most `maxLineBytes`
// of an unfinished line: a longer one is an error, not an unbounded buffer (docs/behaviour.md, Bounded work).

export class LineTooLongError extends Error {
  override name = "LineTooLongError";
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Buffer) => void,
  ) {}

  /** Feeds a chunk; calls onLine for each complete, non-empty line. Throws LineTooLongError. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) break;
      const piece = chunk.subarray(start, newline);
      start = newline + 1;
      if (this.pendingBytes + piece.length > this.maxLineBytes) throw this.tooLong();
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece], this.pendingBytes + piece.length);
      this.pending = [];
      this.pendingBytes = 0;
      if (line.length > 0 && !(line.length === 1 && line[0] === 13)) this.onLine(line);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.pendingBytes + rest.length > this.maxLineBytes) throw this.tooLong();
      // A copy: the caller's chunk (a socket buffer) may be large and is not ours to keep alive.
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
  }

  /** Bytes of an unfinished line held. */
  get buffered(): number {
    return this.pendingBytes;
  }

  private tooLong(): LineTooLongError {
    this.pending = [];
    this.pendingBytes = 0;
    return new LineTooLongError(`a line longer than ${this.maxLineBytes} bytes`);
  }
}
