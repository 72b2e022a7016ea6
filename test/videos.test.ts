import { describe, expect, it } from 'vitest';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);

const parse = (body: unknown, key: string | null = A.key) =>
  call(ctx.app, 'POST', '/api/v1/videos/parse', { key, body });
const ID = 'dQw4w9WgXcQ';

describe('POST /videos/parse', () => {
  it('answers the YouTube example of the vendor docs exactly', async () => {
    const res = await parse({ url: `https://youtube.com/watch?v=${ID}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json()).toEqual({
      video: {
        type: 'youtube',
        provider: 'YouTube',
        videoId: ID,
        originalUrl: `https://youtube.com/watch?v=${ID}`,
        embedUrl: `https://www.youtube.com/embed/${ID}`,
        thumbnailUrl: `https://img.youtube.com/vi/${ID}/maxresdefault.jpg`,
        icon: 'youtube',
        canEmbed: true,
      },
    });
  });

  it('answers a Vimeo URL exactly (no thumbnail: it needs Vimeo’s API)', async () => {
    const res = await parse({ url: 'https://vimeo.com/76979871' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      video: {
        type: 'vimeo',
        provider: 'Vimeo',
        videoId: '76979871',
        originalUrl: 'https://vimeo.com/76979871',
        embedUrl: 'https://player.vimeo.com/video/76979871',
        thumbnailUrl: null,
        icon: 'vimeo',
        canEmbed: true,
      },
    });
  });

  it('answers a direct file exactly (the file is its own embed URL)', async () => {
    const url = 'https://cdn.example.com/courses/intro.MP4?token=abc';
    const res = await parse({ url });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      video: {
        type: 'direct',
        provider: 'Direct',
        videoId: null,
        originalUrl: url,
        embedUrl: url,
        thumbnailUrl: null,
        icon: 'video',
        canEmbed: true,
      },
    });
  });

  it.each([
    [`https://www.youtube.com/watch?v=${ID}`, 'youtube', ID],
    [`http://youtube.com/watch?v=${ID}`, 'youtube', ID],
    [`https://m.youtube.com/watch?v=${ID}`, 'youtube', ID],
    [`https://www.youtube.com/watch?v=${ID}&t=30s`, 'youtube', ID],
    [`https://www.youtube.com/watch?v=${ID}&list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf&index=3`, 'youtube', ID],
    [`https://www.youtube.com/watch?feature=share&v=${ID}`, 'youtube', ID],
    [`https://youtu.be/${ID}`, 'youtube', ID],
    [`https://youtu.be/${ID}?si=Ab12Cd34&t=10`, 'youtube', ID],
    [`https://www.youtube.com/shorts/${ID}`, 'youtube', ID],
    [`https://youtube.com/shorts/${ID}?feature=share`, 'youtube', ID],
    [`https://www.youtube.com/embed/${ID}`, 'youtube', ID],
    [`https://www.youtube.com/embed/${ID}?start=10`, 'youtube', ID],
    ['https://vimeo.com/76979871', 'vimeo', '76979871'],
    ['https://www.vimeo.com/76979871', 'vimeo', '76979871'],
    ['https://player.vimeo.com/video/76979871', 'vimeo', '76979871'],
    ['https://player.vimeo.com/video/76979871?autoplay=1', 'vimeo', '76979871'],
    ['https://cdn.example.com/a.mp4', 'direct', null],
    ['http://cdn.example.com/a.webm', 'direct', null],
    ['https://cdn.example.com/a.ogg', 'direct', null],
    ['https://cdn.example.com/a.mov', 'direct', null],
    ['https://stream.example.com/live/index.m3u8', 'direct', null],
    ['https://stream.example.com/live/INDEX.M3U8?exp=1', 'direct', null],
  ])('%s → %s %s', async (url, type, videoId) => {
    const res = await parse({ url });
    expect(res.statusCode).toBe(200);
    const { video } = res.json();
    expect(video).toMatchObject({ type, videoId, originalUrl: url, canEmbed: true });
    if (type === 'youtube') expect(video.embedUrl).toBe(`https://www.youtube.com/embed/${videoId}`);
    if (type === 'vimeo') expect(video.embedUrl).toBe(`https://player.vimeo.com/video/${videoId}`);
    if (type === 'direct') expect(video.embedUrl).toBe(url);
  });

  it.each([
    'not a url',
    `youtube.com/watch?v=${ID}`,
    'ftp://example.com/video.mp4',
    'javascript:alert(1)',
    `javascript://www.youtube.com/watch?v=${ID}%0Aalert(1)`,
    'data:video/mp4;base64,AAAA',
    'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw',
    'https://www.youtube.com/@mkbhd',
    'https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf',
    'https://www.youtube.com/watch?v=short',
    `https://youtube.com.evil.com/watch?v=${ID}`,
    `https://youtube.com@evil.com/watch?v=${ID}`,
    `https://evil.com/watch?v=${ID}`,
    `https://www.youtube.com/watch?v=${ID}&x=%E0%A4%A`,
    'https://vimeo.com/abc',
    'https://vimeo.com/abc/123',
    'https://example.com/video.avi',
    'https://example.com/page.html?file=video.mp4',
    'http://[::1/video.mp4',
    ` https://youtu.be/${ID}`,
  ])('%j → 400 invalid_video_url', async (url) => {
    const res = await parse({ url });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({
      error: 'invalid_video_url',
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(body.details).toHaveLength(1);
    expect(body.details[0]).toMatchObject({ path: 'url', code: 'invalid_video_url' });
  });

  it.each([
    ['a missing url', {}, 'url'],
    ['a missing body', undefined, undefined],
    ['an empty url', { url: '' }, 'url'],
    ['a url over 2048 characters', { url: `https://cdn.example.com/${'a'.repeat(2030)}.mp4` }, 'url'],
    ['a url that is not a string', { url: 42 }, 'url'],
    ['an unknown field', { url: `https://youtu.be/${ID}`, schoolId: 'sch_x' }, 'schoolId'],
  ])('%s → 400 validation_error', async (_name, body, path) => {
    const res = await parse(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('validation_error');
    if (path) expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('takes a url of exactly 2048 characters', async () => {
    const url = `https://cdn.example.com/${'a'.repeat(2048 - 'https://cdn.example.com/'.length - '.mp4'.length)}.mp4`;
    expect(url).toHaveLength(2048);
    const res = await parse({ url });
    expect(res.statusCode).toBe(200);
    expect(res.json().video.originalUrl).toBe(url);
  });

  it('needs an API key', async () => {
    const res = await parse({ url: `https://youtu.be/${ID}` }, null);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('unauthorized');
  });

  it('needs courses:read', async () => {
    const students = await createKey(ctx, A.id, ['students:read']);
    const res = await parse({ url: `https://youtu.be/${ID}` }, students.key);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining("'courses:read'") });
    const reader = await createKey(ctx, A.id, ['courses:read']);
    const ok = await parse({ url: `https://youtu.be/${ID}` }, reader.key);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('private, no-store');
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json();
    const op = doc.paths['/api/v1/videos/parse'].post;
    expect(op.operationId).toBe('parseVideoUrl');
    expect(op.tags).toEqual(['Videos']);
    expect(op.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(JSON.stringify(op.requestBody.content['application/json'].schema)).toContain('youtube.com/watch');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    expect(doc.components.schemas.VideoMeta.examples ?? doc.components.schemas.VideoMeta.example).toBeDefined();
  });
});
