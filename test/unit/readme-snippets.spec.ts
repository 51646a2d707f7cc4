import { join } from 'node:path';
import { readmeSnippets, readReadmeSnippets } from '../consumer/readme-snippets.js';

const repo = new URL('../..', import.meta.url).pathname;

describe("the README's TypeScript examples (compiled and run by test/consumer)", () => {
  it('each block has a kind, and there are complete programs among them', () => {
    const snippets = readReadmeSnippets(join(repo, 'README.md'));
    expect(snippets.length).toBeGreaterThanOrEqual(9);
    expect(snippets.some((snippet) => snippet.kind === 'program')).toBe(true);
  });

  it('refuses a block without a kind, naming its line, so no example escapes the check', () => {
    expect(() => readmeSnippets('text\n\n```ts\nconst a = 1;\n```\n')).toThrow(/README\.md:3: a ```ts block needs a kind/);
  });

  it('puts the named preamble before a fragment and de-indents a block inside a list', () => {
    const [snippet] = readmeSnippets('- item\n  ```ts fragment:mikro-orm esm-only\n  const a = 1;\n  ```\n');
    expect(snippet).toEqual({ line: 2, kind: 'fragment', esmOnly: true, source: "import { DatabaseModule } from 'nestjs-rotating-pg';\nconst a = 1;\n" });
  });
});
