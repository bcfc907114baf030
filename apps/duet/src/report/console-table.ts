// Plain-text tables for the terminal: columns padded to their widest cell; numbers right-aligned.

/** Lines of a table; columns from `numericFrom` on are right-aligned. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): string[] {
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column >= numericFrom ? pad(cell, widths[column], 'start') : pad(cell, widths[column], 'end')))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((columnWidth) => '-'.repeat(columnWidth))), ...rows.map(line)];
}

// Characters, not UTF-16 units, so "−" and "—" count once.
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number, side: 'start' | 'end'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return side === 'start' ? fill + text : text + fill;
}
