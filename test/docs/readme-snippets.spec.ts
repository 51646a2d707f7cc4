import { documentationSnippets, readmeSnippets, snippetFileName } from '../consumer/readme-snippets.js';

const repo = new URL('../..', import.meta.url).pathname;

describe('the TypeScript examples of the README and docs/ (compiled and run by test/consumer)', () => {
  it('each block has a kind, the README and the docs pages have some, and there are complete programs among them', () => {
    const snippets = documentationSnippets(repo);
    expect(snippets.filter((snippet) => snippet.file === 'README.md').length).toBeGreaterThanOrEqual(3);
    expect(snippets.filter((snippet) => snippet.file.startsWith('docs/')).length).toBeGreaterThanOrEqual(6);
    expect(snippets.some((snippet) => snippet.kind === 'program')).toBe(true);
  });

  it('gives every block a file name of its own across the README and docs/', () => {
    const names = documentationSnippets(repo).map(snippetFileName);
    expect(new Set(names).size).toBe(names.length);
    expect(snippetFileName({ file: 'docs/orms.md', line: 24, kind: 'program', esmOnly: true, source: '' })).toBe(
      'docs-orms-line-24',
    );
  });

  it('refuses a block without a kind, naming its file and line, so no example escapes the check', () => {
    expect(() => readmeSnippets('text\n\n```ts\nconst a = 1;\n```\n')).toThrow(
      /README\.md:3: a ```ts block needs a kind/,
    );
    expect(() => readmeSnippets('```ts\nconst a = 1;\n```\n', 'docs/sources.md')).toThrow(
      /docs\/sources\.md:1: a ```ts block needs a kind/,
    );
  });

  it('puts the named preamble before a fragment and de-indents a block inside a list', () => {
    const [snippet] = readmeSnippets('- item\n  ```ts fragment:mikro-orm esm-only\n  const a = 1;\n  ```\n');
    expect(snippet).toEqual({
      file: 'README.md',
      line: 2,
      kind: 'fragment',
      esmOnly: true,
      source: "import { DatabaseModule } from 'nestjs-rotating-pg';\nconst a = 1;\n",
    });
  });
});
