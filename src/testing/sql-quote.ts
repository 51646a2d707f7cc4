/** A PostgreSQL identifier, double-quoted: for role names in `ALTER ROLE`. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL string literal: for passwords in `ALTER ROLE … PASSWORD`, which takes no parameters. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
