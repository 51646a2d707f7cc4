import { SingleFlight } from '../../src/credentials/single-flight.js';

describe('SingleFlight', () => {
  it('shares a running job and starts a new one after it settles, also after a failure', async () => {
    const flight = new SingleFlight<number>();
    let started = 0;
    const job = (result: number | Error) => () => (
      started++,
      result instanceof Error ? Promise.reject(result) : Promise.resolve(result)
    );
    const [a, b] = await Promise.all([flight.run(job(1)), flight.run(job(2))]);
    expect([a, b, started]).toEqual([1, 1, 1]);
    expect(flight.running).toBeUndefined();
    await expect(flight.run(job(new Error('down')))).rejects.toThrow('down');
    await expect(flight.run(job(3))).resolves.toBe(3);
    expect(started).toBe(3);
  });
});
