/**
 * The local platform announces each instance it starts and each one that exits on a
 * BroadcastChannel, so that a monitor in any thread of this process (the platform itself runs in
 * a worker thread during a replay) can sample instance processes by pid without polling the
 * platform. Announcing costs one structured-clone message; with no listener it is dropped.
 * Instances started before a listener subscribed are not announced again.
 */
import { BroadcastChannel } from 'node:worker_threads';

export const INSTANCE_CHANNEL = 'faasload:local-instances';

/**
 * What happened to an instance, for the instance_events table: started (ready and /init-ed),
 * evicted_for_room (idle, least recently used, removed for a cold start), keep_alive_expired,
 * crashed (ended on its own: an OOM kill, an exit), discarded (removed after a failure, a
 * timeout, an abort or a redeploy), teardown.
 */
export type LifecycleEvent =
  | 'started'
  | 'evicted_for_room'
  | 'keep_alive_expired'
  | 'crashed'
  | 'discarded'
  | 'teardown';

export type InstanceAnnouncement =
  | { t: 'start'; id: string; functionName: string; pid: number | undefined; containerId?: string }
  | { t: 'exit'; id: string };

/** On LIFECYCLE_CHANNEL: one instance lifecycle event. */
export interface LifecycleAnnouncement {
  /** Epoch microseconds. */
  atUs: number;
  id: string;
  functionName: string;
  event: LifecycleEvent;
  reason: string;
  memoryLimitMb: number;
}

export const LIFECYCLE_CHANNEL = 'faasload:local-lifecycle';

let channel: BroadcastChannel | undefined;
let lifecycle: BroadcastChannel | undefined;

export function announceLifecycle(message: LifecycleAnnouncement): void {
  if (!lifecycle) {
    lifecycle = new BroadcastChannel(LIFECYCLE_CHANNEL);
    lifecycle.unref();
  }
  lifecycle.postMessage(message);
}

export function announceInstance(message: InstanceAnnouncement): void {
  if (!channel) {
    channel = new BroadcastChannel(INSTANCE_CHANNEL);
    channel.unref();
  }
  channel.postMessage(message);
}
