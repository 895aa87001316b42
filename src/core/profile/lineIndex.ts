/**
 * Offsets ↔ lines of a text, counting line terminators the way V8 does for profile line numbers:
 * "\n", "\r\n", a lone "\r", U+2028 and U+2029.
 */
export class LineIndex {
  /** Offset of the first character of each line (line 1 at index 0). */
  readonly starts: Int32Array;
  readonly length: number;

  constructor(text: string) {
    const starts: number[] = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 0x2028 || c === 0x2029) starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      }
    }
    this.starts = Int32Array.from(starts);
    this.length = text.length;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** 1-based line of an offset. */
  lineOf(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Offset of a 0-based line and column, or -1 when the line does not exist. */
  offsetOf(line0: number, column0: number): number {
    if (line0 < 0 || line0 >= this.starts.length) return -1;
    return this.starts[line0]! + Math.max(0, column0);
  }

  /** Length of a 1-based line without its terminator (approximately: the terminator counts as one). */
  lineLength(line: number): number {
    if (line < 1 || line > this.starts.length) return 0;
    const start = this.starts[line - 1]!;
    const end = line < this.starts.length ? this.starts[line]! - 1 : this.length;
    return Math.max(0, end - start);
  }
}
