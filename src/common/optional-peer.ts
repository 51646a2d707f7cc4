import { isMissingPackage } from './missing-package.js';

/**
 * Imports the optional peer `name` through `load` (the literal `import()`, so TypeScript still types
 * the module). When the package itself is not installed, the error becomes `missing(cause)`, whose
 * message names the install command; an error inside the package is rethrown as it is.
 */
export async function importOptionalPeer<Module>(
  name: string,
  load: () => Promise<Module>,
  missing: (cause: unknown) => Error,
): Promise<Module> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, name)) throw missing(error);
    throw error;
  }
}

/**
 * `load` run once, on first use, so that only the users of a source need its package. A failed
 * load is not kept: installing the package and trying again works in the same process.
 */
export function loadOnFirstUse<Value>(load: () => Promise<Value>): () => Promise<Value> {
  let loading: Promise<Value> | undefined;
  return () => {
    loading ??= load();
    loading.catch(() => (loading = undefined));
    return loading;
  };
}
