/** Typed errors users can `instanceof`. None carries a secret: messages come from messages.ts. */
export class DatabaseConfigError extends Error {
  override readonly name = 'DatabaseConfigError';
  constructor(
    message: string,
    /** One line per problem, each starting with the key it is about. */
    readonly problems: readonly string[],
  ) {
    super(message);
  }
}

/** The database refused to log in and refreshing the credentials did not help. */
export class DatabaseAuthError extends Error {
  override readonly name = 'DatabaseAuthError';
  constructor(
    message: string,
    /** SQLSTATE of the last refusal: 28000 (RDS IAM "PAM authentication failed") or 28P01. */
    readonly sqlState: string | undefined,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** No usable connection within `connectionTimeout`. */
export class DatabaseConnectionTimeoutError extends Error {
  override readonly name = 'DatabaseConnectionTimeoutError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** A credential source failed (Secrets Manager down, malformed secret, signing failed). */
export class CredentialSourceError extends Error {
  override readonly name = 'CredentialSourceError';
  constructor(
    message: string,
    readonly source: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
