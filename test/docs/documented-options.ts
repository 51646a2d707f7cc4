import { join } from 'node:path';
import ts from 'typescript';

/** One option of `DatabaseModule.forRoot`, as its JSDoc states it. */
export interface OptionDoc {
  /** `maxOpenConnections`, or `awsIamAuth.tokenTtl` for a key of a nested block. */
  path: string;
  /** The value after "Default `…`" in the JSDoc, when it names one. */
  defaultValue?: string;
  /** The JSDoc says "Required". */
  required: boolean;
}

/**
 * Every option a user can give `DatabaseModule.forRoot`, read from the public types the root
 * export exports (`DatabaseModuleOptions`, with the keys its credential sources merge in, and
 * `DatabaseModuleExtras`), wherever in `src/` they are declared. Nested option blocks (interfaces
 * named `…Options` declared in `src/`, such as `awsIamAuth`) are listed key by key.
 */
export function optionDocs(repo: string): OptionDoc[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repo, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  const index = join(repo, 'src/index.ts');
  const program = ts.createProgram([index], config?.options ?? {});
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((symbol) => [symbol.name, symbol]));
  const source = join(repo, 'src');
  const options = new Map<string, OptionDoc>();

  const visit = (type: ts.Type, prefix: string): void => {
    for (const property of checker.getPropertiesOfType(type)) {
      const path = `${prefix}${property.name}`;
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const declared = declaration ? checker.getTypeOfSymbolAtLocation(property, declaration) : undefined;
      const propertyType = declared ? checker.getNonNullableType(declared) : undefined;
      const block = propertyType?.getSymbol();
      const blockFile = block?.declarations?.[0]?.getSourceFile().fileName;
      if (block && block.name.endsWith('Options') && blockFile?.startsWith(source)) {
        visit(propertyType!, `${path}.`);
        continue;
      }
      if (options.has(path)) continue; // `name` is both an option and an extra.
      const doc = ts.displayPartsToString(property.getDocumentationComment(checker));
      options.set(path, {
        path,
        defaultValue: /\bDefault `([^`]+)`/.exec(doc)?.[1],
        required: /\bRequired\b/.test(doc),
      });
    }
  };
  for (const name of ['DatabaseModuleOptions', 'DatabaseModuleExtras']) {
    let symbol = exported.get(name);
    if (!symbol) throw new Error(`src/index.ts no longer exports ${name}`);
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    visit(checker.getDeclaredTypeOfSymbol(symbol), '');
  }
  return [...options.values()];
}

/** The rows of the Markdown tables of `markdown` whose first cell starts with a code span: that key → its cells. */
export function optionRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    const key = /^`([^`]+)`/.exec(cells[0] ?? '')?.[1];
    if (key && !rows.has(key)) rows.set(key, cells);
  }
  return rows;
}

/**
 * What the configuration page gets wrong about `options`: an option without a row of its own
 * (option in the first cell, default in the second, rule in the third), a row with no default,
 * a default other than the JSDoc's, a required option not called required.
 */
export function configurationProblems(options: OptionDoc[], configurationMarkdown: string): string[] {
  const rows = optionRows(configurationMarkdown);
  const problems: string[] = [];
  for (const option of options) {
    const row = rows.get(option.path);
    if (!row) {
      problems.push(`${option.path}: no row in the options table`);
      continue;
    }
    const [, defaultCell = '', ruleCell = ''] = row;
    if (defaultCell === '') problems.push(`${option.path}: the default cell is empty (write — when there is none)`);
    if (option.defaultValue !== undefined && !defaultCell.includes(`\`${option.defaultValue}\``)) {
      problems.push(
        `${option.path}: the JSDoc's default \`${option.defaultValue}\` is not in the default cell "${defaultCell}"`,
      );
    }
    if (option.required && !/required/i.test(ruleCell))
      problems.push(`${option.path}: required in the JSDoc, not in the table`);
  }
  return problems;
}
