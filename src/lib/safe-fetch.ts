/**
 * Server-side requests to user-supplied URLs without turning the server into a way into the
 * private network (SSRF): `fetchImage` (lesson thumbnailUrl, course featured image, section
 * posterImageUrl) and `safeRequest` (webhook deliveries: any method, no redirects followed, the
 * answer capped). Both go through the same connector.
 *
 * Every hop (the first URL and each redirect) is checked from scratch:
 *   1. the WHATWG URL parser decides scheme, credentials and host — it already normalises IPv4
 *      literals such as `0x7f000001`, `2130706433`, `0177.0.0.1` or `127.1` to `127.0.0.1`;
 *   2. a host name is resolved once (the injectable `resolve`) and EVERY address must pass
 *      `allowAddress` (default `isPublicAddress`), otherwise the URL is refused without connecting;
 *   3. the connection goes to the checked IP (the injectable `connect` gets the IP, never the
 *      name, so nothing resolves again — no DNS rebinding), and the HTTP request is written over
 *      that socket with the original `Host` header; for https the socket must be a TLS socket
 *      whose certificate was verified against the original host name (SNI = host name).
 * The body is capped while streaming, the whole fetch has one deadline, and the bytes must be a
 * JPEG, PNG, GIF or WebP according to their signature (file-type), whatever the server claims.
 *
 * fetchImage's errors are `AppError('validation_error', …, [{ path, message, code }])` with codes
 * invalid_url, url_not_allowed, fetch_failed, too_many_redirects, too_large, not_an_image and
 * timeout. Messages never contain a resolved address or a low-level error text.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from './errors.js';

/** Like `dns.promises.lookup(hostname, { all: true })`. */
export type Resolver = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

/**
 * Opens the connection to an already-checked IP: plain TCP, or TLS when `tls` is true (https),
 * with `servername` (the original host name, absent for IP-literal hosts) used for SNI and for the
 * certificate check.
 */
export type Connector = (options: {
  host: string;
  port: number;
  servername?: string;
  tls: boolean;
}) => net.Socket | tls.TLSSocket;

export type SafeFetchOptions = {
  /** Default: `dns.promises.lookup` with `all: true`. */
  resolve?: Resolver;
  /** Default: `net.connect` / `tls.connect` (rejectUnauthorized, servername = host name). */
  connect?: Connector;
  /** Default 10 MiB. */
  maxBytes?: number;
  /** Deadline for the whole fetch (all hops, resolution, body), default 10 000 ms. */
  timeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
  /** Default `isPublicAddress`. Only IP literals are ever connected to, whatever this says. */
  allowAddress?: (address: string) => boolean;
  /**
   * The operator's exceptions (OUTBOUND_ALLOW_HOSTS): host names, addresses or CIDRs that may be
   * reached although they are not public — a listed name with whatever it resolves to.
   */
  allowHosts?: string[];
};

/** OUTBOUND_ALLOW_HOSTS parsed once: names (lower case, no trailing dot) and networks. */
export function outboundAllowList(entries: string[]): { names: Set<string>; networks: net.BlockList } {
  const names = new Set<string>();
  const networks = new net.BlockList();
  for (const raw of entries) {
    const entry = raw.trim().replace(/^\[(.*)\]$/, '$1');
    const [address, bits] = entry.split('/');
    const family = net.isIP(address ?? '');
    if (family !== 0 && address) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) networks.addAddress(address, type);
      else networks.addSubnet(address, Number(bits), type);
    } else if (entry) {
      names.add(entry.toLowerCase().replace(/\.$/, ''));
    }
  }
  return { names, networks };
}

export type FetchedImage = {
  bytes: Buffer;
  mimeType: 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';
  ext: string;
  finalUrl: string;
};

// ---------------------------------------------------------------------------------------------
// Address classification
// ---------------------------------------------------------------------------------------------

/** IPv4 ranges that are not globally routable unicast (IANA special-purpose registry and more). */
const V4_NOT_PUBLIC: [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT shared address space
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata 169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments (DS-Lite, NAT64 discovery, …)
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. 255.255.255.255 broadcast
];

/**
 * IPv6 ranges refused inside 2000::/3 (global unicast); everything outside 2000::/3 is refused
 * anyway (::, ::1, ::/96 IPv4-compatible, fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64, …),
 * except the IPv4-embedding prefixes handled by `embeddedIPv4`.
 */
const V6_NOT_PUBLIC: [string, number][] = [
  ['2001::', 23], // IETF protocol assignments, incl. Teredo 2001::/32 and ORCHID
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
];

