import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOptionsModule, loadOptionsModule, OptionsModuleError } from '../../src/cli/options-module.js';
import { useTempFolder } from '../support/temp-folder.js';

const folder = useTempFolder('options-module-');
let files = 0;

/** A module file of its own per test: import() caches a module by its URL. */
function moduleFile(extension: 'mjs' | 'cjs' | 'js', source: string): string {
  const path = join(folder, `db-${++files}.config.${extension}`);
  writeFileSync(path, source);
  return path;
}

const DSN = 'postgresql://app@127.0.0.1:5432/app';

describe('options from a JavaScript module (exec, url and doctor --config)', () => {
  it('takes .mjs, .cjs, .js (and TypeScript) files as modules, and anything else as YAML', () => {
    expect(
      ['db.config.mjs', 'db.config.cjs', 'db.config.js', 'db.config.ts', 'db.config.mts'].map(isOptionsModule),
    ).toEqual([true, true, true, true, true]);
    expect(['config.yaml', 'config.yml', 'config.json'].map(isOptionsModule)).toEqual([false, false, false]);
  });

  it('reads the options of one connection from the default export', async () => {
    const path = moduleFile('mjs', `export default { dsn: '${DSN}', maxOpenConnections: 4 };`);
    expect(await loadOptionsModule(path)).toEqual({ dsn: DSN, maxOpenConnections: 4 });
  });

  it('calls an exported async function, as forRootAsync calls its factory, and keeps the functions it returns', async () => {
    const path = moduleFile(
      'mjs',
      `export default async () => ({ dsn: '${DSN}', credentialProvider: { name: 'mine', fetch: async () => ({ username: 'app', password: 'x' }) } });`,
    );
    const options = await loadOptionsModule(path);
    expect(options.credentialProvider?.name).toBe('mine');
    await expect(options.credentialProvider!.fetch({ reason: 'initial' })).resolves.toEqual({
      username: 'app',
      password: 'x',
    });
  });

  it('picks the connection named by --connection from an exported array, the default one without it', async () => {
    const path = moduleFile(
      'mjs',
      `export const connections = () => [{ dsn: '${DSN}' }, { name: 'reports', dsn: '${DSN}?application_name=reports' }];`,
    );
    expect(await loadOptionsModule(path, 'reports')).toEqual({
      name: 'reports',
      dsn: `${DSN}?application_name=reports`,
    });
    expect(await loadOptionsModule(path)).toEqual({ dsn: DSN });
  });

  it("reads a CommonJS module's module.exports, from .cjs and from a .js outside an ESM package", async () => {
    for (const extension of ['cjs', 'js'] as const) {
      const path = moduleFile(extension, `module.exports = [{ name: 'audit', dsn: '${DSN}' }];`);
      // Its only connection, whatever its name, when no --connection is given.
      expect(await loadOptionsModule(path)).toEqual({ name: 'audit', dsn: DSN });
    }
  });

  it.each([
    {
      problem: 'no export',
      source: `export const other = 1;`,
      says: /exports no options: export default the options \(or a function returning them\), or export const connections/,
    },
    {
      problem: 'a string exported',
      source: `export default '${DSN}';`,
      says: /the export is a string, not an options object: export the options of one connection/,
    },
    {
      problem: 'a function that returns nothing',
      source: `export default async () => {};`,
      says: /the export is undefined, not an options object/,
    },
    {
      problem: 'an entry of the array that is not an object',
      source: `export default [{ dsn: '${DSN}' }, null];`,
      says: /entry 1 of the exported array is null, not an options object/,
    },
    {
      problem: 'two connections of one name',
      source: `export default [{ dsn: '${DSN}' }, { name: 'default', dsn: '${DSN}' }];`,
      says: /two connections are named "default"; give each its own name/,
    },
    {
      problem: 'a function that throws, with a DSN in its message',
      source: `export default () => { throw new Error('cannot reach postgresql://app:hunter2-secret@db/app'); };`,
      says: /the exported function failed: cannot reach postgresql:\/\/app:\[redacted\]@db\/app/,
    },
    {
      problem: 'a syntax error',
      source: `export default { dsn: 'postgresql://app:hunter2-secret@db/app', };;; +++ {`,
      says: /could not load it as a JavaScript module \(.+\); fix the file/,
    },
  ])('names the file and the fix for $problem', async ({ source, says }) => {
    const path = moduleFile('mjs', source);
    const error = (await loadOptionsModule(path).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(OptionsModuleError);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.message).toMatch(says);
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('names the connections there are when --connection names none of them', async () => {
    const path = moduleFile('mjs', `export default [{ dsn: '${DSN}' }, { name: 'reports', dsn: '${DSN}' }];`);
    await expect(loadOptionsModule(path, 'audit')).rejects.toThrow(
      `${path}: no connection named "audit"; it has "default", "reports": pass one of them with --connection`,
    );
    // One connection named otherwise is not taken for the one asked for.
    const single = moduleFile('mjs', `export default { name: 'reports', dsn: '${DSN}' };`);
    await expect(loadOptionsModule(single, 'audit')).rejects.toThrow(/no connection named "audit"; it has "reports"/);
  });

  it('names a file that is not there', async () => {
    const path = join(folder, 'missing.config.mjs');
    await expect(loadOptionsModule(path)).rejects.toThrow(
      new RegExp(`^${path.replace(/[.]/g, '\\.')}: could not load it as a JavaScript module \\(.*Cannot find module`),
    );
  });
});
