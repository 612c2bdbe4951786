import type { Argv } from 'yargs';
import { messageOf } from '../util/message.js';
import { parseWorkloadChoice } from '../workload/binding.js';

/** --workload: what replay and deploy put behind each trace function (see workload/binding.ts). */
export function workloadFlags<T>(y: Argv<T>) {
  return y.options({
    workload: {
      type: 'string',
      default: 'synthetic',
      describe:
        "What each trace function runs: synthetic (busy for the trace's duration, touching its memory), catalog (the real catalog functions in turn: image, compress, json, hash, matmul), or a list such as image,hash",
      group: 'Functions:',
    },
  });
}

export function toWorkload(args: { workload: string }, errors: string[]): readonly string[] {
  try {
    return parseWorkloadChoice(args.workload);
  } catch (e) {
    errors.push(messageOf(e));
    return ['synthetic'];
  }
}
