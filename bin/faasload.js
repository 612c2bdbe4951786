#!/usr/bin/env node
// `replay` runs in a child node with a larger young generation (src/cli/relaunch.ts).
import { launchContext, relaunch, relaunchArgs, watchLauncher } from '../dist/src/cli/relaunch.js';

const args = process.argv.slice(2);
const nodeFlags = relaunchArgs(args, launchContext());
if (nodeFlags) relaunch(process.argv[1], args, nodeFlags);
else {
  watchLauncher();
  const { run } = await import('../dist/src/cli/main.js');
  await run();
}
