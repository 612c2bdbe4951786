/**
 * Run by `npm test` before the tests (pretest): says once, loudly, which parts of this machine
 * are missing (test/helpers/cannot-run.ts), which test files need them, and how to install them.
 * Those tests then skip with a one-line note, or fail under CI. Always exits 0: the tests decide.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOLS, type Tool } from './helpers/cannot-run.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The test files that ask for `tool`: need('tool', ...), or for docker dockerEngine/detectEngine. */
function testsNeeding(tool: Tool): string[] {
  const call = new RegExp(`need\\('${tool}'${tool === 'docker' ? '|dockerEngine\\(|detectEngine\\(' : ''}`);
  return readdirSync(HERE)
    .filter((f) => f.endsWith('.test.js') && call.test(readFileSync(join(HERE, f), 'utf8')))
    .map((f) => f.replace(/\.js$/, '.ts'));
}

const tools = Object.keys(TOOLS) as Tool[];
const missing = (await Promise.all(tools.map(async (t) => [t, await TOOLS[t].probe()] as const))).filter(
  (m): m is readonly [Tool, string] => m[1] !== undefined,
);

if (missing.length === 0) {
  console.log(`preflight: ${tools.join(', ')}: all here, every test can run`);
} else {
  const lines = [
    `SOME TESTS CANNOT RUN ON THIS MACHINE${process.env.CI ? ' (CI: THEY WILL FAIL)' : ' (they will skip)'}:`,
  ];
  for (const [tool, why] of missing) {
    lines.push('', `- ${tool}: ${why}`, `  install: ${TOOLS[tool].install}`);
    lines.push(`  tests: ${testsNeeding(tool).join(', ') || '(none)'}`);
  }
  const bar = '!'.repeat(Math.min(100, Math.max(...lines.map((l) => l.length))));
  console.error(`\n${bar}\n${lines.join('\n')}\n${bar}\n`);
}
