/**
 * Placeholders for a multi-row VALUES list: valuesList(2, 2) → "($1,$2),($3,$4)".
 * `rows` is the row count or the rows themselves; pass their values flattened, row by
 * row (`rows.flat()`), as the query parameters. `offset` shifts the
 * numbering when other parameters come first. PostgreSQL allows at most 65535 parameters
 * per statement, so callers chunk big batches (see MAX_PARAMETERS).
 */
export function valuesList(rowsOrCount: number | readonly unknown[], columns: number, offset = 0): string {
  const rows = typeof rowsOrCount === 'number' ? rowsOrCount : rowsOrCount.length;
  if (!Number.isInteger(rows) || rows < 1)
    throw new RangeError(`valuesList: rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(columns) || columns < 1) {
    throw new RangeError(`valuesList: columns must be a positive integer, got ${columns}`);
  }
  if (offset + rows * columns > MAX_PARAMETERS) {
    throw new RangeError(
      `valuesList: ${offset + rows * columns} parameters exceed PostgreSQL's limit of ${MAX_PARAMETERS}`,
    );
  }
  const tuples: string[] = new Array(rows);
  let n = offset;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = new Array(columns);
    for (let c = 0; c < columns; c++) cells[c] = `$${++n}`;
    tuples[r] = `(${cells.join(',')})`;
  }
  return tuples.join(',');
}

/** The wire protocol counts Bind parameters in an int16. */
export const MAX_PARAMETERS = 65_535;

/** The largest number of rows of `columns` values that fits in one statement. */
export function maxRowsPerStatement(columns: number): number {
  return Math.floor(MAX_PARAMETERS / columns);
}
