/**
 * Working storage reused from call to call, so that analysing 100,000 runs does not allocate (and
 * then collect) a few typed arrays per series. Internal to src/core/bench (not exported by its
 * index).
 */

/**
 * A grow-only typed array. `get(n)` hands out its first `n` elements, not cleared. The view stays
 * valid only until the next `get` on the same buffer, so each function keeps its own instances,
 * uses them only while it runs (the analysis is synchronous and never re-entered) and never lets
 * a view escape into a result.
 */
export class ScratchBuffer<A extends Float64Array | Int32Array | Uint8Array> {
  private buffer: A;

  constructor(private readonly kind: new (n: number) => A) {
    this.buffer = new kind(256);
  }

  get(n: number): A {
    if (this.buffer.length < n) this.buffer = new this.kind(Math.max(n, 2 * this.buffer.length));
    return this.buffer.subarray(0, n) as A;
  }
}
