import { defineOperation } from '../../operations/operation.js';
import { IssuerParamsSchema, IssuerProfileSchema, JwksSchema } from './credentials.schemas.js';

const tags = ['Certificates'];

/**
 * The public face of each school as an Open Badges issuer: what a verifier fetches to check a
 * credential. No key; nothing but the school's name, its address and its public keys.
 */
export const credentialOperations = [
  defineOperation({
    operationId: 'getIssuer',
    method: 'GET',
    path: '/issuers/:schoolId',
    tags,
    summary: 'The school as an Open Badges issuer (public, no key)',
    description: 'An Open Badges 3.0 `Profile`: the `issuer.id` of every credential the school signs.',
    auth: 'none',
    scopes: [],
    params: IssuerParamsSchema,
    responses: { 200: IssuerProfileSchema },
    async run({ services }, { params }) {
      return { body: await services.credentials.profile(params.schoolId) };
    },
  }),
  defineOperation({
    operationId: 'getIssuerJwks',
    method: 'GET',
    path: '/issuers/:schoolId/jwks.json',
    tags,
    summary: "The school's public signing keys (public, no key)",
    description:
      'A JSON Web Key Set with the Ed25519 key whose `kid` the credential and status-list JWTs name. The private key never leaves the server.',
    auth: 'none',
    scopes: [],
    params: IssuerParamsSchema,
    responses: { 200: JwksSchema },
    async run({ services }, { params }) {
      return { body: await services.credentials.jwks(params.schoolId) };
    },
  }),
];
