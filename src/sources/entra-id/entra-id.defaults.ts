/** The scope of Azure Database for PostgreSQL tokens (public cloud), unless `entraIdAuth.scope` says otherwise. */
export const DEFAULT_ENTRA_ID_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';
