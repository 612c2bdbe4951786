/**
 * The `/whisk.system/alarms` feeds, as OpenWhisk's alarms package offers them for timer
 * functions: a feed action invoked with lifecycleEvent CREATE starts firing a trigger
 * periodically, DELETE stops it, READ tells its configuration.
 * - alarm: `cron` (5 fields, or 6 with seconds first: numbers, `*`, ranges `a-b`, steps `/n`,
 *   lists `a,b`; day of week 0-7, Sunday 0 or 7), in UTC
 * - interval: `minutes` (a positive integer), the first firing one interval after CREATE
 * - once: `date` (anything Date.parse reads), fired once
 * Each firing posts `trigger_payload` (an object) to the trigger; `stopDate` ends an alarm or an
 * interval, `maxTriggers` bounds the firings. Timers are unref'd; close() clears them all.
 */

export const ALARMS_NAMESPACE = 'whisk.system';
export const ALARMS_PACKAGE = 'alarms';
export const ALARM_FEEDS = ['alarm', 'interval', 'once'] as const;
export type AlarmFeed = (typeof ALARM_FEEDS)[number];

/** A feed action's answer: the result, or an error (an application error, as the package's). */
export type FeedAnswer = { ok: true; result: Record<string, unknown> } | { ok: false; error: string };

interface Alarm {
  feed: AlarmFeed;
  params: Record<string, unknown>;
  timer?: NodeJS.Timeout;
  fired: number;
  maxTriggers: number;
  stopAtMs: number;
  /** Next fire time, epoch ms, or undefined when done. */
  next: (afterMs: number) => number | undefined;
}

/** Longest a single setTimeout may wait (2^31 - 1 ms); longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

export class AlarmFeeds {
  private readonly alarms = new Map<string, Alarm>();

  /** `fire(triggerFqn, payload)` fires a trigger ('/ns/name'); it must not throw. */
  constructor(private readonly fire: (trigger: string, payload: Record<string, unknown>) => void) {}

  /** Runs feed `feed` with the action's parameters (lifecycleEvent, triggerName, ...). */
  handle(feed: AlarmFeed, params: Record<string, unknown>): FeedAnswer {
    const event = params.lifecycleEvent;
    const trigger = params.triggerName;
    if (typeof trigger !== 'string' || !trigger.startsWith('/')) {
      return { ok: false, error: 'triggerName must be a fully qualified trigger name (/namespace/trigger)' };
    }
    switch (event) {
      case 'CREATE':
      case 'UPDATE': {
        if (event === 'CREATE' && this.alarms.has(trigger)) {
          return { ok: false, error: `trigger ${trigger} already has an alarm` };
        }
        const made = makeAlarm(feed, params);
        if (typeof made === 'string') return { ok: false, error: made };
        this.delete(trigger);
        this.alarms.set(trigger, made);
        this.schedule(trigger, made, Date.now());
        return { ok: true, result: { status: 'success' } };
      }
      case 'DELETE':
        if (!this.delete(trigger)) return { ok: false, error: `trigger ${trigger} has no alarm` };
        return { ok: true, result: { status: 'success' } };
      case 'READ': {
        const alarm = this.alarms.get(trigger);
        if (!alarm) return { ok: false, error: `trigger ${trigger} has no alarm` };
        const { authKey: _authKey, lifecycleEvent: _event, ...config } = alarm.params;
        return { ok: true, result: { config: { ...config, feed: alarm.feed, fired: alarm.fired } } };
      }
      default:
        return {
          ok: false,
          error: `lifecycleEvent must be CREATE, READ, UPDATE or DELETE, got ${String(event)}`,
        };
    }
  }

  /** Whether a trigger has an alarm. */
  has(trigger: string): boolean {
    return this.alarms.has(trigger);
  }

  /** Stops a trigger's alarm; false if it had none. */
  delete(trigger: string): boolean {
    const alarm = this.alarms.get(trigger);
    if (!alarm) return false;
    clearTimeout(alarm.timer);
    this.alarms.delete(trigger);
    return true;
  }

  close(): void {
    for (const trigger of [...this.alarms.keys()]) this.delete(trigger);
  }

  private schedule(trigger: string, alarm: Alarm, afterMs: number): void {
    const at = alarm.next(afterMs);
    if (at === undefined || at > alarm.stopAtMs || alarm.fired >= alarm.maxTriggers) {
      this.alarms.delete(trigger);
      return;
    }
    const wait = () => {
      const left = at - Date.now();
      if (left > MAX_TIMER_MS) {
        alarm.timer = setTimeout(wait, MAX_TIMER_MS).unref();
        return;
      }
      alarm.timer = setTimeout(
        () => {
          if (this.alarms.get(trigger) !== alarm) return;
          alarm.fired++;
          const payload = alarm.params.trigger_payload;
          this.fire(trigger, isDict(payload) ? payload : {});
          this.schedule(trigger, alarm, at);
        },
        Math.max(0, left),
      ).unref();
    };
    wait();
  }
}

