import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentationFiles } from '../consumer/readme-snippets.js';
import { configurationProblems, optionDocs } from './documented-options.js';
import { brokenLinks, githubSlug, headingAnchors } from './markdown-links.js';

const repo = new URL('../..', import.meta.url).pathname;
/** The README keeps what a user needs first; the rest lives in docs/. */
const README_MAX_LINES = 250;

describe('the documentation', () => {
  it('has every relative link and #anchor of the README and docs/ lead to an existing file and heading', () => {
    expect(brokenLinks(repo, documentationFiles(repo))).toEqual([]);
  });

  it('documents every option of DatabaseModule.forRoot in docs/configuration.md, with the default its JSDoc states', async () => {
    const options = optionDocs(repo);
    // The reader finds the nested source blocks too, and the module's own extras.
    expect(options.map((option) => option.path)).toEqual(
      expect.arrayContaining([
        'dsn',
        'connectionMaxLifetime',
        'awsIamAuth.tokenTtl',
        'secretsManager.secretId',
        'credentialProvider',
        'isGlobal',
      ]),
    );
    expect(options.find((option) => option.path === 'connectionMaxLifetime')).toMatchObject({ defaultValue: "'14m'" });
    expect(configurationProblems(options, await readFile(join(repo, 'docs/configuration.md'), 'utf8'))).toEqual([]);
  }, 60_000);

  it(`keeps the README to at most ${README_MAX_LINES} lines`, async () => {
    const lines = (await readFile(join(repo, 'README.md'), 'utf8')).trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });
});

describe('the documentation checks catch what they are for', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'docs-check-'));
    await mkdir(join(root, 'docs'));
    await writeFile(
      join(root, 'docs/page.md'),
      '# Page\n\n## `/health` and stats (`db.stats()`)\n\n## Twice\n\n## Twice\n',
    );
    await writeFile(
      join(root, 'README.md'),
      [
        '[fine](docs/page.md#health-and-stats-dbstats) [fine](docs/page.md#twice-1) [fine](#readme) [web](https://example.com/x.md)',
        '# Readme',
        '[gone](docs/missing.md) and [no heading](docs/page.md#nope) and `[in code](nowhere.md)`',
        '```md',
        '[in a fence](nowhere.md)',
        '```',
      ].join('\n'),
    );
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('the link check names a missing file and a missing heading, and nothing else', () => {
    expect(brokenLinks(root, ['README.md', 'docs/page.md'])).toEqual([
      'README.md: docs/missing.md (no such file)',
      'README.md: docs/page.md#nope (no such heading in docs/page.md)',
    ]);
  });

  it('makes anchors as GitHub does: code and punctuation dropped, repeated headings numbered', () => {
    expect(githubSlug('The YAML config file, and `@nestjs/config`')).toBe('the-yaml-config-file-and-nestjsconfig');
    expect([...headingAnchors('## Twice\n## Twice\n```sh\n# not a heading\n```\n')]).toEqual(['twice', 'twice-1']);
  });

  it('the option check names an option without a row, a default that differs from the JSDoc and a required option not called required', () => {
    const options = [
      { path: 'connectionMaxLifetime', defaultValue: "'14m'", required: false },
      { path: 'awsIamAuth.region', required: true },
      { path: 'queryTimeout', required: false },
    ];
    const table = [
      '| option | default | rule |',
      '|---|---|---|',
      "| `connectionMaxLifetime` | `'15m'` | < 15m |",
      '| `awsIamAuth.region` | — | the AWS region |',
    ].join('\n');
    expect(configurationProblems(options, table)).toEqual([
      "connectionMaxLifetime: the JSDoc's default `'14m'` is not in the default cell \"`'15m'`\"",
      'awsIamAuth.region: required in the JSDoc, not in the table',
      'queryTimeout: no row in the options table',
    ]);
  });
});
