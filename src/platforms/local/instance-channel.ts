/**
 * The local platform announces each instance it starts and each one that exits on a
 * BroadcastChannel, so that a monitor in any thread of this process (the platform itself runs in
 * a worker thread during a replay) can sample instance processes by pid without polling the
 * platform. Announcing costs one structured-clone message; with no listener it is dropped.
 * Instances started before a listener subscribed are not announced again.
 */
import { BroadcastChannel } from 'node:worker_threads';

export const INSTANCE_CHANNEL = 'faasload:local-instances';

export type InstanceAnnouncement =
  | { t: 'start'; id: string; functionName: string; pid: number | undefined; containerId?: string }
  | { t: 'exit'; id: string };

let channel: BroadcastChannel | undefined;

export function announceInstance(message: InstanceAnnouncement): void {
  if (!channel) {
    channel = new BroadcastChannel(INSTANCE_CHANNEL);
    channel.unref();
  }
  channel.postMessage(message);
}
