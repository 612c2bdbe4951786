import type { Argv } from 'yargs';
import { messageOf } from '../util/message.js';
import { type DagShapeSpec, parseDagShape, readDagFile } from '../workflow/index.js';

/** --dag / --dag-shape: each trace function as a workflow (src/workflow), the same for `replay` and `simulate`. */
export function dagFlags<T>(y: Argv<T>) {
  return y.options({
    dag: {
      type: 'string',
      describe:
        "Run each trace function as a workflow whose width and depth are drawn from FILE, a CSV in In-Vitro's dag_structure.csv format (Width, Width - Percentile, Depth, Depth - Percentile)",
      group: 'Workflows:',
    },
    'dag-shape': {
      type: 'string',
      describe:
        "Run each trace function as a workflow: 'width=W,depth=D', each an integer or azure2021 (the published distribution of Azure's 2021 workflows, as In-Vitro samples it), or 'azure2021' for both",
      group: 'Workflows:',
    },
  });
}

/** --dag FILE or --dag-shape SPEC (not both) into a shape specification; problems go to `errors`. */
export function toDagShape(
  args: { dag?: string | undefined; 'dag-shape'?: string | undefined },
  errors: string[],
): DagShapeSpec | undefined {
  if (args.dag !== undefined && args['dag-shape'] !== undefined) {
    errors.push('--dag and --dag-shape: give one of them');
    return undefined;
  }
  try {
    if (args.dag !== undefined) return readDagFile(args.dag);
    if (args['dag-shape'] !== undefined) return parseDagShape(args['dag-shape']);
  } catch (e) {
    errors.push(messageOf(e));
  }
  return undefined;
}
