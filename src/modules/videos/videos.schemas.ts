import { z } from 'zod';

/** The `VideoMeta` of `src/lib/video.ts`, as returned by `POST /videos/parse` and stored on lessons. */
export const VideoMetaSchema = z
  .object({
    type: z.enum(['youtube', 'vimeo', 'direct']),
    provider: z.enum(['YouTube', 'Vimeo', 'Direct']),
    videoId: z.string().nullable().meta({ description: 'The provider’s id; null for direct files.' }),
    originalUrl: z.string().meta({ description: 'The URL exactly as given.' }),
    embedUrl: z.string().meta({ description: 'The player URL (the file itself for direct videos).' }),
    thumbnailUrl: z
      .string()
      .nullable()
      .meta({ description: 'YouTube’s maxresdefault image; null for Vimeo (it needs Vimeo’s API) and direct files.' }),
    icon: z.string().meta({ description: '`youtube`, `vimeo` or `video`.' }),
    canEmbed: z.boolean(),
  })
  .meta({
    id: 'VideoMeta',
    example: {
      type: 'youtube',
      provider: 'YouTube',
      videoId: 'dQw4w9WgXcQ',
      originalUrl: 'https://youtube.com/watch?v=dQw4w9WgXcQ',
      embedUrl: 'https://www.youtube.com/embed/dQw4w9WgXcQ',
      thumbnailUrl: 'https://img.youtube.com/vi/dQw4w9WgXcQ/maxresdefault.jpg',
      icon: 'youtube',
      canEmbed: true,
    },
  });

export const ParseVideoBodySchema = z
  .strictObject({
    url: z.string().min(1).max(2048).meta({
      description:
        'YouTube (watch?v=, youtu.be/, shorts/, embed/), Vimeo (vimeo.com/ID, player.vimeo.com/video/ID) or a direct http(s) link to .mp4 .webm .ogg .mov .m3u8.',
    }),
  })
  .meta({ example: { url: 'https://youtube.com/watch?v=dQw4w9WgXcQ' } });
export type ParseVideoBody = z.infer<typeof ParseVideoBodySchema>;

export const ParseVideoResponseSchema = z.object({ video: VideoMetaSchema });
