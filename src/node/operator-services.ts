// What a node offers operators coming from fail2ban and CrowdSec, beside its own detection:
// threat-intel feeds into the ban registry, CrowdSec's bouncer API over that registry, and
// webhook notifications of the desk's decisions and alerts. Put together here so the node only
// starts and stops one thing.

import type { BanRegistry } from '../respond/ban-registry.ts';
import type { Config } from '../config/schema.ts';
import { BouncerKeys } from '../bouncer/bouncer-keys.ts';
import { DecisionStream } from '../bouncer/decision-stream.ts';
import { feedSpecs } from '../feeds/feed-config.ts';
import type { FeedGuard } from '../feeds/feed-import.ts';
import { FeedRunner } from '../feeds/feed-runner.ts';
import { webhookSpecs } from '../notify/notify-config.ts';
import { Notifier, type NotifierSource } from '../notify/notifier.ts';

export interface OperatorServices {
  feeds: FeedRunner;
  lapi: { keys: BouncerKeys; stream: DecisionStream; enabled: boolean };
  notifier: Notifier;
  stop(): Promise<void>;
}

export async function startOperatorServices(o: { config: Config; registry: BanRegistry; guard: FeedGuard; desk: NotifierSource; stateDir: string; notice: (line: string) => void; leads?: () => boolean }): Promise<OperatorServices> {
  const { config } = o;
  const notifier = new Notifier(webhookSpecs(config.notify.webhooks), config.node.id, config.notify.queue);
  notifier.attach(o.desk);
  const keys = new BouncerKeys(o.stateDir);
  const stream = new DecisionStream(o.registry, o.guard);
  // Off: no journal kept (the keys can still be managed).
  if (config.lapi.enabled) await stream.start();
  const feeds = new FeedRunner({ feeds: feedSpecs(config.feeds), registry: o.registry, guard: o.guard, stateDir: o.stateDir, notice: o.notice, ...(o.leads ? { leads: o.leads } : {}) });
  await feeds.start();
  return {
    feeds,
    lapi: { keys, stream, enabled: config.lapi.enabled },
    notifier,
    async stop() {
      await feeds.stop();
      stream.close();
      keys.flush();
      notifier.stop();
    },
  };
}
