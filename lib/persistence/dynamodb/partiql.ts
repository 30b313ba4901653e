/** Quoting for the PartiQL statements of batched writes. */

/** A PartiQL quoted identifier (table or attribute name). */
export function partiqlName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PartiQL string literal (a tuple key). */
export function partiqlString(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}
