/**
 * PostgreSQL LISTEN/NOTIFY on one dedicated connection, for cache invalidation across instances.
 * A NOTIFY sent inside a transaction is delivered when it commits. While the connection is down,
 * messages may be missed, so every subscriber is told to reset (drop its cache) on each loss and
 * each reconnect, and `live` says whether it may cache at all.
 */
import pg from 'pg';

type Subscriber = { onMessage(payload: string): void; onReset(): void };

export type Notifier = {
  /** True while messages are being received: only then may a subscriber trust its cache. */
  readonly live: boolean;
  subscribe(channel: string, subscriber: Subscriber): void;
  close(): Promise<void>;
};

const RECONNECT_MS = 1000;

export function createNotifier(url: string): Notifier {
  const subscribers = new Map<string, Subscriber[]>();
  let client: pg.Client | undefined;
  let live = false;
  let closed = false;
  let connecting: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;

  const resetAll = () => {
    for (const list of subscribers.values()) for (const s of list) s.onReset();
  };

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = undefined;
    live = false;
    resetAll();
    c.end().catch(() => {});
    if (!closed) retry = setTimeout(() => void connect(), RECONNECT_MS).unref();
  };

  const connect = (): Promise<void> => {
    if (closed || client) return Promise.resolve();
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'syllabus-listen' });
      c.on('notification', (msg) => {
        for (const s of subscribers.get(msg.channel) ?? []) s.onMessage(msg.payload ?? '');
      });
      c.on('error', () => lost(c));
      c.on('end', () => lost(c));
      try {
        await c.connect();
        for (const channel of subscribers.keys()) await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
        if (closed) {
          await c.end();
          return;
        }
        client = c;
        live = true;
        resetAll(); // anything cached before this connection may have missed messages
      } catch {
        c.end().catch(() => {});
        if (!closed) retry = setTimeout(() => void connect(), RECONNECT_MS).unref();
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  return {
    get live() {
      return live;
    },
    subscribe(channel, subscriber) {
      const list = subscribers.get(channel) ?? [];
      list.push(subscriber);
      subscribers.set(channel, list);
      if (client) client.query(`LISTEN ${client.escapeIdentifier(channel)}`).catch(() => lost(client!));
      else void connect();
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await connecting;
      const c = client;
      client = undefined;
      live = false;
      await c?.end().catch(() => {});
    },
  };
}
