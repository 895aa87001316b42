/**
 * The end of a stream that may be arbitrarily long: keeps only the last `maxChars` characters and
 * `maxLines` lines, so a program flooding its output costs bounded memory.
 */
export class OutputTail {
  private text = '';

  constructor(
    private readonly maxChars = 4096,
    private readonly maxLines = 40,
  ) {}

  push(chunk: string): void {
    this.text += chunk;
    // Trim lazily so a stream of small chunks does not copy the buffer on every push.
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }

  toString(): string {
    let tail = this.text.length > this.maxChars ? this.text.slice(-this.maxChars) : this.text;
    const lines = tail.split('\n');
    // A trailing newline leaves an empty last element; it does not count as a line.
    const counted = lines[lines.length - 1] === '' ? this.maxLines + 1 : this.maxLines;
    if (lines.length > counted) tail = lines.slice(-counted).join('\n');
    return tail;
  }
}
