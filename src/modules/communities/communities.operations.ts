import { emailVisibility } from '../../lib/email-visibility.js';
import { defineOperation } from '../../operations/operation.js';
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

const read = ['communities:read' as const];
const write = ['communities:write' as const];
const tags = ['Communities'];

const communityCrud = [
  defineOperation({
    operationId: 'createCommunity',
    method: 'POST',
    path: '/communities',
    tags,
    summary: 'Create a community',
    scopes: write,
    body: CreateCommunitySchema,
    responses: { 201: CommunitySchema },
    errors: ['duplicate_slug'],
    async run({ principal, services }, { body }) {
      const { data, etag } = await services.communities.create(principal.schoolId, body);
      return { status: 201, body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'listCommunities',
    method: 'GET',
    path: '/communities',
    tags,
    summary: 'List communities',
    scopes: read,
    query: PageQuerySchema,
    responses: { 200: listOf(CommunitySchema) },
    async run({ principal, services }, { query }) {
      return { body: await services.communities.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getCommunity',
    method: 'GET',
    path: '/communities/:id',
    tags,
    summary: 'Get a community',
    scopes: read,
    params: CommunityParams,
    responses: { 200: CommunitySchema },
    async run({ principal, services }, { params }) {
      const { data, etag } = await services.communities.get(principal.schoolId, params.id);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'updateCommunity',
    method: 'PATCH',
    path: '/communities/:id',
    tags,
    summary: 'Update a community',
    scopes: write,
    params: CommunityParams,
    body: UpdateCommunitySchema,
    responses: { 200: CommunitySchema },
    errors: ['duplicate_slug'],
    async run({ principal, services, ifMatch }, { params, body }) {
      const { data, etag } = await services.communities.update(principal.schoolId, params.id, body, ifMatch);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'deleteCommunity',
    method: 'DELETE',
    path: '/communities/:id',
    tags,
    summary: 'Delete a community with its threads, comments, members and media',
    scopes: write,
    params: CommunityParams,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      await services.communities.delete(principal.schoolId, params.id, ifMatch);
      return { status: 204, body: null };
    },
  }),
];

const memberOperations = [
  defineOperation({
    operationId: 'addMember',
    method: 'POST',
    path: '/communities/:id/members',
    tags,
    summary: 'Add a member (409 already_member)',
    description: 'The answer shows the email only to callers holding students:read.',
    scopes: write,
    params: CommunityParams,
    body: AddMemberSchema,
    responses: { 201: MemberSchema },
    errors: ['already_member'],
    async run({ principal, services }, { params, body }) {
      const schoolId = principal.schoolId;
      return {
        status: 201,
        body: await services.communities.addMember(schoolId, params.id, body, emailVisibility(principal)),
      };
    },
  }),
  defineOperation({
    operationId: 'listMembers',
    method: 'GET',
    path: '/communities/:id/members',
    tags,
    summary: 'Members with name, email and avatar',
    description: 'Emails are null unless the caller holds students:read.',
    scopes: read,
    params: CommunityParams,
    query: PageQuerySchema,
    responses: { 200: listOf(MemberSchema) },
    async run({ principal, services }, { params, query }) {
      const schoolId = principal.schoolId;
      return { body: await services.communities.members(schoolId, params.id, query, emailVisibility(principal)) };
    },
  }),
  defineOperation({
    operationId: 'removeMember',
    method: 'DELETE',
    path: '/communities/:id/members',
    tags,
    summary: 'Remove a member (?userId=); their posts stay',
    scopes: write,
    params: CommunityParams,
    query: RemoveMemberQuerySchema,
    responses: { 204: null },
    async run({ principal, services }, { params, query }) {
      await services.communities.removeMember(principal.schoolId, params.id, query.userId);
      return { status: 204, body: null };
    },
  }),
];

const threadOperations = [
  defineOperation({
    operationId: 'createThread',
    method: 'POST',
    path: '/communities/:id/threads',
    tags,
    summary: 'Start a thread',
    scopes: write,
    params: CommunityParams,
    body: CreateThreadSchema,
    responses: { 201: ThreadSchema },
    async run({ principal, services }, { params, body }) {
      const { data, etag } = await services.communities.createThread(principal.schoolId, params.id, body);
      return { status: 201, body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'listThreads',
    method: 'GET',
    path: '/communities/:id/threads',
    tags,
    summary: 'Threads, pinned first, then newest',
    scopes: read,
    params: CommunityParams,
    query: PageQuerySchema,
    responses: { 200: listOf(ThreadSchema) },
    async run({ principal, services }, { params, query }) {
      return { body: await services.communities.threads(principal.schoolId, params.id, query) };
    },
  }),
  defineOperation({
    operationId: 'getThread',
    method: 'GET',
    path: '/communities/:id/threads/:threadId',
    tags,
    summary: 'A thread with all its comments as a tree',
    scopes: read,
    params: ThreadParams,
    responses: { 200: ThreadSchema },
    async run({ principal, services }, { params }) {
      const { data, etag } = await services.communities.thread(principal.schoolId, params.id, params.threadId);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'updateThread',
    method: 'PATCH',
    path: '/communities/:id/threads/:threadId',
    tags,
    summary: 'Edit, pin or unpin a thread',
    scopes: write,
    params: ThreadParams,
    body: UpdateThreadSchema,
    responses: { 200: ThreadSchema },
    async run({ principal, services, ifMatch }, { params, body }) {
      const { id, threadId } = params;
      const { data, etag } = await services.communities.updateThread(principal.schoolId, id, threadId, body, ifMatch);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'deleteThread',
    method: 'DELETE',
    path: '/communities/:id/threads/:threadId',
    tags,
    summary: 'Delete a thread and its comments',
    scopes: write,
    params: ThreadParams,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      await services.communities.deleteThread(principal.schoolId, params.id, params.threadId, ifMatch);
      return { status: 204, body: null };
    },
  }),
];

const commentOperations = [
  defineOperation({
    operationId: 'createComment',
    method: 'POST',
    path: '/communities/:id/threads/:threadId/comments',
    tags,
    summary: 'Comment or reply (parentId)',
    scopes: write,
    params: ThreadParams,
    body: CreateCommentSchema,
    responses: { 201: CommentSchema },
    async run({ principal, services }, { params, body }) {
      const { id, threadId } = params;
      const { data, etag } = await services.communities.createComment(principal.schoolId, id, threadId, body);
      return { status: 201, body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'listComments',
    method: 'GET',
    path: '/communities/:id/threads/:threadId/comments',
    tags,
    summary: 'Comments, oldest first',
    scopes: read,
    params: ThreadParams,
    query: PageQuerySchema,
    responses: { 200: listOf(CommentSchema) },
    async run({ principal, services }, { params, query }) {
      return { body: await services.communities.comments(principal.schoolId, params.id, params.threadId, query) };
    },
  }),
  defineOperation({
    operationId: 'updateComment',
    method: 'PATCH',
    path: '/communities/:id/threads/:threadId/comments/:commentId',
    tags,
    summary: 'Edit a comment',
    scopes: write,
    params: CommentParams,
    body: UpdateCommentSchema,
    responses: { 200: CommentSchema },
    async run({ principal, services, ifMatch }, { params, body }) {
      const { id, threadId, commentId } = params;
      const { data, etag } = await services.communities.updateComment(
        principal.schoolId,
        id,
        threadId,
        commentId,
        body.content,
        ifMatch,
      );
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'deleteComment',
    method: 'DELETE',
    path: '/communities/:id/threads/:threadId/comments/:commentId',
    tags,
    summary: 'Delete a comment and its replies',
    scopes: write,
    params: CommentParams,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      const { id, threadId, commentId } = params;
      await services.communities.deleteComment(principal.schoolId, id, threadId, commentId, ifMatch);
      return { status: 204, body: null };
    },
  }),
];

const mediaOperations = [
  defineOperation({
    operationId: 'addCommunityMedia',
    method: 'POST',
    path: '/communities/:id/media',
    tags,
    summary: 'Add a video, file or image',
    scopes: write,
    params: CommunityParams,
    body: CreateCommunityMediaSchema,
    responses: { 201: CommunityMediaSchema },
    async run({ principal, services }, { params, body }) {
      return { status: 201, body: await services.communities.addMedia(principal.schoolId, params.id, body) };
    },
  }),
  defineOperation({
    operationId: 'listCommunityMedia',
    method: 'GET',
    path: '/communities/:id/media',
    tags,
    summary: 'Media (?type=video|file|image)',
    scopes: read,
    params: CommunityParams,
    query: MediaQuerySchema,
    responses: { 200: listOf(CommunityMediaSchema) },
    async run({ principal, services }, { params, query }) {
      return { body: await services.communities.media(principal.schoolId, params.id, query) };
    },
  }),
];

/** Communities with their members, threads, comments and media (API.md §6). */
export const communityOperations = [
  ...communityCrud,
  ...memberOperations,
  ...threadOperations,
  ...commentOperations,
  ...mediaOperations,
];
