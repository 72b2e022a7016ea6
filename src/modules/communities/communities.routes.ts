import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AddMemberSchema,
  CommentParams,
  CommentSchema,
  CommunityMediaSchema,
  CommunityParams,
  CommunitySchema,
  CreateCommentSchema,
  CreateCommunityMediaSchema,
  CreateCommunitySchema,
  CreateThreadSchema,
  listOf,
  MediaQuerySchema,
  MemberSchema,
  PageQuerySchema,
  RemoveMemberQuerySchema,
  ThreadParams,
  ThreadSchema,
  UpdateCommentSchema,
  UpdateCommunitySchema,
  UpdateThreadSchema,
} from './communities.schemas.js';
import type { CommunityService } from './communities.service.js';

const read = { scopes: ['communities:read' as const] };
const write = { scopes: ['communities:write' as const] };
const tags = ['Communities'];

export default async function communityRoutes(
  app: FastifyInstance,
  { communities: svc }: { communities: CommunityService },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const school = (req: { principal: { schoolId: string } | null }) => req.principal!.schoolId;
  const ifMatch = (req: { headers: Record<string, unknown> }) => req.headers['if-match'] as string | undefined;

  r.post(
    '/communities',
    {
      schema: {
        operationId: 'createCommunity',
        tags,
        summary: 'Create a community',
        body: CreateCommunitySchema,
        response: { 201: CommunitySchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await svc.create(school(req), req.body);
      return reply.code(201).header('etag', etag).send(data);
    },
  );
  r.get(
    '/communities',
    {
      schema: {
        operationId: 'listCommunities',
        tags,
        summary: 'List communities',
        querystring: PageQuerySchema,
        response: { 200: listOf(CommunitySchema) },
      },
      config: read,
    },
    async (req) => svc.list(school(req), req.query),
  );
  r.get(
    '/communities/:id',
    {
      schema: {
        operationId: 'getCommunity',
        tags,
        summary: 'Get a community',
        params: CommunityParams,
        response: { 200: CommunitySchema },
      },
      config: read,
    },
    async (req, reply) => {
      const { data, etag } = await svc.get(school(req), req.params.id);
      return reply.header('etag', etag).send(data);
    },
  );
  r.patch(
    '/communities/:id',
    {
      schema: {
        operationId: 'updateCommunity',
        tags,
        summary: 'Update a community',
        params: CommunityParams,
        body: UpdateCommunitySchema,
        response: { 200: CommunitySchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await svc.update(school(req), req.params.id, req.body, ifMatch(req));
      return reply.header('etag', etag).send(data);
    },
  );
  r.delete(
    '/communities/:id',
    {
      schema: {
        operationId: 'deleteCommunity',
        tags,
        summary: 'Delete a community with its threads, comments, members and media',
        params: CommunityParams,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await svc.delete(school(req), req.params.id, ifMatch(req));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/communities/:id/members',
    {
      schema: {
        operationId: 'addMember',
        tags,
        summary: 'Add a member (409 already_member)',
        params: CommunityParams,
        body: AddMemberSchema,
        response: { 201: MemberSchema },
      },
      config: write,
    },
    async (req, reply) => reply.code(201).send(await svc.addMember(school(req), req.params.id, req.body)),
  );
  r.get(
    '/communities/:id/members',
    {
      schema: {
        operationId: 'listMembers',
        tags,
        summary: 'Members with name, email and avatar',
        params: CommunityParams,
        querystring: PageQuerySchema,
        response: { 200: listOf(MemberSchema) },
      },
      config: read,
    },
    async (req) => svc.members(school(req), req.params.id, req.query),
  );
  r.delete(
    '/communities/:id/members',
    {
      schema: {
        operationId: 'removeMember',
        tags,
        summary: 'Remove a member (?userId=); their posts stay',
        params: CommunityParams,
        querystring: RemoveMemberQuerySchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await svc.removeMember(school(req), req.params.id, req.query.userId);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/communities/:id/threads',
    {
      schema: {
        operationId: 'createThread',
        tags,
        summary: 'Start a thread',
        params: CommunityParams,
        body: CreateThreadSchema,
        response: { 201: ThreadSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await svc.createThread(school(req), req.params.id, req.body);
      return reply.code(201).header('etag', etag).send(data);
    },
  );
  r.get(
    '/communities/:id/threads',
    {
      schema: {
        operationId: 'listThreads',
        tags,
        summary: 'Threads, pinned first, then newest',
        params: CommunityParams,
        querystring: PageQuerySchema,
        response: { 200: listOf(ThreadSchema) },
      },
      config: read,
    },
    async (req) => svc.threads(school(req), req.params.id, req.query),
  );
  r.get(
    '/communities/:id/threads/:threadId',
    {
      schema: {
        operationId: 'getThread',
        tags,
        summary: 'A thread with all its comments as a tree',
        params: ThreadParams,
        response: { 200: ThreadSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const { data, etag } = await svc.thread(school(req), req.params.id, req.params.threadId);
      return reply.header('etag', etag).send(data);
    },
  );
  r.patch(
    '/communities/:id/threads/:threadId',
    {
      schema: {
        operationId: 'updateThread',
        tags,
        summary: 'Edit, pin or unpin a thread',
        params: ThreadParams,
        body: UpdateThreadSchema,
        response: { 200: ThreadSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await svc.updateThread(
        school(req),
        req.params.id,
        req.params.threadId,
        req.body,
        ifMatch(req),
      );
      return reply.header('etag', etag).send(data);
    },
  );
  r.delete(
    '/communities/:id/threads/:threadId',
    {
      schema: {
        operationId: 'deleteThread',
        tags,
        summary: 'Delete a thread and its comments',
        params: ThreadParams,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await svc.deleteThread(school(req), req.params.id, req.params.threadId, ifMatch(req));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/communities/:id/threads/:threadId/comments',
    {
      schema: {
        operationId: 'createComment',
        tags,
        summary: 'Comment or reply (parentId)',
        params: ThreadParams,
        body: CreateCommentSchema,
        response: { 201: CommentSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await svc.createComment(school(req), req.params.id, req.params.threadId, req.body);
      return reply.code(201).header('etag', etag).send(data);
    },
  );
  r.get(
    '/communities/:id/threads/:threadId/comments',
    {
      schema: {
        operationId: 'listComments',
        tags,
        summary: 'Comments, oldest first',
        params: ThreadParams,
        querystring: PageQuerySchema,
        response: { 200: listOf(CommentSchema) },
      },
      config: read,
    },
    async (req) => svc.comments(school(req), req.params.id, req.params.threadId, req.query),
  );
  r.patch(
    '/communities/:id/threads/:threadId/comments/:commentId',
    {
      schema: {
        operationId: 'updateComment',
        tags,
        summary: 'Edit a comment',
        params: CommentParams,
        body: UpdateCommentSchema,
        response: { 200: CommentSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await svc.updateComment(
        school(req),
        req.params.id,
        req.params.threadId,
        req.params.commentId,
        req.body.content,
        ifMatch(req),
      );
      return reply.header('etag', etag).send(data);
    },
  );
  r.delete(
    '/communities/:id/threads/:threadId/comments/:commentId',
    {
      schema: {
        operationId: 'deleteComment',
        tags,
        summary: 'Delete a comment and its replies',
        params: CommentParams,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await svc.deleteComment(school(req), req.params.id, req.params.threadId, req.params.commentId, ifMatch(req));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/communities/:id/media',
    {
      schema: {
        operationId: 'addCommunityMedia',
        tags,
        summary: 'Add a video, file or image',
        params: CommunityParams,
        body: CreateCommunityMediaSchema,
        response: { 201: CommunityMediaSchema },
      },
      config: write,
    },
    async (req, reply) => reply.code(201).send(await svc.addMedia(school(req), req.params.id, req.body)),
  );
  r.get(
    '/communities/:id/media',
    {
      schema: {
        operationId: 'listCommunityMedia',
        tags,
        summary: 'Media (?type=video|file|image)',
        params: CommunityParams,
        querystring: MediaQuerySchema,
        response: { 200: listOf(CommunityMediaSchema) },
      },
      config: read,
    },
    async (req) => svc.media(school(req), req.params.id, req.query),
  );
}