const v4Blocked = new net.BlockList();
for (const [prefix, bits] of V4_NOT_PUBLIC) v4Blocked.addSubnet(prefix, bits, 'ipv4');
const v6Blocked = new net.BlockList();
for (const [prefix, bits] of V6_NOT_PUBLIC) v6Blocked.addSubnet(prefix, bits, 'ipv6');
const v6GlobalUnicast = new net.BlockList();
v6GlobalUnicast.addSubnet('2000::', 3, 'ipv6');

/** The 16 bytes of an IPv6 address already accepted by `net.isIP` (no zone id). */
function ipv6Bytes(address: string): number[] | null {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded dotted quad (e.g. ::ffff:127.0.0.1): becomes the last two groups.
    if (net.isIP(last) !== 4) return null;
    tail.push(...last.split('.').map(Number));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const rest = halves.length === 2 ? groupsOf(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : null;
}

const startsWith = (bytes: number[], prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

/**
 * The IPv4 address an IPv6 address stands for, for the prefixes whose traffic ends up at that
 * IPv4 address: IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16.
 */
function embeddedIPv4(bytes: number[]): string | undefined {
  const ZERO10 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  if (startsWith(bytes, [...ZERO10, 0xff, 0xff])) return bytes.slice(12, 16).join('.');
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return bytes.slice(12, 16).join('.');
  if (startsWith(bytes, [0x20, 0x02])) return bytes.slice(2, 6).join('.');
  return undefined;
}

function formatIPv6(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** True only for globally routable unicast addresses (IPv4 or IPv6 literal, no zone id). */
export function isPublicAddress(address: string): boolean {
  if (typeof address !== 'string') return false;
  const family = net.isIP(address);
  if (family === 4) return !v4Blocked.check(address, 'ipv4');
  if (family !== 6 || address.includes('%')) return false;
  const bytes = ipv6Bytes(address);
  if (!bytes) return false;
  const v4 = embeddedIPv4(bytes);
  if (v4 !== undefined) return !v4Blocked.check(v4, 'ipv4');
  const canonical = formatIPv6(bytes);
  return v6GlobalUnicast.check(canonical, 'ipv6') && !v6Blocked.check(canonical, 'ipv6');
}

// ---------------------------------------------------------------------------------------------
// The connector: resolve, check, pin, send (shared by fetchImage and safeRequest)
// ---------------------------------------------------------------------------------------------

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const defaultResolve: Resolver = async (hostname) => {
  const records = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return records.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

const defaultConnect: Connector = ({ host, port, servername, tls: useTls }) =>
  useTls
    ? tls.connect({ host, port, servername, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] })
    : net.connect({ host, port });

/** A connection-phase failure: the next checked address may be tried. */
class ConnectFailure extends Error {}

/** The host without IPv6 brackets. */
const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Names that always mean this machine (RFC 6761), refused before asking any resolver. */
const isLocalhostName = (name: string) => {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return lower === 'localhost' || lower.endsWith('.localhost');
};

/** The wording of a caller's errors (image fetching speaks of "the image"; webhooks do not). */
type Texts = {
  notAllowed(redirected: boolean): string;
  unresolvable: string;
  unreachable: string;
  failed: string;
  tlsRejected: string;
};

/** One outbound operation: its options, its deadline and how it reports failures. */
type Guard = {
  resolve: Resolver;
  connect: Connector;
  allowAddress: (address: string) => boolean;
  exceptions: ReturnType<typeof outboundAllowList>;
  signal: AbortSignal;
  fail: (code: string, message: string) => Error;
  timeoutError: () => Error;
  texts: Texts;
};

type OutgoingRequest = { method: string; headers: Record<string, string>; body?: Buffer | undefined };

/** Options, deadline and failure reporting of one outbound operation; `clear` ends the deadline timer. */
function openGuard(
  options: SafeFetchOptions,
  timeoutMs: number,
  fail: Guard['fail'],
  timeoutError: () => Error,
  texts: Texts,
): Guard & {
  beforeDeadline: <T>(work: Promise<T>) => Promise<T>;
  clear(): void;
} {
  const exceptions = outboundAllowList(options.allowHosts ?? []);
  const isAllowed = options.allowAddress ?? isPublicAddress;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  /** Settles with `work`, or rejects with the timeout error once the deadline passes. */
  const beforeDeadline = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolveP, rejectP) => {
      const onAbort = () => rejectP(timeoutError());
      if (deadline.signal.aborted) return onAbort();
      deadline.signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          deadline.signal.removeEventListener('abort', onAbort);
          resolveP(value);
        },
        (error: unknown) => {
          deadline.signal.removeEventListener('abort', onAbort);
          rejectP(error);
        },
      );
    });
  return {
    resolve: options.resolve ?? defaultResolve,
    connect: options.connect ?? defaultConnect,
    allowAddress: (address: string) =>
      isAllowed(address) || exceptions.networks.check(address, net.isIP(address) === 6 ? 'ipv6' : 'ipv4'),
    exceptions,
    signal: deadline.signal,
    fail,
    timeoutError,
    texts,
    beforeDeadline,
    clear: () => clearTimeout(timer),
  };
}

