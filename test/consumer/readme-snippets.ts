import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The TypeScript examples of the README and of `docs/*.md`, as tests see them. Each ```ts block
 * names its kind after the language (GitHub highlights by the first word only, so readers see
 * plain `ts`):
 * - `module`: a whole file, type-checked as it stands;
 * - `program`: a whole program, type-checked and also run against the test database;
 * - `fragment:<preamble>`: lines from inside a file, type-checked after `PREAMBLES[preamble]`,
 *   which declares what the README leaves out (your own objects, an imported name);
 * and `esm-only` when it needs an ES module app (top-level await, ESM-only libraries).
 */
export interface ReadmeSnippet {
  /** The Markdown file, relative to the repository (`README.md`, `docs/orms.md`). */
  file: string;
  /** 1-based line of the opening fence, to name the block in a failure. */
  line: number;
  kind: 'module' | 'program' | 'fragment';
  esmOnly: boolean;
  /** The file to compile: the preamble (for fragments), then the block, de-indented. */
  source: string;
}

/** What each kind of fragment needs declared before it. */
export const PREAMBLES: Record<string, string> = {
  // A credential provider around the user's own secret store.
  vault: [
    "import { DatabaseModule } from 'nestjs-rotating-pg';",
    'declare const vault: { read(path: string): Promise<{ username: string; password: string; leaseEnds: Date }> };',
  ].join('\n'),
  // The ORM factory is whichever row of the table the reader picks.
  'make-orm': "declare function makeOrm(pool: import('pg').Pool): unknown;",
  'mikro-orm': "import { DatabaseModule } from 'nestjs-rotating-pg';",
  // Options of one connection, shown as the `forRoot` call alone.
  'database-module': "import { DatabaseModule } from 'nestjs-rotating-pg';",
  // The testing kit's token emulators; the identity libraries are optional peers the consumer apps do not install.
  'entra-emulator': [
    "import { EntraIdEmulator, testCertificate } from 'nestjs-rotating-pg/testing';",
    'declare class ClientSecretCredential { constructor(tenantId: string, clientId: string, secret: string, options?: object); }',
    'declare const server: { host: string; port: number };',
    'declare const rolePassword: string;',
  ].join('\n'),
  'google-emulator': [
    "import { GoogleOAuthEmulator } from 'nestjs-rotating-pg/testing';",
    'declare class JWT { constructor(options: object); }',
  ].join('\n'),
  // The Cloud SQL connector, an optional package the consumer apps do not install: its getOptions() as documented.
  'cloud-sql-connector': [
    "import { DatabaseModule } from 'nestjs-rotating-pg';",
    "declare class Connector { getOptions(options: { instanceConnectionName: string; ipType: 'PUBLIC' | 'PRIVATE' | 'PSC'; authType?: 'PASSWORD' | 'IAM' }): Promise<{ stream: () => import('node:tls').TLSSocket; ssl: boolean }>; close(): void; }",
  ].join('\n'),
  // main.ts: the app's root module is the reader's own.
  'app-module': ["import { NestFactory } from '@nestjs/core';", 'declare class AppModule {}'].join('\n'),
};

const FENCE = /^( *)```ts\b(.*)$/;

/** Every ```ts block of `markdown`; throws, naming the file and line, for a block without a known kind. */
export function readmeSnippets(markdown: string, file = 'README.md'): ReadmeSnippet[] {
  const lines = markdown.split('\n');
  const snippets: ReadmeSnippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const words = open[2]!.trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length && lines[end]!.trim() !== '```'; end++) body.push(lines[end]!.slice(indent));
    snippets.push(parse(file, index + 1, words, body.join('\n')));
    index = end;
  }
  return snippets;
}

function parse(file: string, line: number, words: string[], code: string): ReadmeSnippet {
  const esmOnly = words.includes('esm-only');
  const kind = words.find((word) => word !== 'esm-only');
  if (kind === 'module' || kind === 'program') return { file, line, kind, esmOnly, source: `${code}\n` };
  const preamble = kind?.startsWith('fragment:') ? PREAMBLES[kind.slice('fragment:'.length)] : undefined;
  if (preamble === undefined) {
    throw new Error(
      `${file}:${line}: a \`\`\`ts block needs a kind after the language (module, program or fragment:<${Object.keys(PREAMBLES).join('|')}>), got "${words.join(' ')}"`,
    );
  }
  return { file, line, kind: 'fragment', esmOnly, source: `${preamble}\n${code}\n` };
}

/** The Markdown files whose examples are tests: the README and every page of `docs/`. */
export function documentationFiles(repo: string): string[] {
  const pages = readdirSync(join(repo, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort();
  return ['README.md', ...pages.map((name) => `docs/${name}`)];
}

/** Every ```ts block of the README and of `docs/*.md`. */
export function documentationSnippets(repo: string): ReadmeSnippet[] {
  return documentationFiles(repo).flatMap((file) => readmeSnippets(readFileSync(join(repo, file), 'utf8'), file));
}

/** A file name for the snippet in a scratch project, unique across the documentation: `docs-orms-line-24`. */
export function snippetFileName(snippet: ReadmeSnippet): string {
  return `${snippet.file.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-line-${snippet.line}`;
}
