import { createHash, createPrivateKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import type { Db } from '../../db/client.js';
import { AppError, notFound } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import type { SchoolService } from '../schools/schools.service.js';
import type { SecretBox } from '../webhooks/secret-box.js';
import * as repo from './credentials.repo.js';
import type { IssuerProfile, Jwks } from './credentials.schemas.js';

/** Entries per status list: 16 KB of bits, the minimum the W3C Bitstring Status List asks for (privacy). */
export const STATUS_LIST_SIZE = 131_072;
export const VC_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
export const OB3_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const OB3_SCHEMA =
  'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';
export const CRITERIA_NARRATIVE = 'Completed every lesson of the course.';

/** What an Open Badges credential states about one certificate. */
export type BadgeInput = {
  schoolId: string;
  certificateId: string;
  code: string;
  courseId: string | null;
  studentName: string;
  /** Only hashed into the credential (salted), never printed; null once the student was deleted. */
  studentEmail: string | null;
  courseTitle: string;
  courseDescription: string | null;
  schoolName: string;
  issuedAt: Date;
  statusIndex: number;
};

type SigningKey = { kid: string; privateKey: KeyObject; publicJwk: JWK };

/**
 * Open Badges 3.0 credentials (API.md §2 "Certificates anyone can verify"): each school is an
 * issuer with its own Ed25519 key (made on first use, the private half sealed in the database and
 * never answered), credentials and status lists are VC-JOSE JWTs signed with it.
 */
export function createCredentialService({
  db,
  publicUrl,
  secrets,
  schools,
}: {
  db: Db;
  publicUrl: string;
  secrets: SecretBox;
  schools: SchoolService;
}) {
  const api = `${publicUrl}/api/v1`;
  const issuerId = (schoolId: string) => `${api}/issuers/${schoolId}`;
  const statusListUrl = (schoolId: string, listId: number) => `${issuerId(schoolId)}/status/${listId}`;

  // A school's key never changes, so the opened key is kept (one per school that issued).
  const keys = new Map<string, Promise<SigningKey>>();

  async function loadKey(schoolId: string): Promise<SigningKey> {
    let row = await repo.findIssuerKey(db, schoolId);
    if (!row) {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
      const kid = await calculateJwkThumbprint(publicJwk as JWK);
      await repo.insertIssuerKey(db, schoolId, {
        kid,
        publicJwk,
        privateJwkSealed: await secrets.seal(JSON.stringify(privateKey.export({ format: 'jwk' }))),
      });
      // Another instance may have stored its key first: the stored one is the school's key.
      row = await repo.findIssuerKey(db, schoolId);
      if (!row) throw new Error('the issuer key was neither stored nor found');
    }
    const privateJwk = JSON.parse(await secrets.open(row.privateJwkSealed)) as JsonWebKey;
    const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
    return { kid: row.kid, privateKey, publicJwk: row.publicJwk as JWK };
  }

  function signingKey(schoolId: string): Promise<SigningKey> {
    let key = keys.get(schoolId);
    if (!key) {
      key = loadKey(schoolId).catch((err: unknown) => {
        keys.delete(schoolId);
        throw err;
      });
      keys.set(schoolId, key);
    }
    return key;
  }

  /** A VC-JOSE JWT: the credential is the payload; iss, nbf and jti repeat its issuer, validFrom and id. */
  async function sign(schoolId: string, credential: Record<string, unknown> & { id: string; validFrom: string }) {
    const key = await signingKey(schoolId);
    return new SignJWT(credential)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'vc+jwt', cty: 'vc' })
      .setIssuer(issuerId(schoolId))
      .setJti(credential.id)
      .setNotBefore(Math.floor(Date.parse(credential.validFrom) / 1000))
      .setIssuedAt()
      .sign(key.privateKey);
  }

  /** The school, or 404 — public routes name a school by id, so no other school's data can answer. */
  async function school(schoolId: string) {
    if (!isId('school', schoolId)) throw notFound('Issuer');
    try {
      return (await schools.get(schoolId)).data;
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') throw notFound('Issuer');
      throw err;
    }
  }

  return {
    issuerId,
    statusListUrl,

    /** The issuer as an OB3 Profile: the school's name and the address it is served from. */
    async profile(schoolId: string): Promise<IssuerProfile> {
      const { name } = await school(schoolId);
      return {
        '@context': [VC_CONTEXT, OB3_CONTEXT],
        id: issuerId(schoolId),
        type: ['Profile'],
        name,
        url: publicUrl,
      };
    },

    /** The school's public key(s); asking makes the key if the school has none yet. */
    async jwks(schoolId: string): Promise<Jwks> {
      await school(schoolId);
      const { kid, publicJwk } = await signingKey(schoolId);
      return {
        keys: [
          {
            kty: String(publicJwk.kty),
            crv: String(publicJwk.crv),
            x: String(publicJwk.x),
            kid,
            alg: 'EdDSA',
            use: 'sig',
          },
        ],
      };
    },

    /** The OpenBadgeCredential of a certificate, and the same signed as a VC-JOSE JWT. */
    async openBadge(input: BadgeInput) {
      const listId = Math.floor(input.statusIndex / STATUS_LIST_SIZE) + 1;
      const listUrl = statusListUrl(input.schoolId, listId);
      const listIndex = String(input.statusIndex % STATUS_LIST_SIZE);
      // A salt per certificate: the same email hashes differently in each credential.
      const salt = createHash('sha256').update(`identity salt ${input.certificateId}`).digest('hex').slice(0, 32);
      const identityHash = (email: string) =>
        `sha256$${createHash('sha256').update(`${email}${salt}`, 'utf8').digest('hex')}`;
      const credential = {
        '@context': [VC_CONTEXT, OB3_CONTEXT],
        id: `${api}/verify/${input.code}/credential`,
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        name: input.courseTitle,
        issuer: { id: issuerId(input.schoolId), type: ['Profile'], name: input.schoolName, url: publicUrl },
        validFrom: input.issuedAt.toISOString(),
        credentialSubject: {
          // OB3 wants an id or an identifier: an opaque one per credential (still there when the
          // student's account, and so the email, is gone), which links no two credentials.
          id: `urn:syllabus:learner:${input.certificateId}`,
          type: ['AchievementSubject'],
          name: input.studentName,
          ...(input.studentEmail
            ? {
                identifier: [
                  {
                    type: 'IdentityObject',
                    identityHash: identityHash(input.studentEmail),
                    identityType: 'emailAddress',
                    hashed: true,
                    salt,
                  },
                ],
              }
            : {}),
          achievement: {
            id: `urn:syllabus:achievement:${input.courseId ?? input.certificateId}`,
            type: ['Achievement'],
            achievementType: 'Certificate',
            name: input.courseTitle,
            description: input.courseDescription?.trim() || `Completion of the course “${input.courseTitle}”.`,
            criteria: { narrative: CRITERIA_NARRATIVE },
          },
        },
        credentialStatus: {
          id: `${listUrl}#${listIndex}`,
          type: 'BitstringStatusListEntry',
          statusPurpose: 'revocation',
          statusListIndex: listIndex,
          statusListCredential: listUrl,
        },
        credentialSchema: [{ id: OB3_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }],
      };
      return { credential, jwt: await sign(input.schoolId, credential) };
    },

    /**
     * The school's status list `listId` as a BitstringStatusListCredential JWT: bit i (from the
     * left of the first byte) is set when the certificate at index i of the list is revoked;
     * the bits are gzipped and base64url-encoded with the multibase prefix `u`.
     */
    async statusList(schoolId: string, listId: number, revoked: number[]): Promise<string> {
      await school(schoolId);
      const bits = Buffer.alloc(STATUS_LIST_SIZE / 8);
      const offset = (listId - 1) * STATUS_LIST_SIZE;
      for (const index of revoked) {
        const i = index - offset;
        if (i >= 0 && i < STATUS_LIST_SIZE) bits[i >> 3]! |= 0x80 >> (i & 7);
      }
      const url = statusListUrl(schoolId, listId);
      return sign(schoolId, {
        '@context': [VC_CONTEXT],
        id: url,
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: issuerId(schoolId),
        validFrom: new Date().toISOString(),
        credentialSubject: {
          id: `${url}#list`,
          type: 'BitstringStatusList',
          statusPurpose: 'revocation',
          encodedList: `u${gzipSync(bits).toString('base64url')}`,
        },
      });
    },
  };
}
export type CredentialService = ReturnType<typeof createCredentialService>;
