/**
 * Video URL parsing (API.md §2 Video parsing): YouTube, Vimeo and direct video files → the
 * metadata a lesson stores as `videoMeta` and the embed URL a player uses. Framework-free.
 *
 * The WHATWG URL parser decides the scheme, host and path (so `youtube.com.evil.com`,
 * `youtube.com@evil.com` or `javascript:` never pass); js-video-url-parser extracts the id for the
 * forms it knows, and its answer must agree with the exact form recognised here, because the
 * library alone is lenient (it takes the first 11 characters of a longer id, any host whose
 * second-level label is `youtube`, any path ending in digits on Vimeo).
 */
import videoUrlParserModule from 'js-video-url-parser';
import { AppError } from './errors.js';

export type VideoMeta = {
  type: 'youtube' | 'vimeo' | 'direct';
  provider: 'YouTube' | 'Vimeo' | 'Direct';
  videoId: string | null;
  originalUrl: string;
  embedUrl: string;
  thumbnailUrl: string | null;
  icon: string;
  canEmbed: boolean;
};

/** What we use of js-video-url-parser's result (lib/urlParser.d.ts, lib/provider/*.d.ts). */
type LibVideoInfo = { provider?: string; id?: string; mediaType?: string };
type LibUrlParser = { parse(url: string): LibVideoInfo | undefined };

/*
 * The package is CommonJS with `module.exports = parser`, but its .d.ts says `export default`,
 * which TypeScript (NodeNext) reads as `module.exports.default`. Under Node ESM the default import
 * is `module.exports` itself, i.e. the parser: retype it, and accept `.default` should a loader
 * ever wrap it the other way.
 */
const libModule = videoUrlParserModule as unknown as LibUrlParser & { default?: LibUrlParser };
const libParser: LibUrlParser = typeof libModule.parse === 'function' ? libModule : libModule.default!;

/**
 * YouTube's ids are 11 characters, and the library knows only those. Documentation and tests
 * everywhere use placeholders such as `abc123` (the contract's own Blohko example), so ids of 6 to
 * 64 such characters are accepted; the library's cross-check applies to the 11-character ones.
 */
const YOUTUBE_ID = /^[A-Za-z0-9_-]{6,64}$/;
const YOUTUBE_REAL_ID_LENGTH = 11;
const VIMEO_ID = /^[0-9]{1,20}$/;
const DIRECT_FILE = /\/[^/]+\.(?:mp4|webm|ogg|mov|m3u8)$/i;
/** Whitespace and control characters: the URL parser would silently strip or encode them. */
const UNSAFE_CHARS = /[\s\u0000-\u001f\u007f]/;

const YOUTUBE_HOSTS = new Set(['youtube.com', 'www.youtube.com', 'm.youtube.com']);
const YOUTUBE_SHORT_HOST = 'youtu.be';
const VIMEO_HOSTS = new Set(['vimeo.com', 'www.vimeo.com']);
const VIMEO_PLAYER_HOST = 'player.vimeo.com';

/** The parts of the path, ignoring one trailing slash (`/shorts/ID/`). */
function segments(pathname: string): string[] {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  return trimmed.split('/').slice(1);
}

/**
 * The library's id for the normalised URL (its provider detection is case-sensitive, the URL
 * parser lower-cases the host), or null when it does not see a video of that provider.
 */
function libraryId(href: string, provider: 'youtube' | 'vimeo'): string | null {
  let info: LibVideoInfo | undefined;
  try {
    info = libParser.parse(href);
  } catch {
    // It decodes query parameters with decodeURIComponent, which throws on a stray `%`.
    return null;
  }
  if (!info || info.provider !== provider || info.mediaType !== 'video' || typeof info.id !== 'string') return null;
  return info.id;
}

function youtubeId(parsed: URL): string | null {
  const parts = segments(parsed.pathname);
  let candidate: string | undefined;
  // js-video-url-parser 0.5 does not know /shorts/: that form is recognised here only.
  let libraryKnowsForm = true;
  if (parsed.hostname === YOUTUBE_SHORT_HOST) {
    if (parts.length === 1) candidate = parts[0];
  } else if (parts.length === 1 && parts[0] === 'watch') {
    const v = parsed.searchParams.getAll('v');
    if (v.length === 1) candidate = v[0];
  } else if (parts.length === 2 && parts[0] === 'embed') {
    candidate = parts[1];
  } else if (parts.length === 2 && parts[0] === 'shorts') {
    candidate = parts[1];
    libraryKnowsForm = false;
  }
  if (candidate === undefined || !YOUTUBE_ID.test(candidate)) return null;
  if (
    libraryKnowsForm &&
    candidate.length === YOUTUBE_REAL_ID_LENGTH &&
    libraryId(parsed.href, 'youtube') !== candidate
  )
    return null;
  return candidate;
}

