import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { strictQuery } from '../../lib/shape.js';
import { SLUG_PATTERN } from '../../lib/slug.js';
import { HttpUrl } from '../../lib/validation.js';

const id = z.string().min(1).max(64);

const communityFields = {
  name: z.string().trim().min(1).max(255),
  slug: z.string().max(100).regex(SLUG_PATTERN, 'Lowercase letters, digits and single hyphens.'),
  description: z.string().max(5000).nullable(),
  coverImageUrl: HttpUrl.nullable(),
  isFree: z.boolean(),
  price: z.number().int().min(0).max(100_000_000),
  isPublic: z.boolean(),
};
const freeAndPrice = (v: { isFree?: boolean | undefined; price?: number | undefined }, ctx: z.RefinementCtx) => {
  if (v.isFree === true && (v.price ?? 0) > 0)
    ctx.addIssue({ code: 'custom', path: ['price'], message: 'A free community has no price.' });
};
export const CreateCommunitySchema = z
  .strictObject(communityFields)
  .partial()
  .required({ name: true, slug: true })
  .superRefine(freeAndPrice)
  .meta({ example: { name: 'Rust learners', slug: 'rust-learners', description: 'Ask and share.' } });
export const UpdateCommunitySchema = z.strictObject(communityFields).partial().superRefine(freeAndPrice);

export const CommunitySchema = z
  .object({
    object: z.literal('community'),
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    coverImageUrl: z.string().nullable(),
    isFree: z.boolean(),
    price: z.number().int(),
    isPublic: z.boolean(),
    memberCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Community' });

/** Post text is kept exactly as written (Markdown indentation matters), but may not be blank. */
const postText = z
  .string()
  .max(20000)
  .refine((v) => v.trim().length > 0, 'Must not be blank.')
  .meta({ description: 'Markdown, at most 20,000 characters (well within the 200 KB rich-text limit).' });

export const CreateThreadSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    content: postText,
    userId: id,
    pinned: z.boolean().optional(),
  })
  .meta({
    example: {
      title: 'Weekly Discussion: What did you learn this week?',
      content: 'Share your **wins**, challenges, and insights...',
      userId: 'usr_…',
      pinned: true,
    },
  });
export const UpdateThreadSchema = z
  .strictObject({ title: z.string().trim().min(1).max(200), content: postText, pinned: z.boolean() })
  .partial();

/** GET of one thread returns at most this many comments in its tree (responses are bounded). */
export const THREAD_COMMENTS_CAP = 1000;

const CommentBase = z.object({
  object: z.literal('comment'),
  id: z.string(),
  threadId: z.string(),
  parentId: z.string().nullable(),
  userId: z.string().nullable(),
  content: z.string(),
  contentHtml: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CommentTree = z.infer<typeof CommentBase> & { replies: CommentTree[] };
export const CommentSchema = CommentBase.meta({ id: 'Comment' });
/** Recursive: registered by id so the document refers to it by name (#/components/schemas/CommentTree). */
export const CommentTreeSchema: z.ZodType<CommentTree> = CommentBase.extend({
  replies: z.array(z.lazy(() => CommentTreeSchema)),
}).meta({ id: 'CommentTree' });

export const ThreadSchema = z
  .object({
    object: z.literal('thread'),
    id: z.string(),
    communityId: z.string(),
    userId: z.string().nullable(),
    title: z.string(),
    content: z.string(),
    contentHtml: z
      .string()
      .meta({ description: 'The content rendered from Markdown and sanitised: safe to insert as HTML.' }),
    pinned: z.boolean(),
    commentCount: z.number().int(),
    lastActivityAt: z.string(),
    comments: z
      .array(CommentTreeSchema)
      .optional()
      .meta({
        description: `GET of one thread: its comments as a tree, at most ${THREAD_COMMENTS_CAP} of them (the oldest; a reply is always newer than its parent, so whole branches are kept). When there are more, commentsTruncated is true and GET .../comments?cursor={commentsNextCursor} lists the rest, oldest first.`,
      }),
    commentsTruncated: z
      .boolean()
      .optional()
      .meta({
        description: `GET of one thread: true when the thread has more than ${THREAD_COMMENTS_CAP} comments and the tree holds only the oldest ${THREAD_COMMENTS_CAP}.`,
      }),
    commentsNextCursor: z.string().nullable().optional().meta({
      description:
        'GET of one thread: when commentsTruncated, the cursor for GET .../threads/{threadId}/comments that continues after the last comment in the tree; otherwise null.',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Thread' });

export const CreateCommentSchema = z
  .strictObject({ content: postText, userId: id, parentId: id.optional() })
  .meta({ example: { content: 'Great question!', userId: 'usr_…' } });
export const UpdateCommentSchema = z.strictObject({ content: postText });

export const AddMemberSchema = z.strictObject({
  userId: id,
  role: z.enum(['member', 'moderator', 'admin']).default('member'),
});
export const MemberSchema = z.object({
  object: z.literal('member'),
  userId: z.string(),
  role: z.string(),
  name: z.string(),
  email: z.string().nullable().meta({ description: 'null unless the caller holds students:read.' }),
  avatarUrl: z.string().nullable(),
  joinedAt: z.string(),
});

export const CreateCommunityMediaSchema = z.strictObject({
  type: z.enum(['video', 'file', 'image']),
  title: z.string().trim().min(1).max(255),
  url: HttpUrl,
  fileName: z.string().trim().min(1).max(255),
  fileSize: z.number().int().min(1),
  mimeType: z.string().max(255).optional(),
  thumbnailUrl: HttpUrl.optional(),
  duration: z.number().int().min(0).optional(),
  description: z.string().max(5000).optional(),
  userId: id,
});
export const CommunityMediaSchema = z.object({
  object: z.literal('community_media'),
  id: z.string(),
  communityId: z.string(),
  userId: z.string().nullable(),
  type: z.string(),
  title: z.string(),
  url: z.string(),
  fileName: z.string(),
  fileSize: z.number().int(),
  mimeType: z.string().nullable(),
  thumbnailUrl: z.string().nullable(),
  duration: z.number().int().nullable(),
  description: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const listOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), pagination: PaginationSchema });
export const PageQuerySchema = strictQuery({ ...PaginationQuerySchema.shape });
export const MediaQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  type: z.enum(['video', 'file', 'image']).optional(),
});
export const RemoveMemberQuerySchema = strictQuery({ userId: id });
export const CommunityParams = z.object({ id: z.string() });
export const ThreadParams = z.object({ id: z.string(), threadId: z.string() });
export const CommentParams = z.object({ id: z.string(), threadId: z.string(), commentId: z.string() });
