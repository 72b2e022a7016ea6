import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import { parseVideoUrl, parseVideoUrlOrThrow } from '../../src/lib/video.js';

const ID = 'dQw4w9WgXcQ';

describe('parseVideoUrl: YouTube', () => {
  it.each([
    `https://www.youtube.com/watch?v=${ID}`,
    `https://youtube.com/watch?v=${ID}`,
    `http://youtube.com/watch?v=${ID}`,
    `https://m.youtube.com/watch?v=${ID}`,
    `http://m.youtube.com/watch?v=${ID}`,
    `https://www.youtube.com/watch?v=${ID}&t=30s`,
    `https://www.youtube.com/watch?v=${ID}&list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf&index=2`,
    `https://www.youtube.com/watch?feature=share&v=${ID}`,
    `https://www.youtube.com/watch?v=${ID}#t=42`,
    `https://WWW.YouTube.com/watch?v=${ID}`,
    `https://youtu.be/${ID}`,
    `http://youtu.be/${ID}`,
    `https://youtu.be/${ID}?si=Ab12Cd34&t=10`,
    `https://www.youtube.com/shorts/${ID}`,
    `https://youtube.com/shorts/${ID}?feature=share`,
    `https://m.youtube.com/shorts/${ID}/`,
    `https://www.youtube.com/embed/${ID}`,
    `https://youtube.com/embed/${ID}?start=10&autoplay=1`,
  ])('%s', (url) => {
    expect(parseVideoUrl(url)).toEqual({
      type: 'youtube',
      provider: 'YouTube',
      videoId: ID,
      originalUrl: url,
      embedUrl: `https://www.youtube.com/embed/${ID}`,
      thumbnailUrl: `https://img.youtube.com/vi/${ID}/maxresdefault.jpg`,
      icon: 'youtube',
      canEmbed: true,
    });
  });

  it('keeps ids with - and _ and their case', () => {
    expect(parseVideoUrl('https://youtu.be/a-B_c9Zz0_-')?.videoId).toBe('a-B_c9Zz0_-');
    expect(parseVideoUrl('https://www.youtube.com/shorts/_aZ-09AbCdE')?.videoId).toBe('_aZ-09AbCdE');
  });
});

describe('parseVideoUrl: Vimeo', () => {
  it.each([
    ['https://vimeo.com/76979871', '76979871'],
    ['http://vimeo.com/76979871', '76979871'],
    ['https://www.vimeo.com/76979871', '76979871'],
    ['https://vimeo.com/76979871/', '76979871'],
    ['https://vimeo.com/76979871?share=copy', '76979871'],
    ['https://player.vimeo.com/video/76979871', '76979871'],
    ['https://player.vimeo.com/video/1?autoplay=1', '1'],
  ])('%s', (url, id) => {
    expect(parseVideoUrl(url)).toEqual({
      type: 'vimeo',
      provider: 'Vimeo',
      videoId: id,
      originalUrl: url,
      embedUrl: `https://player.vimeo.com/video/${id}`,
      thumbnailUrl: null,
      icon: 'vimeo',
      canEmbed: true,
    });
  });
});

describe('parseVideoUrl: direct files', () => {
  it.each([
    'https://cdn.example.com/videos/intro.mp4',
    'http://cdn.example.com/intro.webm',
    'https://cdn.example.com/a/b/c.ogg',
    'https://cdn.example.com/clip.MOV',
    'https://stream.example.com/live/index.m3u8?token=abc&exp=123',
    'https://cdn.example.com/Intro.Mp4#t=10',
    'https://cdn.example.com:8443/v.mp4',
    'https://www.youtube.com/uploads/video.mp4',
  ])('%s', (url) => {
    expect(parseVideoUrl(url)).toEqual({
      type: 'direct',
      provider: 'Direct',
      videoId: null,
      originalUrl: url,
      embedUrl: url,
      thumbnailUrl: null,
      icon: 'video',
      canEmbed: true,
    });
  });
});

const REFUSED = [
  '',
  'not a url',
  `youtube.com/watch?v=${ID}`, // no scheme
  `//www.youtube.com/watch?v=${ID}`,
  'ftp://example.com/video.mp4',
  'file:///home/me/video.mp4',
  'javascript:alert(1)',
  `javascript://www.youtube.com/watch?v=${ID}%0Aalert(1)`,
  'data:video/mp4;base64,AAAA',
  'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw',
  'https://www.youtube.com/@mkbhd',
  'https://www.youtube.com/c/SomeChannel',
  'https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf',
  'https://www.youtube.com/watch?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf',
  'https://www.youtube.com/embed/videoseries?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf',
  'https://www.youtube.com/',
  'https://www.youtube.com/watch?v=short', // 5 characters: too short even for a placeholder
  'https://www.youtube.com/watch?v=dQw4w9WgXc!',
  `https://www.youtube.com/watch?v=${ID}&v=aaaaaaaaaaa`,
  `https://www.youtube.com/shorts/${ID}/extra`,
  `https://www.youtube.com/watch?v=${ID}&x=%E0%A4%A`, // a stray % (the library would throw)
  `https://youtube.com.evil.com/watch?v=${ID}`,
  `https://youtube.com@evil.com/watch?v=${ID}`,
  `https://user:pass@youtube.com/watch?v=${ID}`,
  `https://evil.com/watch?v=${ID}`,
  `https://notyoutube.com/watch?v=${ID}`,
  `https://youtube.com:8443/watch?v=${ID}`,
  `https://www.youtu.be/${ID}`,
  'https://vimeo.com/',
  'https://vimeo.com/abc',
  'https://vimeo.com/abc/123', // the library alone would take 123
  'https://vimeo.com/channels/staffpicks/76979871',
  'https://player.vimeo.com/76979871',
  'https://vimeo.com/76979871x',
  'https://vimeo.evil.com/76979871',
  'https://example.com/video.avi',
  'https://example.com/video.mp4.html',
  'https://example.com/watch?file=video.mp4',
  'https://example.com/.mp4',
  'https://example.com/mp4',
  ` https://youtu.be/${ID}`,
  `https://youtu.be/${ID} `,
  'https://example.com/my video.mp4',
  'https://example.com/a.mp4\n',
  'http://[::1/video.mp4',
];

describe('parseVideoUrl: refusals', () => {
  it('never truncates an id the way the library alone would (it takes the first 11 characters)', () => {
    expect(parseVideoUrl(`https://youtu.be/${ID}xx`)?.videoId).toBe(`${ID}xx`);
    expect(parseVideoUrl(`https://www.youtube.com/watch?v=${ID}x`)?.videoId).toBe(`${ID}x`);
    expect(parseVideoUrl('https://youtube.com/watch?v=abc123')?.embedUrl).toBe('https://www.youtube.com/embed/abc123');
  });

  it.each(REFUSED)('%j → null', (url) => {
    expect(parseVideoUrl(url)).toBeNull();
  });
});

describe('parseVideoUrlOrThrow', () => {
  it('returns the meta of a recognised URL', () => {
    expect(parseVideoUrlOrThrow('https://vimeo.com/1', 'videoUrl').videoId).toBe('1');
  });

  it('throws 400 invalid_video_url with a detail at the given path', () => {
    let error: unknown;
    try {
      parseVideoUrlOrThrow('https://example.com/page', 'sections.0.lessons.1.videoUrl');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const err = error as AppError;
    expect(err.code).toBe('invalid_video_url');
    expect(err.status).toBe(400);
    expect(err.details).toEqual([
      { path: 'sections.0.lessons.1.videoUrl', message: expect.any(String), code: 'invalid_video_url' },
    ]);
  });
});