function isDict(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An alarm from the feed's parameters, or what is wrong with them. */
function makeAlarm(feed: AlarmFeed, params: Record<string, unknown>): Alarm | string {
  const stopDate = params.stopDate;
  const stopAtMs = stopDate === undefined ? Number.POSITIVE_INFINITY : Date.parse(String(stopDate));
  if (Number.isNaN(stopAtMs)) return `stopDate '${String(stopDate)}' is not a date`;
  const max = params.maxTriggers;
  const maxTriggers = max === undefined || max === -1 ? Number.POSITIVE_INFINITY : Number(max);
  if (!(maxTriggers > 0)) return `maxTriggers must be a positive integer or -1, got ${String(max)}`;
  const base = { feed, params: { ...params }, fired: 0, maxTriggers, stopAtMs };
  switch (feed) {
    case 'alarm': {
      if (typeof params.cron !== 'string') return 'alarm: the cron parameter is required';
      const cron = parseCron(params.cron);
      if (typeof cron === 'string') return `alarm: cron '${params.cron}': ${cron}`;
      return { ...base, next: (after) => nextCron(cron, after) };
    }
    case 'interval': {
      const minutes = params.minutes;
      if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1) {
        return 'interval: minutes must be a positive integer';
      }
      return { ...base, next: (after) => after + minutes * 60_000 };
    }
    case 'once': {
      const at = Date.parse(String(params.date));
      if (Number.isNaN(at)) return `once: date '${String(params.date)}' is not a date`;
      return { ...base, next: (after) => (at > after ? at : undefined) };
    }
  }
}

/** Allowed values per field: second, minute, hour, day of month, month, day of week. */
export interface Cron {
  second: Set<number>;
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
  /** Both day fields restricted: a day matches either (cron's rule). */
  eitherDay: boolean;
}

const FIELDS: [keyof Omit<Cron, 'eitherDay'>, number, number][] = [
  ['second', 0, 59],
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['dayOfMonth', 1, 31],
  ['month', 1, 12],
  ['dayOfWeek', 0, 7],
];

/** Parses a 5- or 6-field cron expression; a string says what is wrong. */
export function parseCron(text: string): Cron | string {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) return `expected 5 or 6 fields, got ${parts.length}`;
  const fields = parts.length === 5 ? ['0', ...parts] : parts;
  const sets: Partial<Cron> = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const [key, min, max] = FIELDS[i]!;
    const set = parseField(fields[i]!, min, max);
    if (typeof set === 'string') return `${key}: ${set}`;
    sets[key] = set;
  }
  const dow = sets.dayOfWeek!;
  if (dow.has(7)) dow.add(0);
  return {
    ...(sets as Omit<Cron, 'eitherDay'>),
    eitherDay: fields[3] !== '*' && fields[5] !== '*',
  };
}

function parseField(text: string, min: number, max: number): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `'${item}' is not a number, range, * or step`;
    const from = m[1] === '*' ? min : Number(m[2]);
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from < min || to > max || from > to || step < 1) return `'${item}' is outside ${min}-${max}`;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

/** The first second strictly after `afterMs` that the cron matches (UTC), within 5 years. */
export function nextCron(cron: Cron, afterMs: number): number | undefined {
  const start = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  // Minute by minute; inside a matching minute, the first matching second.
  const minute = new Date(start);
  minute.setUTCSeconds(0);
  const limit = afterMs + 5 * 366 * 86_400_000;
  for (let t = minute.getTime(); t < limit; t += 60_000) {
    const d = new Date(t);
    if (!cron.month.has(d.getUTCMonth() + 1) || !cron.hour.has(d.getUTCHours())) continue;
    if (!cron.minute.has(d.getUTCMinutes())) continue;
    const dom = cron.dayOfMonth.has(d.getUTCDate());
    const dow = cron.dayOfWeek.has(d.getUTCDay());
    if (!(cron.eitherDay ? dom || dow : dom && dow)) continue;
    for (let s = 0; s < 60; s++) {
      const at = t + s * 1000;
      if (at >= start.getTime() && cron.second.has(s)) return at;
    }
  }
  return undefined;
}
