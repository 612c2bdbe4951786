/**
 * One self-contained HTML page: inline CSS, figures as inline SVG, no script, no external
 * reference (the only URLs are SVG namespaces), so it opens offline and can be mailed.
 */
export interface HtmlFigure {
  name: string;
  title: string;
  /** The SVG document as drawn by renderSvg. */
  svg: string;
  note?: string;
  /** Files beside the report, relative to it (CSV, spec, PNG), linked under the figure. */
  files?: readonly string[];
}

export interface HtmlReport {
  title: string;
  /** Facts shown as a definition list under the title: [name, value]. */
  facts: readonly (readonly [string, string])[];
  /** The summary table; the first row is the header. */
  table: readonly (readonly string[])[];
  figures: readonly HtmlFigure[];
  skipped: readonly { name: string; reason: string }[];
  warnings?: readonly string[];
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const CSS = `
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; font-size: .9em; }
dt { color: #666; } dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; font-size: .9em; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; color: #444; }
thead th { background: #f4f4f4; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85em; color: #555; max-width: 800px; }
.files a { margin-right: .8em; } .skipped { color: #666; font-size: .9em; }
`;

/** The page. Every text is escaped; SVGs are inlined as given (they come from our renderer). */
export function reportHtml(r: HtmlReport): string {
  const [head, ...body] = r.table;
  const cells = (row: readonly string[], tag: 'td' | 'th') =>
    row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('');
  const table = head
    ? `<table><thead><tr>${cells(head, 'th')}</tr></thead><tbody>${body
        .map((row) => `<tr>${cells(row, 'td')}</tr>`)
        .join('\n')}</tbody></table>`
    : '';
  const figures = r.figures
    .map((f) => {
      const svg = f.svg.replace(/^<\?xml[^>]*>\s*/, '');
      const files = (f.files ?? [])
        .map((p) => `<a href="${escapeHtml(encodeURI(p))}">${escapeHtml(p.split('/').pop()!)}</a>`)
        .join(' ');
      return `<figure id="fig-${escapeHtml(f.name)}" data-figure="${escapeHtml(f.name)}">
<h2>${escapeHtml(f.title)}</h2>
${svg}
<figcaption>${f.note ? escapeHtml(f.note) : ''}${files ? `<div class="files">data: ${files}</div>` : ''}</figcaption>
</figure>`;
    })
    .join('\n');
  const skipped =
    r.skipped.length > 0
      ? `<h2>Not drawn</h2><ul class="skipped">${r.skipped
          .map(
            (s) =>
              `<li data-skipped="${escapeHtml(s.name)}"><b>${escapeHtml(s.name)}</b>: ${escapeHtml(s.reason)}</li>`,
          )
          .join('')}</ul>`
      : '';
  const warnings =
    r.warnings && r.warnings.length > 0
      ? `<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`
      : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(r.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(r.title)}</h1>
<dl>${r.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
<h2>Summary</h2>
${table}
${figures}
${skipped}
${warnings}
</body>
</html>
`;
}
