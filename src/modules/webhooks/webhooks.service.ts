import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Db, DbOrTx } from '../../db/client.js';
import { enqueue, TASKS } from '../../jobs/queue.js';
import { AppError, notFound, validationError } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { isId, newId } from '../../lib/ids.js';
import { isPublicAddress, outboundAllowList, type SafeFetchOptions } from '../../lib/safe-fetch.js';
import type { EventService } from '../events/events.service.js';
import { attempt, DEFAULT_POLICY, type DeliveryPolicy, nextAttemptAt } from './delivery.js';
import type { SecretBox } from './secret-box.js';
import * as repo from './webhooks.repo.js';
import type {
  CreateWebhook,
  Delivery,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  UpdateWebhook,
  Webhook,
} from './webhooks.schemas.js';

/** How long the previous secret still signs deliveries after a rotation. */
const ROTATION_OVERLAP_MS = 24 * 3600_000;
/** A lease outlives the attempt's timeout by this much before another worker may retry it. */
const LEASE_MARGIN_MS = 30_000;

type Deps = {
  db: Db;
  events: EventService;
  secrets: SecretBox;
  /** The SSRF-safe connector's options (OUTBOUND_ALLOW_HOSTS; tests pin resolve/connect). */
  connector: SafeFetchOptions;
  policy?: Partial<DeliveryPolicy> | undefined;
  now?: (() => Date) | undefined;
  random?: (() => number) | undefined;
};

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

const cursorOf = (id: string) => Buffer.from(id).toString('base64url');
function idFromCursor(cursor: string | undefined, kind: 'webhook' | 'webhookDelivery'): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (isId(kind, id)) return id;
  throw new AppError('invalid_cursor', 'The cursor is not one this list issued; start again without it.', [
    { path: 'cursor', message: 'Invalid cursor.' },
  ]);
}

const page = <T extends { id: string }>(rows: T[], limit: number) => {
  const items = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return {
    items,
    pagination: {
      page: null,
      limit,
      total: null,
      totalPages: null,
      hasMore,
      nextCursor: hasMore ? cursorOf(items.at(-1)!.id) : null,
    },
  };
};

