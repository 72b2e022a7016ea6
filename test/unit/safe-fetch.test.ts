/**
 * safe-fetch: SSRF-safe image fetching.
 *
 * Nothing here ever leaves the machine. Every fetchImage call gets the injected `resolve` (a fixed
 * table of names → addresses) and the injected `connect`, which is the ONLY way bytes reach a
 * local server: it maps a few public-looking addresses (the ones the guard decided on) to the
 * image servers on 127.0.0.1, passes a direct 127.0.0.1 / ::1 connection through (that would be a
 * guard bug, and the sentinel server would record it), and throws for anything else (recorded as a
 * violation, which fails the test in afterEach).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import {
  type Connector,
  fetchImage,
  isPublicAddress,
  type Resolver,
  type SafeFetchOptions,
} from '../../src/lib/safe-fetch.js';

// ---------------------------------------------------------------------------------------------
// Fixtures: images
// ---------------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
/** A valid 1×1 red RGB PNG. */
const PNG = (() => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.from([0, 255, 0, 0]))), // filter 0, one red pixel
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
})();
/** The classic 1×1 transparent GIF. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
/** A 1×1 lossless WebP. */
const WEBP = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
/** SOI + JFIF APP0 + EOI: the JPEG signature (detection is by signature; no pixels needed). */
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');

/** Self-signed certificate for images.example.com (P-256, valid 2000–2100), test use only. */
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcXARSIRdKPtCh4Yg
iMrR9X6YBb4G1IffEaerpb1lVzmhRANCAAStEU0abrYhH5lXj2/gSIUldfdrySTz
dQ30+Kfbdpnj2RDPCWZvByF2ULzhXerYGlSJMOOeOZsJxqvyRfWx3j4x
-----END PRIVATE KEY-----
`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgIBATAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJpbWFnZXMu
ZXhhbXBsZS5jb20wIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMB0x
GzAZBgNVBAMMEmltYWdlcy5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABK0RTRputiEfmVePb+BIhSV192vJJPN1DfT4p9t2mePZEM8JZm8HIXZQ
vOFd6tgaVIkw4545mwnGq/JF9bHePjGjTjBMMB0GA1UdEQQWMBSCEmltYWdlcy5l
eGFtcGxlLmNvbTAMBgNVHRMBAf8EAjAAMB0GA1UdDgQWBBSWeWazxu5+SSw4iMy6
KQSgJHtAYzAKBggqhkjOPQQDAgNHADBEAiASmVcadj4Gf0gtZ/y6hg4LV/28h8Uv
oPDjlXIkW6yZpwIgAQGPAH8sO07hygVqqQYs/NvVbGPggiQ4QGPBoz5z+is=
-----END CERTIFICATE-----
`;

// ---------------------------------------------------------------------------------------------
// Local servers
// ---------------------------------------------------------------------------------------------

/** Every connection the sentinel ever receives: must stay at zero in the refusal tests. */
let sentinelConnections = 0;
let sentinel: net.Server;
let sentinelPort = 0;

/** Requests the image servers received (Host header and path). */
let requests: { host: string | undefined; url: string; secure: boolean }[] = [];
/** Result of the last endless stream: how it ended and how much was written. */
let stream: { ended: Promise<'client closed' | 'finished'>; written: () => number } | undefined;
const STREAM_CAP = 64 * 1024 * 1024;

const serverSockets = new Set<net.Socket>();
let imageServer: http.Server;
let imagePort = 0;
let tlsServer: https.Server;
let tlsPort = 0;
let closedPort = 0;

