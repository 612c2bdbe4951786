/**
 * A YAML (or JSON) document with the line of every node, so that a config error can say
 * `file:line: path: what`. Used with schema-check.ts for plans and tenants files.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { FaasloadError } from '../errors.js';
import { type DocPath, formatPath, type SchemaProblem } from './schema-check.js';

export interface LinedDocument {
  /** The document as plain data. */
  value: unknown;
  /** The 1-based line of the node at `path` (of its key when `atKey`), or of its nearest parent. */
  lineOf(path: DocPath, atKey?: boolean): number;
}

/** Parses `text`; a syntax error is E_USAGE naming file:line. */
export function parseYamlWithLines(text: string, file: string): LinedDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const line = lines.linePos(first.pos[0]).line;
    throw new FaasloadError('E_USAGE', `${file}:${line}: not YAML (${first.message.split('\n')[0]})`);
  }
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  return {
    value: doc.toJS(),
    lineOf(path, atKey = false) {
      let node: unknown = doc.contents;
      let line = lineAt((node as Node | null)?.range?.[0]);
      for (const [i, step] of path.entries()) {
        if (isMap(node)) {
          const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === step);
          if (!pair) return line;
          const keyLine = lineAt((pair.key as Node | null)?.range?.[0]);
          if (atKey && i === path.length - 1) return keyLine;
          node = pair.value;
          const range = (node as Node | null)?.range;
          line = range ? lineAt(range[0]) : keyLine;
        } else if (isSeq(node) && typeof step === 'number') {
          node = node.items[step];
          if (node === undefined) return line;
          line = lineAt((node as Node).range?.[0]);
        } else {
          return line;
        }
      }
      return line;
    },
  };
}

/** Problems as lines `file:line: path: message`, in order. */
export function formatProblems(
  problems: readonly SchemaProblem[],
  doc: LinedDocument,
  file: string,
): string[] {
  return problems.map((p) => `${file}:${doc.lineOf(p.path, p.atKey)}: ${formatPath(p.path)}: ${p.message}`);
}