/** Resolves the hop's host and checks every address; refuses before any connection. */
async function checkedAddresses(guard: Guard, target: URL, redirected: boolean): Promise<string[]> {
  const notAllowed = () => guard.fail('url_not_allowed', guard.texts.notAllowed(redirected));
  const host = bareHost(target);
  if (net.isIP(host) !== 0) {
    if (!guard.allowAddress(host)) throw notAllowed();
    return [host];
  }
  // A name the operator listed may resolve anywhere (e.g. localhost for tests).
  const listed = guard.exceptions.names.has(host.toLowerCase().replace(/\.$/, ''));
  if (isLocalhostName(host) && !listed) throw notAllowed();
  let records: unknown;
  try {
    records = await guard.resolve(host);
  } catch {
    throw guard.fail('fetch_failed', guard.texts.unresolvable);
  }
  if (!Array.isArray(records) || records.length === 0) throw guard.fail('fetch_failed', guard.texts.unresolvable);
  const addresses: string[] = [];
  for (const record of records as unknown[]) {
    const address = (record as { address?: unknown } | null)?.address;
    // Only IP literals are ever handed to the connector, so nothing resolves the name again.
    if (typeof address !== 'string' || net.isIP(address) === 0) throw notAllowed();
    if (!listed && !guard.allowAddress(address)) throw notAllowed();
    addresses.push(address);
  }
  return addresses;
}

/** Sends the request to the checked addresses in turn, moving on only when a connection fails. */
async function sendToFirstReachable(
  guard: Guard,
  target: URL,
  addresses: string[],
  request: OutgoingRequest,
): Promise<{ res: http.IncomingMessage; socket: net.Socket }> {
  for (const address of addresses) {
    if (guard.signal.aborted) throw guard.timeoutError();
    try {
      return await requestVia(guard, target, address, request);
    } catch (error) {
      if (!(error instanceof ConnectFailure)) throw error;
    }
  }
  throw guard.fail('fetch_failed', guard.texts.unreachable);
}

function requestVia(
  guard: Guard,
  target: URL,
  address: string,
  outgoing: OutgoingRequest,
): Promise<{ res: http.IncomingMessage; socket: net.Socket }> {
  const useTls = target.protocol === 'https:';
  const host = bareHost(target);
  const port = target.port ? Number(target.port) : useTls ? 443 : 80;
  const servername = useTls && net.isIP(host) === 0 ? host.replace(/\.$/, '') : undefined;

  let socket: net.Socket;
  try {
    socket = guard.connect({ host: address, port, ...(servername !== undefined ? { servername } : {}), tls: useTls });
  } catch {
    return Promise.reject(new ConnectFailure());
  }
  if (!(socket instanceof net.Socket) || (useTls && !(socket instanceof tls.TLSSocket))) {
    (socket as net.Socket | undefined)?.destroy?.();
    return Promise.reject(guard.fail('fetch_failed', guard.texts.failed));
  }
  const connectedSocket = socket;
  const onDeadline = () => connectedSocket.destroy();
  guard.signal.addEventListener('abort', onDeadline, { once: true });
  connectedSocket.once('close', () => guard.signal.removeEventListener('abort', onDeadline));
  // A failure before the TCP connection is up lets the caller try the next checked address.
  let connected = !connectedSocket.pending;
  connectedSocket.once('connect', () => (connected = true));

  return new Promise((resolveP, rejectP) => {
    const request = (useTls ? https.request : http.request)({
      method: outgoing.method,
      host: address,
      port,
      path: `${target.pathname}${target.search}`,
      headers: {
        host: target.host,
        ...outgoing.headers,
        ...(outgoing.body ? { 'content-length': String(outgoing.body.length) } : {}),
      },
      createConnection: () => connectedSocket,
    });
    request.once('response', (res) => {
      if (useTls && !(connectedSocket as tls.TLSSocket).authorized) {
        res.destroy();
        connectedSocket.destroy();
        rejectP(guard.fail('fetch_failed', guard.texts.tlsRejected));
        return;
      }
      resolveP({ res, socket: connectedSocket });
    });
    request.once('error', () => {
      connectedSocket.destroy();
      if (guard.signal.aborted) rejectP(guard.timeoutError());
      else if (!connected) rejectP(new ConnectFailure());
      else rejectP(guard.fail('fetch_failed', guard.texts.failed));
    });
    request.end(outgoing.body);
  });
}