function handler(secure: boolean) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push({ host: req.headers.host, url: req.url ?? '', secure });
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, type: string, body: Buffer | string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const route = url.pathname;
    if (route === '/img.png') return send(200, 'image/png', PNG);
    if (route === '/img.jpg') return send(200, 'image/jpeg', JPEG);
    if (route === '/img.gif') return send(200, 'image/gif', GIF);
    if (route === '/img.webp') return send(200, 'image/webp', WEBP);
    // Served as an image, but it is not one.
    if (route === '/text.png') return send(200, 'image/png', 'hello, I am plain text');
    if (route === '/image.svg') {
      return send(200, 'image/svg+xml', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>');
    }
    if (route === '/empty.png') return send(200, 'image/png', '');
    // Declares 5000 bytes up front.
    if (route === '/big-declared.png')
      return send(200, 'image/png', Buffer.concat([PNG, Buffer.alloc(5000 - PNG.length)]));
    // No Content-Length: a PNG header, then an endless body.
    if (route === '/big-streamed.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      let written = 0;
      let settle!: (how: 'client closed' | 'finished') => void;
      stream = { ended: new Promise((r) => (settle = r)), written: () => written };
      res.on('close', () => settle(written >= STREAM_CAP ? 'finished' : 'client closed'));
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (!res.destroyed && written < STREAM_CAP) {
          written += chunk.length;
          if (!res.write(written === chunk.length ? Buffer.concat([PNG, chunk]) : chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
      return;
    }
    // Never answers.
    if (route === '/hang') return;
    // Answers the headers and a few bytes, then stalls.
    if (route === '/stall.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 1000 });
      res.write(PNG.subarray(0, 16));
      return;
    }
    const status = /^\/status\/(\d{3})$/.exec(route);
    if (status) return send(Number(status[1]), 'text/plain', 'nope');
    if (route === '/redirect') {
      res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '' });
      return res.end();
    }
    if (route === '/redirect-without-location') {
      res.writeHead(302);
      return res.end();
    }
    // /chain/N redirects N times (relative Location) before serving the PNG.
    const chain = /^\/chain\/(\d+)$/.exec(route);
    if (chain) {
      const n = Number(chain[1]);
      if (n === 0) return send(200, 'image/png', PNG);
      res.writeHead(302, { location: `/chain/${n - 1}` });
      return res.end();
    }
    send(404, 'text/plain', 'not found');
  };
}

function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

beforeAll(async () => {
  sentinel = net.createServer((socket) => socket.destroy());
  sentinel.on('connection', () => sentinelConnections++);
  sentinelPort = await listen(sentinel);

  imageServer = http.createServer(handler(false));
  tlsServer = https.createServer({ key: TLS_KEY, cert: TLS_CERT }, handler(true));
  for (const server of [imageServer, tlsServer]) {
    server.on('connection', (socket: net.Socket) => {
      serverSockets.add(socket);
      socket.on('close', () => serverSockets.delete(socket));
    });
  }
  imagePort = await listen(imageServer);
  tlsPort = await listen(tlsServer);

  // A port with nothing listening on it (connection refused).
  const probe = net.createServer();
  closedPort = await listen(probe);
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  for (const socket of serverSockets) socket.destroy();
  await Promise.all([sentinel, imageServer, tlsServer].map((s) => new Promise((r) => (s ? s.close(r) : r(undefined)))));
});

// ---------------------------------------------------------------------------------------------
// Injected resolver and connector
// ---------------------------------------------------------------------------------------------

const IMAGES_IP = '93.184.216.34';
const CDN_IP = '93.184.216.35';
const DEAD_IP = '93.184.216.36';
const V6_IP = '2606:2800:220:1:248:1893:25c8:1946';

/** The test's DNS. Unknown names fail like NXDOMAIN. */
const DNS: Record<string, string[]> = {
  'images.example.com': [IMAGES_IP],
  'cdn.example.net': [CDN_IP],
  'v6.example.com': [V6_IP],
  'flaky.example.com': [DEAD_IP, IMAGES_IP],
  'internal.example.com': ['127.0.0.1'],
  'mixed.example.com': [IMAGES_IP, '127.0.0.1'],
  'mixed6.example.com': [V6_IP, 'fd00::1'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'garbage.example.com': ['not-an-ip'],
  'empty.example.com': [],
  localhost: ['127.0.0.1', '::1'],
};

let resolveCalls: string[] = [];
let connectCalls: { host: string; port: number; servername?: string; tls: boolean }[] = [];
/** Hosts the connector refused: any entry fails the test. */
let violations: string[] = [];

const resolve: Resolver = async (hostname) => {
  resolveCalls.push(hostname);
  const addresses = DNS[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: net.isIP(address) === 6 ? (6 as const) : (4 as const) }));
};