/** Webhook endpoints, their deliveries, and the two jobs that deliver (API.md §2 Webhooks and events). */
export function createWebhookService({ db, events, secrets, connector, ...deps }: Deps) {
  const policy: DeliveryPolicy = { ...DEFAULT_POLICY, ...deps.policy };
  const clock = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const allowed = outboundAllowList(connector.allowHosts ?? []);

  /** https anywhere public; http, private addresses and localhost only where the operator allows. */
  function checkUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw validationError('url', 'Must be a valid absolute https URL.', 'invalid_url');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw validationError('url', 'Must be an https URL.', 'invalid_url');
    if (url.username !== '' || url.password !== '')
      throw validationError('url', 'URLs with credentials are not allowed.', 'url_not_allowed');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const family = net.isIP(host);
    const listed =
      allowed.names.has(host.replace(/\.$/, '')) ||
      (family !== 0 && allowed.networks.check(host, family === 6 ? 'ipv6' : 'ipv4'));
    if (url.protocol === 'http:' && !listed)
      throw validationError(
        'url',
        'Must be an https URL (http only to hosts the operator allows in OUTBOUND_ALLOW_HOSTS).',
        'https_required',
      );
    const local = host === 'localhost' || host.endsWith('.localhost') || (family !== 0 && !isPublicAddress(host));
    if (local && !listed)
      throw validationError('url', 'Private, loopback and link-local addresses are not allowed.', 'url_not_allowed');
    return url.href;
  }

  function present(row: repo.WebhookRow): Webhook {
    const overlap = row.previousSecretExpiresAt && row.previousSecretExpiresAt > clock();
    return {
      object: 'webhook',
      id: row.id,
      url: row.url,
      events: row.events as Webhook['events'],
      description: row.description,
      enabled: row.enabled,
      previousSecretExpiresAt: overlap ? row.previousSecretExpiresAt!.toISOString() : null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  function presentDelivery(row: repo.DeliveryRow): Delivery {
    return {
      object: 'webhook_delivery',
      id: row.id,
      webhookId: row.webhookId,
      eventId: row.eventId,
      eventType: row.eventType,
      status: row.status,
      attempts: row.attempts,
      lastResponseStatus: row.lastResponseStatus,
      lastError: row.lastError,
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      nextAttemptAt: row.status === 'pending' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
      createdAt: row.createdAt.toISOString(),
    };
  }

  /** The school's webhook or 404; locked when read inside a transaction. */
  async function findOr404(schoolId: string, id: string, tx?: DbOrTx) {
    const row = isId('webhook', id) ? await repo.findWebhook(tx ?? db, schoolId, id, tx !== undefined) : undefined;
    if (!row) throw notFound('Webhook');
    return row;
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during a rotation. */
  async function signingSecrets(row: repo.WebhookRow, now: Date): Promise<string[]> {
    const live = [await secrets.open(row.secret)];
    if (row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now)
      live.push(await secrets.open(row.previousSecret));
    return live;
  }

  const deliverJob = (schoolId: string, deliveryId: string, delaySeconds = 0) => ({
    task: TASKS.deliver,
    payload: { schoolId, deliveryId },
    delaySeconds,
    // One waiting job per delivery: a manual retry replaces a scheduled one.
    jobKey: deliveryId,
  });

  return {
    async create(schoolId: string, input: CreateWebhook) {
      const url = checkUrl(input.url);
      const secret = newSecret();
      const row = await repo.insertWebhook(db, schoolId, {
        id: newId('webhook'),
        url,
        events: [...new Set(input.events)],
        description: input.description ?? null,
        enabled: input.enabled ?? true,
        secret: await secrets.seal(secret),
      });
      return { data: { ...present(row), secret }, etag: etagOf(row) };
    },

    async list(schoolId: string, query: ListWebhooksQuery) {
      const rows = await repo.listWebhooks(db, schoolId, {
        afterId: idFromCursor(query.cursor, 'webhook'),
        limit: query.limit + 1,
      });
      const { items, pagination } = page(rows, query.limit);
      return { data: items.map(present), pagination };
    },

    async get(schoolId: string, id: string) {
      const row = await findOr404(schoolId, id);
      return { data: present(row), etag: etagOf(row) };
    },

    async update(schoolId: string, id: string, patch: UpdateWebhook, ifMatch?: string) {
      const url = patch.url === undefined ? undefined : checkUrl(patch.url);
      return db.transaction(async (tx) => {
        const current = await findOr404(schoolId, id, tx);
        assertIfMatch(ifMatch, current);
        const row = await repo.updateWebhook(tx, schoolId, id, {
          ...(url !== undefined ? { url } : {}),
          ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          // Re-enabling starts the failure clock afresh.
          ...(patch.enabled === true && !current.enabled ? { failingSince: null } : {}),
        });
        return { data: present(row!), etag: etagOf(row!) };
      });
    },

    async delete(schoolId: string, id: string, ifMatch?: string) {
      await db.transaction(async (tx) => {
        const current = await findOr404(schoolId, id, tx);
        assertIfMatch(ifMatch, current);
        await repo.deleteWebhook(tx, schoolId, id);
      });
    },

    /** A new secret, shown once; the old one keeps signing (alongside) for 24 h. */
    async rotateSecret(schoolId: string, id: string) {
      const secret = newSecret();
      const sealed = await secrets.seal(secret);
      return db.transaction(async (tx) => {
        const current = await findOr404(schoolId, id, tx);
        const row = await repo.updateWebhook(tx, schoolId, id, {
          secret: sealed,
          previousSecret: current.secret,
          previousSecretExpiresAt: new Date(clock().getTime() + ROTATION_OVERLAP_MS),
        });
        return { data: { ...present(row!), secret }, etag: etagOf(row!) };
      });
    },

    /** Records a `webhook.test` event delivered to this endpoint only. */
    async sendTest(schoolId: string, id: string) {
      return db.transaction(async (tx) => {
        const row = await findOr404(schoolId, id, tx);
        if (!row.enabled) throw new AppError('conflict', 'The webhook is disabled; enable it to send a test.');
        return events.record(tx, { schoolId, type: 'webhook.test', object: present(row), webhookId: id });
      });
    },

    async listDeliveries(schoolId: string, webhookId: string, query: ListDeliveriesQuery) {
      await findOr404(schoolId, webhookId);
      const rows = await repo.listDeliveries(db, schoolId, webhookId, {
        beforeId: idFromCursor(query.cursor, 'webhookDelivery'),
        limit: query.limit + 1,
        status: query.status,
      });
      const { items, pagination } = page(rows, query.limit);
      return { data: items.map(presentDelivery), pagination };
    },

    /** Queues one more attempt now, whatever the delivery's state (a running attempt → 409). */
    async retryDelivery(schoolId: string, webhookId: string, deliveryId: string) {
      return db.transaction(async (tx) => {
        const hook = await findOr404(schoolId, webhookId, tx);
        const row = isId('webhookDelivery', deliveryId)
          ? await repo.findDelivery(tx, schoolId, webhookId, deliveryId, true)
          : undefined;
        if (!row) throw notFound('Delivery');
        if (!hook.enabled) throw new AppError('conflict', 'The webhook is disabled; enable it to retry deliveries.');
        const now = clock();
        if (row.leaseUntil && row.leaseUntil > now)
          throw new AppError('conflict', 'An attempt of this delivery is running; retry when it has ended.');
        const updated = await repo.updateDelivery(tx, schoolId, deliveryId, {
          status: 'pending',
          nextAttemptAt: now,
          updatedAt: now,
        });
        await enqueue(tx, deliverJob(schoolId, deliveryId));
        return presentDelivery(updated);
      });
    },

    /** Job: one delivery row (and job) per enabled endpoint of the event's school that wants it. */
    async fanOut(schoolId: string, eventId: string): Promise<number> {
      return db.transaction(async (tx) => {
        const event = await events.lockForFanOut(tx, schoolId, eventId);
        if (!event) return 0;
        const targets = await repo.subscribedWebhooks(tx, schoolId, event.type, event.webhookId);
        const now = clock();
        let created = 0;
        for (const target of targets) {
          const delivery = await repo.insertDelivery(tx, schoolId, {
            id: newId('webhookDelivery'),
            webhookId: target.id,
            eventId,
            eventType: event.type,
            nextAttemptAt: now,
            createdAt: now,
            updatedAt: now,
          });
          if (!delivery) continue;
          await enqueue(tx, deliverJob(schoolId, delivery.id));
          created++;
        }
        await events.markFannedOut(tx, schoolId, eventId);
        return created;
      });
    },

    /**
     * Job: one attempt of one delivery. The lease makes an attempt exclusive even if the queue
     * runs the job twice (a worker crashed mid-attempt and its job was re-queued by the sweep).
     */
    async deliver(schoolId: string, deliveryId: string): Promise<void> {
      const started = clock();
      const claimed = await repo.claimDelivery(
        db,
        schoolId,
        deliveryId,
        started,
        new Date(started.getTime() + policy.timeoutMs + LEASE_MARGIN_MS),
      );
      if (!claimed) return;
      const hook = await repo.findWebhook(db, schoolId, claimed.webhookId);
      if (!hook) return; // deleted: its deliveries went with it
      const event = await events.forDelivery(schoolId, claimed.eventId);
      const stop = hook.enabled ? (event ? null : 'The event is past its retention.') : 'The webhook is disabled.';
      if (stop || !event) {
        await repo.updateDelivery(db, schoolId, deliveryId, {
          status: 'failed',
          lastError: stop,
          leaseUntil: null,
          updatedAt: started,
        });
        return;
      }
      const result = await attempt(
        { url: hook.url, secrets: await signingSecrets(hook, started) },
        { id: event.id, body: JSON.stringify(event) },
        // webhook-timestamp is the wall time receivers compare with theirs, whatever the policy clock.
        new Date(),
        policy,
        connector,
      );
      const ended = clock();
      await db.transaction(async (tx) => {
        const next = result.ok ? null : nextAttemptAt(claimed.attempts, claimed.createdAt, ended, policy, random);
        await repo.updateDelivery(tx, schoolId, deliveryId, {
          status: result.ok ? 'succeeded' : next ? 'pending' : 'failed',
          lastResponseStatus: result.status,
          lastError: result.error,
          nextAttemptAt: next,
          leaseUntil: null,
          updatedAt: ended,
        });
        if (next) await enqueue(tx, deliverJob(schoolId, deliveryId, (next.getTime() - ended.getTime()) / 1000));
        await recordHealth(tx, schoolId, hook.id, result.ok, started);
      });
    },
  };

  /** Any success clears the failure clock; failures only since `disableAfterMs` disable the endpoint. */
  async function recordHealth(tx: DbOrTx, schoolId: string, webhookId: string, ok: boolean, at: Date) {
    const hook = await repo.findWebhook(tx, schoolId, webhookId, true);
    if (!hook) return;
    if (ok) {
      if (hook.failingSince) await repo.updateWebhook(tx, schoolId, webhookId, { failingSince: null }, true);
      return;
    }
    if (!hook.enabled) return;
    if (!hook.failingSince) {
      await repo.updateWebhook(tx, schoolId, webhookId, { failingSince: at }, true);
      return;
    }
    if (at.getTime() - hook.failingSince.getTime() < policy.disableAfterMs) return;
    const disabled = await repo.updateWebhook(tx, schoolId, webhookId, { enabled: false });
    await events.record(tx, { schoolId, type: 'webhook.disabled', object: present(disabled!) });
  }
}
export type WebhookService = ReturnType<typeof createWebhookService>;