function vimeoId(parsed: URL): string | null {
  const parts = segments(parsed.pathname);
  let candidate: string | undefined;
  if (parsed.hostname === VIMEO_PLAYER_HOST) {
    if (parts.length === 2 && parts[0] === 'video') candidate = parts[1];
  } else if (parts.length === 1) {
    candidate = parts[0];
  }
  if (candidate === undefined || !VIMEO_ID.test(candidate)) return null;
  if (libraryId(parsed.href, 'vimeo') !== candidate) return null;
  return candidate;
}

function youtubeMeta(url: string, id: string): VideoMeta {
  return {
    type: 'youtube',
    provider: 'YouTube',
    videoId: id,
    originalUrl: url,
    embedUrl: `https://www.youtube.com/embed/${id}`,
    thumbnailUrl: `https://img.youtube.com/vi/${id}/maxresdefault.jpg`,
    icon: 'youtube',
    canEmbed: true,
  };
}

function vimeoMeta(url: string, id: string): VideoMeta {
  return {
    type: 'vimeo',
    provider: 'Vimeo',
    videoId: id,
    originalUrl: url,
    embedUrl: `https://player.vimeo.com/video/${id}`,
    // Vimeo thumbnails are not derivable from the id: they need a call to Vimeo's API (oEmbed),
    // which this parser (no network) does not make.
    thumbnailUrl: null,
    icon: 'vimeo',
    canEmbed: true,
  };
}

function directMeta(url: string): VideoMeta {
  return {
    type: 'direct',
    provider: 'Direct',
    videoId: null,
    originalUrl: url,
    embedUrl: url,
    thumbnailUrl: null,
    icon: 'video',
    canEmbed: true,
  };
}

/**
 * The video behind a URL, or null when it is not one we recognise:
 * - YouTube: `youtube.com/watch?v=ID` (also `www.`, `m.`; other query parameters allowed),
 *   `youtu.be/ID`, `youtube.com/shorts/ID`, `youtube.com/embed/ID`; ID is 6–64 of [A-Za-z0-9_-] (11 in practice);
 * - Vimeo: `vimeo.com/ID`, `player.vimeo.com/video/ID`; ID is digits;
 * - direct: any http(s) URL whose path ends in .mp4 .webm .ogg .mov .m3u8 (any case; a query
 *   string is allowed).
 * Only absolute http(s) URLs without credentials, whitespace or control characters qualify; the
 * provider forms also need the default port. `originalUrl` is the string exactly as given.
 */
export function parseVideoUrl(url: string): VideoMeta | null {
  if (typeof url !== 'string' || url.length === 0 || UNSAFE_CHARS.test(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;

  if (parsed.port === '') {
    const host = parsed.hostname;
    if (YOUTUBE_HOSTS.has(host) || host === YOUTUBE_SHORT_HOST) {
      const id = youtubeId(parsed);
      if (id) return youtubeMeta(url, id);
    } else if (VIMEO_HOSTS.has(host) || host === VIMEO_PLAYER_HOST) {
      const id = vimeoId(parsed);
      if (id) return vimeoMeta(url, id);
    }
  }
  if (parsed.hostname !== '' && DIRECT_FILE.test(parsed.pathname)) return directMeta(url);
  return null;
}

export const INVALID_VIDEO_URL_MESSAGE =
  'Not a recognised video URL: use a YouTube (watch?v=, youtu.be/, shorts/, embed/) or Vimeo (vimeo.com/ID, player.vimeo.com/video/ID) link, or a direct http(s) link to a .mp4, .webm, .ogg, .mov or .m3u8 file.';

/** parseVideoUrl, or `400 invalid_video_url` with a detail at `path` (e.g. `url`, `videoUrl`). */
export function parseVideoUrlOrThrow(url: string, path: string): VideoMeta {
  const meta = parseVideoUrl(url);
  if (!meta) {
    throw new AppError('invalid_video_url', INVALID_VIDEO_URL_MESSAGE, [
      { path, message: 'Not a recognised YouTube, Vimeo or direct video URL.', code: 'invalid_video_url' },
    ]);
  }
  return meta;
}