/** Checked public address → local port (TLS connections go to the https server). */
function mappedPort(host: string, useTls: boolean): number | undefined {
  if (host === DEAD_IP) return closedPort;
  if (host === IMAGES_IP || host === CDN_IP || host === V6_IP) return useTls ? tlsPort : imagePort;
  return undefined;
}

function makeConnector(variant: { plainForTls?: boolean; rejectUnauthorized?: boolean } = {}): Connector {
  return (options) => {
    connectCalls.push({ ...options });
    const port = mappedPort(options.host, options.tls);
    if (port !== undefined) {
      if (options.tls && !variant.plainForTls) {
        return tls.connect({
          host: '127.0.0.1',
          port,
          servername: options.servername,
          ca: TLS_CERT,
          rejectUnauthorized: variant.rejectUnauthorized ?? true,
        });
      }
      return net.connect({ host: '127.0.0.1', port });
    }
    if (options.host === '127.0.0.1' || options.host === '::1') {
      // Only reachable if the guard let a loopback address through: the sentinel will see it.
      return net.connect({ host: options.host, port: options.port });
    }
    violations.push(options.host);
    throw new Error(`test connector: refusing to connect to ${options.host}`);
  };
}

const opts = (extra: SafeFetchOptions = {}): SafeFetchOptions => ({ resolve, connect: makeConnector(), ...extra });

beforeEach(() => {
  resolveCalls = [];
  connectCalls = [];
  violations = [];
  requests = [];
  stream = undefined;
});

