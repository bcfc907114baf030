// Pieces the self-contained HTML reports share: escaping, tables, the page frame and its styles.

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A table; cells are text (escaped here), or `{ html }` already escaped by the caller. */
export function htmlTable(headers: readonly string[], rows: readonly (readonly (string | { readonly html: string })[])[], numericFrom = 1): string {
  const cell = (value: string | { readonly html: string }, column: number, tag: 'td' | 'th') =>
    `<${tag}${column >= numericFrom ? ' class="n"' : ''}>${typeof value === 'string' ? escapeHtml(value) : value.html}</${tag}>`;
  const head = `<tr>${headers.map((header, column) => cell(header, column, 'th')).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((value, column) => cell(value, column, 'td')).join('')}</tr>`).join('\n');
  return `<table><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

export function passBadge(passed: boolean): { html: string } {
  return { html: passed ? '<span class="pass">pass</span>' : '<span class="fail">FAIL</span>' };
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555}.meta code{font-size:12px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f7f7f7}.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}.verdict.ok{background:#1a7f37}.verdict.ko{background:#cf222e}
figure{margin:12px 0 20px}figcaption{font-weight:600;margin-bottom:4px}svg{max-width:100%;height:auto;font-size:11px;fill:#444}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:3px;margin:0 5px 3px 0;vertical-align:middle}
.small{font-size:12px;color:#666}
`;

/** A whole page: everything inline, nothing fetched. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}
