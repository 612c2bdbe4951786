import type { Argv } from 'yargs';
import type { MonitorOptions } from '../monitor/set.js';
import { durationFlag } from './plan-flags.js';

/** The flags of the monitors (replay): which ones observe the run and how often. */
export function monitorFlags<T>(y: Argv<T>) {
  return y
    .options({
      monitor: {
        type: 'string',
        describe:
          "Monitors, comma-separated: container (docker) = every container on the Docker engine (events + cgroup samples), process = the embedded platform's instance processes, host = /proc at 1 s, prometheus = --scrape endpoints, perf = OS and hardware event counters per instance (perf stat; docs/counters.md); none. Default: host, plus container on --runtime docker, process on --runtime process (both on auto), plus prometheus with --scrape",
        group: 'Monitoring:',
      },
      'sample-interval': {
        type: 'string',
        default: '100ms',
        describe: 'Container and process sampling interval (cgroup and /proc reads; 10ms is fine)',
        group: 'Monitoring:',
      },
      'host-interval': {
        type: 'string',
        default: '1s',
        describe: 'Host sampling interval',
        group: 'Monitoring:',
      },
      scrape: {
        type: 'string',
        describe: "Prometheus endpoints to scrape, comma-separated (e.g. an OpenWhisk controller's /metrics)",
        group: 'Monitoring:',
      },
      'scrape-interval': {
        type: 'string',
        default: '5s',
        describe: 'Prometheus scrape interval',
        group: 'Monitoring:',
      },
    })
    .options({
      'perf-events': {
        type: 'string',
        describe:
          'perf monitor: events, comma-separated, as perf list names them (default: cycles, instructions, cache-references, cache-misses, branch-misses, task-clock, context-switches, cpu-migrations, page-faults; those the machine lacks are reported, not counted)',
        group: 'Monitoring:',
      },
      'perf-interval': {
        type: 'string',
        default: '20ms',
        describe:
          "perf monitor: perf stat's interval (at least 10ms); per-invocation counts are apportioned within it (docs/counters.md)",
        group: 'Monitoring:',
      },
    });
}

/** The monitor flags into MonitorOptions; bad durations are pushed to errors. */
export function toMonitorOptions(
  args: {
    monitor?: string | undefined;
    'sample-interval': string;
    'host-interval': string;
    scrape?: string | undefined;
    'scrape-interval': string;
    'perf-events'?: string | undefined;
    'perf-interval'?: string | undefined;
  },
  errors: string[],
): MonitorOptions {
  const ms = (flag: string, value: string) => {
    const us = durationFlag(value, flag, errors);
    return us === undefined ? undefined : us / 1000;
  };
  const options: MonitorOptions = {};
  if (args.monitor !== undefined) options.monitors = args.monitor;
  const sample = ms('--sample-interval', args['sample-interval']);
  const host = ms('--host-interval', args['host-interval']);
  const scrapeInterval = ms('--scrape-interval', args['scrape-interval']);
  if (sample !== undefined) options.sampleIntervalMs = sample;
  if (host !== undefined) options.hostIntervalMs = host;
  if (scrapeInterval !== undefined) options.scrapeIntervalMs = scrapeInterval;
  // Split by perf.ts (perf's own syntax may hold commas inside /.../).
  if (args['perf-events'] !== undefined) options.perfEvents = [args['perf-events']];
  if (args['perf-interval'] !== undefined) {
    const perfInterval = ms('--perf-interval', args['perf-interval']);
    if (perfInterval !== undefined) options.perfIntervalMs = perfInterval;
  }
  if (args.scrape !== undefined) {
    options.scrape = args.scrape
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  return options;
}
