/**
 * True when `error` is the failure of an `import()` of `name` itself (not installed), rather than
 * an error inside the package or one of its own missing dependencies: only that one is turned into
 * an install hint by the optional peers' loaders.
 */
export function isMissingPackage(error: unknown, name: string): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    String((error as Error).message).includes(`'${name}`)
  );
}
