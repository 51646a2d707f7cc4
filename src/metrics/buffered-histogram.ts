import type { Attributes, Histogram } from '@opentelemetry/api';

/**
 * Values held before they are handed to the SDK in one go: small enough that no request waits long behind the
 * hand-over.
 */
const CAPACITY = 128;

/**
 * Takes values on the query path and hands them to an OpenTelemetry histogram later, in bulk:
 * when the buffer fills (on the next turn of the event loop) and at every collection. Recording
 * into the SDK one value at a time, inside each checkout and release, cost a visible share of
 * throughput in `npm run bench` (the "metrics on" rows of bench/RESULTS.md); a store into a typed
 * array costs nothing measurable.
 */
export class BufferedHistogram {
  private readonly values = new Float64Array(CAPACITY);
  private size = 0;
  private flushScheduled = false;

  constructor(
    private readonly histogram: Histogram,
    private readonly attributes: Attributes,
  ) {}

  record(value: number): void {
    if (this.size === CAPACITY) this.flush();
    this.values[this.size++] = value;
    if (this.size === CAPACITY && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Hands every held value to the SDK. */
  flush(): void {
    for (let index = 0; index < this.size; index++) this.histogram.record(this.values[index]!, this.attributes);
    this.size = 0;
  }
}