/**
 * The body. Past `maxBytes`: `onOverflow` decides — throw (images: too large), or return what was
 * read (webhook answers: the rest is discarded).
 */
function readBody(
  res: http.IncomingMessage,
  maxBytes: number,
  overflow: (() => Error) | 'truncate',
  interrupted: () => Error,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolveP, rejectP) => {
    const chunks: Buffer[] = [];
    let total = 0;
    res.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        if (overflow === 'truncate') {
          chunks.push(chunk.subarray(0, chunk.length - (total - maxBytes)));
          resolveP({ bytes: Buffer.concat(chunks), truncated: true });
        } else {
          rejectP(overflow());
        }
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.once('end', () => resolveP({ bytes: Buffer.concat(chunks), truncated: false }));
    res.once('error', () => rejectP(interrupted()));
    res.once('close', () => {
      if (!res.complete) rejectP(interrupted());
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

const ACCEPTED_TYPES: Record<string, { mimeType: FetchedImage['mimeType']; ext: string }> = {
  'image/jpeg': { mimeType: 'image/jpeg', ext: 'jpg' },
  'image/png': { mimeType: 'image/png', ext: 'png' },
  // An animated PNG is a PNG (its first frame is the still image).
  'image/apng': { mimeType: 'image/png', ext: 'png' },
  'image/gif': { mimeType: 'image/gif', ext: 'gif' },
  'image/webp': { mimeType: 'image/webp', ext: 'webp' },
};

const IMAGE_TEXTS: Texts = {
  notAllowed: (redirected) =>
    redirected ? 'The image URL redirects to an address that is not allowed.' : 'The address is not allowed.',
  unresolvable: 'The image could not be fetched: the host name could not be resolved.',
  unreachable: 'The image could not be fetched: the server could not be reached.',
  failed: 'The image could not be fetched.',
  tlsRejected: 'The image could not be fetched: the TLS certificate was not accepted.',
};

const IMAGE_REQUEST: OutgoingRequest = {
  method: 'GET',
  headers: {
    'user-agent': 'Syllabus-ImageFetcher/1.0',
    accept: 'image/jpeg, image/png, image/gif, image/webp;q=0.9, */*;q=0.1',
    'accept-encoding': 'identity',
  },
};

const failAt = (path: string) => (code: string, message: string) =>
  new AppError('validation_error', message, [{ path, message, code }]);

/** The HTTP status behind a fetchImage failure that was the server's answer. */
const ANSWERED = new WeakMap<Error, number>();
const answered = (err: Error, status: number) => {
  ANSWERED.set(err, status);
  return err;
};

/**
 * Whether a failed fetchImage may succeed when tried again later: network trouble, timeouts, and
 * answers 408, 429 and 5xx are; an address or URL that is not allowed, a 4xx, a redirect problem,
 * a file too large or not an image are definitive.
 */
export function isTransientImageFailure(err: unknown): boolean {
  if (!(err instanceof AppError)) return true;
  const code = err.details?.[0]?.code;
  if (code === 'timeout') return true;
  if (code !== 'fetch_failed') return false;
  const status = ANSWERED.get(err);
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

/** Thrown for a hop's URL; `redirected` only changes the wording. */
function checkUrl(raw: string, path: string, redirected: boolean): URL {
  const fail = failAt(path);
  const what = redirected ? 'The image URL redirects to a URL that' : 'The URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw redirected
      ? answered(fail('fetch_failed', 'The image URL redirects to an invalid URL.'), 300)
      : fail('invalid_url', 'Must be a valid absolute http or https URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail('url_not_allowed', `${what} is not allowed: only http and https URLs can be fetched.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw fail('url_not_allowed', `${what} is not allowed: URLs with credentials cannot be fetched.`);
  }
  return url;
}

export async function fetchImage(url: string, path: string, options: SafeFetchOptions = {}): Promise<FetchedImage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const fail = failAt(path);
  const timeoutError = () => fail('timeout', `The image could not be fetched within ${timeoutMs} ms.`);
  const guard = openGuard(options, timeoutMs, fail, timeoutError, IMAGE_TEXTS);
  const tooLarge = () => fail('too_large', `The image is larger than ${maxBytes} bytes.`);
  const interrupted = () => fail('fetch_failed', 'The image could not be fetched: the download was interrupted.');

  try {
    let current = checkUrl(url, path, false);
    for (let redirects = 0; ; redirects++) {
      const addresses = await guard.beforeDeadline(checkedAddresses(guard, current, redirects > 0));
      const { res, socket } = await guard.beforeDeadline(
        sendToFirstReachable(guard, current, addresses, IMAGE_REQUEST),
      );
      try {
        const status = res.statusCode ?? 0;
        if (REDIRECT_STATUSES.has(status)) {
          const location = res.headers.location;
          if (!location)
            throw answered(
              fail('fetch_failed', `The image could not be fetched: HTTP ${status} without a Location.`),
              status,
            );
          if (redirects >= maxRedirects) {
            throw fail('too_many_redirects', `The image URL redirects more than ${maxRedirects} times.`);
          }
          let next: string;
          try {
            next = new URL(location, current).href;
          } catch {
            throw answered(fail('fetch_failed', 'The image URL redirects to an invalid URL.'), status);
          }
          current = checkUrl(next, path, true);
          continue;
        }
        if (status < 200 || status > 299) {
          throw answered(
            fail('fetch_failed', `The image could not be fetched: the server answered HTTP ${status}.`),
            status,
          );
        }
        const declared = res.headers['content-length'];
        if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge();
        const { bytes } = await guard.beforeDeadline(readBody(res, maxBytes, tooLarge, interrupted));
        const type = await fileTypeFromBuffer(bytes);
        const accepted = type ? ACCEPTED_TYPES[type.mime] : undefined;
        if (!accepted) throw fail('not_an_image', 'The URL does not point to a JPEG, PNG, GIF or WebP image.');
        return { bytes, mimeType: accepted.mimeType, ext: accepted.ext, finalUrl: current.href };
      } finally {
        res.destroy();
        socket.destroy();
      }
    }
  } finally {
    guard.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Any request (webhook deliveries)
// ---------------------------------------------------------------------------------------------

/** Why an outbound request did not get an answer; `code` as in fetchImage's error details. */
export class OutboundError extends Error {
  constructor(
    readonly code: 'invalid_url' | 'url_not_allowed' | 'fetch_failed' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

export type OutboundRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Deadline for the whole request (resolution, connection, answer, body); default 10 000 ms. */
  timeoutMs?: number;
  /** Bytes of the answer kept; the rest is discarded unread. Default 64 KiB. */
  maxResponseBytes?: number;
};

export type OutboundResponse = {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The answer was longer than maxResponseBytes. */
  truncated: boolean;
};

const REQUEST_TEXTS: Texts = {
  notAllowed: () => 'The address is not allowed.',
  unresolvable: 'The host name could not be resolved.',
  unreachable: 'The server could not be reached.',
  failed: 'The request failed.',
  tlsRejected: 'The TLS certificate was not accepted.',
};

/**
 * One HTTP request through the same guard as fetchImage (resolve once, check every address, pin
 * the connection to a checked IP, verify TLS against the host name). Redirects are not followed:
 * a 3xx is returned like any other answer. Any status is an answer; only a request that got none
 * throws an OutboundError.
 */
export async function safeRequest(request: OutboundRequest, options: SafeFetchOptions = {}): Promise<OutboundResponse> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = request.maxResponseBytes ?? 64 * 1024;
  const fail = (code: string, message: string) => new OutboundError(code as OutboundError['code'], message);
  const timeoutError = () => new OutboundError('timeout', `No answer within ${timeoutMs} ms.`);
  const guard = openGuard(options, timeoutMs, fail, timeoutError, REQUEST_TEXTS);

  let target: URL;
  try {
    target = new URL(request.url);
  } catch {
    throw new OutboundError('invalid_url', 'Not a valid absolute URL.');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new OutboundError('url_not_allowed', 'Only http and https URLs can be requested.');
  if (target.username !== '' || target.password !== '')
    throw new OutboundError('url_not_allowed', 'URLs with credentials cannot be requested.');

  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  try {
    const addresses = await guard.beforeDeadline(checkedAddresses(guard, target, false));
    const { res, socket } = await guard.beforeDeadline(
      sendToFirstReachable(guard, target, addresses, { method: request.method, headers: request.headers ?? {}, body }),
    );
    try {
      const interrupted = () => new OutboundError('fetch_failed', 'The answer was interrupted.');
      const read = await guard.beforeDeadline(readBody(res, maxBytes, 'truncate', interrupted));
      return { status: res.statusCode ?? 0, headers: res.headers, body: read.bytes, truncated: read.truncated };
    } finally {
      res.destroy();
      socket.destroy();
    }
  } finally {
    guard.clear();
  }
}