afterEach(() => {
  expect(violations).toEqual([]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The AppError a fetch rejected with, checked for shape and for leaking no address. */
async function failure(promise: Promise<unknown>, code: string, path = 'thumbnailUrl'): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe('validation_error');
  expect(appError.status).toBe(400);
  expect(appError.details).toEqual([{ path, message: appError.message, code }]);
  // No resolved or internal address in what the client sees.
  for (const secret of [
    '127.0.0.1',
    '::1',
    '169.254',
    '10.0.0.1',
    'fd00',
    IMAGES_IP,
    CDN_IP,
    DEAD_IP,
    'ENOTFOUND',
    'ECONN',
  ]) {
    expect(appError.message).not.toContain(secret);
  }
  return appError;
}

// ---------------------------------------------------------------------------------------------
// Refusals: nothing may connect
// ---------------------------------------------------------------------------------------------

describe('fetchImage refuses private, local and odd targets without connecting', () => {
  let before = 0;
  beforeEach(() => {
    before = sentinelConnections;
  });
  afterEach(async () => {
    await sleep(30); // let a stray connection (if any) reach the sentinel
    expect(sentinelConnections - before).toBe(0);
  });

  const literalUrls = () => [
    `http://127.0.0.1:${sentinelPort}/x.png`,
    `http://[::1]:${sentinelPort}/`,
    `http://0x7f000001:${sentinelPort}/`,
    `http://2130706433:${sentinelPort}/`,
    `http://0177.0.0.1:${sentinelPort}/`,
    `http://127.1:${sentinelPort}/`,
    `http://0x7f.1:${sentinelPort}/`,
    `http://127.0.0.1.:${sentinelPort}/`,
    `http://[0:0:0:0:0:0:0:1]:${sentinelPort}/`,
    `https://127.0.0.1:${sentinelPort}/`,
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://[::]/',
    'http://0.0.0.0/',
    'http://0/',
    'http://255.255.255.255/',
    'http://224.0.0.1/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[2002:7f00:1::1]/',
    'http://192.0.2.10/',
    'http://198.18.0.1/',
  ];

  it('refuses IP-literal URLs in every spelling, without resolving or connecting', async () => {
    for (const url of literalUrls()) {
      const error = await failure(fetchImage(url, 'thumbnailUrl', opts()), 'url_not_allowed');
      expect(error.message, url).toBe('The address is not allowed.');
    }
    expect(resolveCalls).toEqual([]);
    expect(connectCalls).toEqual([]);
  });

  it('refuses localhost by name (even with a resolver that would answer)', async () => {
    for (const url of [
      `http://localhost:${sentinelPort}/`,
      `http://LOCALHOST.:${sentinelPort}/`,
      'http://api.localhost/',
    ]) {
      await failure(fetchImage(url, 'thumbnailUrl', opts()), 'url_not_allowed');
    }
    expect(connectCalls).toEqual([]);
  });

  it('refuses a name that resolves to a private address', async () => {
    for (const name of ['internal.example.com', 'metadata.example.com', 'mapped.example.com']) {
      const error = await failure(
        fetchImage(`http://${name}:${sentinelPort}/x.png`, 'thumbnailUrl', opts()),
        'url_not_allowed',
      );
      expect(error.message).toBe('The address is not allowed.');
    }
    expect(resolveCalls).toEqual(['internal.example.com', 'metadata.example.com', 'mapped.example.com']);
    expect(connectCalls).toEqual([]);
  });

  it('refuses when ANY resolved address is not public', async () => {
    await failure(
      fetchImage(`http://mixed.example.com:${sentinelPort}/img.png`, 'thumbnailUrl', opts()),
      'url_not_allowed',
    );
    await failure(fetchImage('http://mixed6.example.com/img.png', 'thumbnailUrl', opts()), 'url_not_allowed');
    expect(connectCalls).toEqual([]);
  });

  it('refuses a resolver answer that is not an IP address', async () => {
    await failure(fetchImage('http://garbage.example.com/img.png', 'thumbnailUrl', opts()), 'url_not_allowed');
    expect(connectCalls).toEqual([]);
  });

  it('refuses a redirect from a public host to a loopback address, without connecting to it', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${sentinelPort}/`);
    const error = await failure(
      fetchImage(`http://images.example.com/redirect?to=${to}`, 'thumbnailUrl', opts()),
      'url_not_allowed',
    );
    expect(error.message).toBe('The image URL redirects to an address that is not allowed.');
    expect(connectCalls.map((c) => c.host)).toEqual([IMAGES_IP]);
    expect(requests).toHaveLength(1);
  });

  it('refuses a redirect to a name that resolves to a private address, and to metadata', async () => {
    for (const to of ['http://internal.example.com/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/']) {
      const url = `http://images.example.com/redirect?status=307&to=${encodeURIComponent(to)}`;
      await failure(fetchImage(url, 'thumbnailUrl', opts()), 'url_not_allowed');
    }
    expect(connectCalls.map((c) => c.host)).toEqual([IMAGES_IP, IMAGES_IP, IMAGES_IP]);
  });

  it('refuses other schemes and credentials', async () => {
    for (const url of [
      'ftp://images.example.com/img.png',
      'file:///etc/passwd',
      'data:image/png;base64,iVBORw0KGgo=',
      'javascript:alert(1)',
      'gopher://images.example.com:70/',
      'http://user:pass@images.example.com/img.png',
      'http://user@images.example.com/img.png',
      'http://:pass@images.example.com/img.png',
    ]) {
      await failure(fetchImage(url, 'thumbnailUrl', opts()), 'url_not_allowed');
    }
    expect(resolveCalls).toEqual([]);
    expect(connectCalls).toEqual([]);
  });

  it('refuses redirects to other schemes and to URLs with credentials', async () => {
    for (const to of [
      'file:///etc/passwd',
      'ftp://images.example.com/x',
      'http://user:pass@images.example.com/img.png',
    ]) {
      const url = `http://images.example.com/redirect?to=${encodeURIComponent(to)}`;
      await failure(fetchImage(url, 'thumbnailUrl', opts()), 'url_not_allowed');
    }
  });

  it('rejects what is not a URL', async () => {
    for (const url of ['', 'images.example.com/img.png', '/img.png', 'http://', 'http://[::1/']) {
      await failure(fetchImage(url, 'posterImageUrl', opts()), 'invalid_url', 'posterImageUrl');
    }
    expect(connectCalls).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Accepts
// ---------------------------------------------------------------------------------------------

describe('fetchImage fetches images from public hosts', () => {
  it('fetches a PNG, connecting to the checked address with the original Host header', async () => {
    const image = await fetchImage('http://images.example.com/img.png?size=small', 'thumbnailUrl', opts());
    expect(image).toEqual({
      bytes: PNG,
      mimeType: 'image/png',
      ext: 'png',
      finalUrl: 'http://images.example.com/img.png?size=small',
    });
    expect(resolveCalls).toEqual(['images.example.com']);
    expect(connectCalls).toEqual([{ host: IMAGES_IP, port: 80, tls: false }]);
    expect(requests).toEqual([{ host: 'images.example.com', url: '/img.png?size=small', secure: false }]);
  });

  it.each([
    ['/img.jpg', JPEG, 'image/jpeg', 'jpg'],
    ['/img.gif', GIF, 'image/gif', 'gif'],
    ['/img.webp', WEBP, 'image/webp', 'webp'],
  ])('fetches %s', async (route, bytes, mimeType, ext) => {
    const image = await fetchImage(`http://images.example.com${route}`, 'featuredImageUrl', opts());
    expect(image).toEqual({ bytes, mimeType, ext, finalUrl: `http://images.example.com${route}` });
  });

  it('follows a redirect between two public hosts, re-resolving and re-checking the new host', async () => {
    const to = encodeURIComponent('http://cdn.example.net:8080/img.png');
    const image = await fetchImage(`http://images.example.com/redirect?to=${to}`, 'thumbnailUrl', opts());
    expect(image.bytes.equals(PNG)).toBe(true);
    expect(image.mimeType).toBe('image/png');
    expect(image.finalUrl).toBe('http://cdn.example.net:8080/img.png');
    expect(resolveCalls).toEqual(['images.example.com', 'cdn.example.net']);
    expect(connectCalls).toEqual([
      { host: IMAGES_IP, port: 80, tls: false },
      { host: CDN_IP, port: 8080, tls: false },
    ]);
    expect(requests.map((r) => r.host)).toEqual(['images.example.com', 'cdn.example.net:8080']);
  });

  it.each([301, 302, 303, 307, 308])('follows a %i redirect with a relative Location', async (status) => {
    const image = await fetchImage(
      `http://images.example.com/redirect?status=${status}&to=/img.gif`,
      'thumbnailUrl',
      opts(),
    );
    expect(image.mimeType).toBe('image/gif');
    expect(image.finalUrl).toBe('http://images.example.com/img.gif');
  });

  it('follows exactly maxRedirects redirects', async () => {
    const image = await fetchImage('http://images.example.com/chain/3', 'thumbnailUrl', opts());
    expect(image.finalUrl).toBe('http://images.example.com/chain/0');
    expect(connectCalls).toHaveLength(4);
  });

  it('fetches from a public IPv6 address, by name and as a literal', async () => {
    const byName = await fetchImage('http://v6.example.com/img.png', 'thumbnailUrl', opts());
    expect(byName.bytes.equals(PNG)).toBe(true);
    const literal = await fetchImage(`http://[${V6_IP}]/img.png`, 'thumbnailUrl', opts());
    expect(literal.bytes.equals(PNG)).toBe(true);
    expect(resolveCalls).toEqual(['v6.example.com']);
    expect(connectCalls.map((c) => c.host)).toEqual([V6_IP, V6_IP]);
    expect(requests.map((r) => r.host)).toEqual(['v6.example.com', `[${V6_IP}]`]);
  });

  it('fetches from a public IPv4 literal without resolving', async () => {
    const image = await fetchImage(`http://${IMAGES_IP}/img.webp`, 'thumbnailUrl', opts());
    expect(image.mimeType).toBe('image/webp');
    expect(resolveCalls).toEqual([]);
  });

  it('moves on to the next checked address when one cannot be reached', async () => {
    const image = await fetchImage('http://flaky.example.com/img.png', 'thumbnailUrl', opts());
    expect(image.bytes.equals(PNG)).toBe(true);
    expect(connectCalls.map((c) => c.host)).toEqual([DEAD_IP, IMAGES_IP]);
  });

  it('over https: connects to the checked address with SNI = host name and a verified certificate', async () => {
    const image = await fetchImage('https://images.example.com/img.png', 'thumbnailUrl', opts());
    expect(image.bytes.equals(PNG)).toBe(true);
    expect(connectCalls).toEqual([{ host: IMAGES_IP, port: 443, servername: 'images.example.com', tls: true }]);
    expect(requests).toEqual([{ host: 'images.example.com', url: '/img.png', secure: true }]);
  });

  it('over https: a certificate for another name fails', async () => {
    // The certificate is for images.example.com, not cdn.example.net.
    await failure(fetchImage('https://cdn.example.net/img.png', 'thumbnailUrl', opts()), 'fetch_failed');
    expect(connectCalls).toEqual([{ host: CDN_IP, port: 443, servername: 'cdn.example.net', tls: true }]);
    expect(requests).toEqual([]);
  });

  it('over https: refuses a connector that skips TLS or does not verify the certificate', async () => {
    const plain = { resolve, connect: makeConnector({ plainForTls: true }) };
    await failure(fetchImage('https://images.example.com/img.png', 'thumbnailUrl', plain), 'fetch_failed');
    const unverified = { resolve, connect: makeConnector({ rejectUnauthorized: false }) };
    await failure(fetchImage('https://cdn.example.net/img.png', 'thumbnailUrl', unverified), 'fetch_failed');
  });
});

// ---------------------------------------------------------------------------------------------
// Failures after connecting
// ---------------------------------------------------------------------------------------------

describe('fetchImage limits and checks what it downloads', () => {
  it('refuses a declared Content-Length above maxBytes before reading', async () => {
    const error = await failure(
      fetchImage('http://images.example.com/big-declared.png', 'thumbnailUrl', opts({ maxBytes: 1000 })),
      'too_large',
    );
    expect(error.message).toBe('The image is larger than 1000 bytes.');
  });

  it('accepts a body of exactly maxBytes', async () => {
    const image = await fetchImage('http://images.example.com/img.png', 'thumbnailUrl', opts({ maxBytes: PNG.length }));
    expect(image.bytes.length).toBe(PNG.length);
  });

  it('aborts a streamed body as soon as it exceeds maxBytes', async () => {
    await failure(
      fetchImage('http://images.example.com/big-streamed.png', 'thumbnailUrl', opts({ maxBytes: 100_000 })),
      'too_large',
    );
    expect(stream).toBeDefined();
    // The server's endless body stops because the client hung up, long before its own cap.
    expect(await stream!.ended).toBe('client closed');
    expect(stream!.written()).toBeLessThan(STREAM_CAP);
  });

  it.each(['/text.png', '/image.svg', '/empty.png'])('refuses %s, which is not a JPEG/PNG/GIF/WebP', async (route) => {
    const error = await failure(
      fetchImage(`http://images.example.com${route}`, 'thumbnailUrl', opts()),
      'not_an_image',
    );
    expect(error.message).toBe('The URL does not point to a JPEG, PNG, GIF or WebP image.');
  });

  it.each([404, 500, 204, 304])('fails on HTTP %i', async (status) => {
    const code = status === 204 ? 'not_an_image' : 'fetch_failed';
    await failure(fetchImage(`http://images.example.com/status/${status}`, 'thumbnailUrl', opts()), code);
  });

  it('fails after more than maxRedirects redirects', async () => {
    const error = await failure(
      fetchImage('http://images.example.com/chain/4', 'thumbnailUrl', opts()),
      'too_many_redirects',
    );
    expect(error.message).toBe('The image URL redirects more than 3 times.');
    expect(connectCalls).toHaveLength(4);
    await failure(
      fetchImage('http://images.example.com/chain/1', 'thumbnailUrl', opts({ maxRedirects: 0 })),
      'too_many_redirects',
    );
  });

  it('fails on a redirect without Location', async () => {
    await failure(
      fetchImage('http://images.example.com/redirect-without-location', 'thumbnailUrl', opts()),
      'fetch_failed',
    );
  });

  it('fails on a name that does not resolve, or resolves to nothing', async () => {
    await failure(fetchImage('http://nowhere.example.org/img.png', 'thumbnailUrl', opts()), 'fetch_failed');
    await failure(fetchImage('http://empty.example.com/img.png', 'thumbnailUrl', opts()), 'fetch_failed');
    expect(connectCalls).toEqual([]);
  });

  it('fails when the server cannot be reached, without naming the address', async () => {
    const error = await failure(fetchImage(`http://${DEAD_IP}/img.png`, 'thumbnailUrl', opts()), 'fetch_failed');
    expect(error.message).toBe('The image could not be fetched: the server could not be reached.');
  });

  it('times out on a server that never answers', async () => {
    const started = Date.now();
    const error = await failure(
      fetchImage('http://images.example.com/hang', 'thumbnailUrl', opts({ timeoutMs: 300 })),
      'timeout',
    );
    expect(error.message).toBe('The image could not be fetched within 300 ms.');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out on a body that stalls', async () => {
    const started = Date.now();
    await failure(
      fetchImage('http://images.example.com/stall.png', 'thumbnailUrl', opts({ timeoutMs: 300 })),
      'timeout',
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out on a resolver that never answers', async () => {
    const hanging: Resolver = () => new Promise(() => {});
    await failure(
      fetchImage('http://images.example.com/img.png', 'thumbnailUrl', {
        resolve: hanging,
        connect: makeConnector(),
        timeoutMs: 200,
      }),
      'timeout',
    );
    expect(connectCalls).toEqual([]);
  });

  it('the deadline covers all hops together', async () => {
    // Each hop is quick; the last one hangs: the total deadline still applies.
    const to = encodeURIComponent('http://cdn.example.net/hang');
    await failure(
      fetchImage(`http://images.example.com/redirect?to=${to}`, 'thumbnailUrl', opts({ timeoutMs: 300 })),
      'timeout',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// isPublicAddress
// ---------------------------------------------------------------------------------------------

describe('isPublicAddress', () => {
  it.each([
    // IPv4, public
    ['8.8.8.8', true],
    ['1.1.1.1', true],
    ['93.184.216.34', true],
    ['172.15.255.255', true],
    ['172.32.0.1', true],
    ['100.63.255.255', true],
    ['100.128.0.1', true],
    ['192.169.0.1', true],
    ['198.17.255.255', true],
    ['198.20.0.1', true],
    ['223.255.255.255', true],
    // IPv4, not public
    ['127.0.0.1', false],
    ['127.255.255.254', false],
    ['10.0.0.1', false],
    ['10.255.255.255', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['169.254.0.1', false],
    ['100.64.0.1', false],
    ['100.127.255.255', false],
    ['0.0.0.0', false],
    ['0.1.2.3', false],
    ['224.0.0.1', false],
    ['239.255.255.250', false],
    ['240.0.0.1', false],
    ['255.255.255.255', false],
    ['192.0.2.1', false],
    ['198.51.100.7', false],
    ['203.0.113.9', false],
    ['198.18.0.1', false],
    ['198.19.255.255', false],
    ['192.0.0.8', false],
    ['192.88.99.1', false],
    // IPv6, public
    ['2606:4700:4700::1111', true],
    ['2001:4860:4860::8888', true],
    ['2a00:1450:4001:80b::200e', true],
    ['2606:2800:220:1:248:1893:25c8:1946', true],
    ['::ffff:8.8.8.8', true],
    ['::ffff:808:808', true],
    ['64:ff9b::8.8.8.8', true],
    ['2002:808:808::1', true],
    // IPv6, not public
    ['::', false],
    ['::1', false],
    ['0:0:0:0:0:0:0:1', false],
    ['fc00::1', false],
    ['fd00::1', false],
    ['FD12:3456::1', false],
    ['fe80::1', false],
    ['fe80::1%eth0', false],
    ['febf::1', false],
    ['fec0::1', false],
    ['ff02::1', false],
    ['ff05::1:3', false],
    ['::ffff:127.0.0.1', false],
    ['::FFFF:7f00:1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:100.64.0.1', false],
    ['::127.0.0.1', false],
    ['::8.8.8.8', false], // IPv4-compatible (deprecated, never routable)
    ['::ffff:0:8.8.8.8', false], // IPv4-translated
    ['64:ff9b::7f00:1', false],
    ['64:ff9b::10.1.2.3', false],
    ['64:ff9b:1::8.8.8.8', false], // local-use NAT64
    ['2002:7f00:1::1', false],
    ['2002:a00:1::', false],
    ['2002:c0a8:101::1', false],
    ['2001:db8::1', false],
    ['2001::1', false], // Teredo
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', false],
    ['3fff::1', false],
    ['100::1', false],
    ['4000::1', false],
    // not IP literals
    ['', false],
    ['localhost', false],
    ['example.com', false],
    ['0x7f000001', false],
    ['2130706433', false],
    ['127.1', false],
    ['127.0.0.01', false],
    ['[::1]', false],
    [' 8.8.8.8', false],
    ['1.2.3.4.5', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});
