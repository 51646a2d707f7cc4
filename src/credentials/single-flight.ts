/** Callers that arrive while a job runs share it instead of starting their own. */
export class SingleFlight<T> {
  private current?: Promise<T>;

  /** The job under way, if any. */
  get running(): Promise<T> | undefined {
    return this.current;
  }

  run(start: () => Promise<T>): Promise<T> {
    this.current ??= start().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }
}
