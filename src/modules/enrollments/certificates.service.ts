import type { Db } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import { AppError, notFound } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import type { CourseService } from '../courses/courses.service.js';
import { type CredentialService, STATUS_LIST_SIZE } from '../credentials/credentials.service.js';
import type { EventService } from '../events/events.service.js';
import type { UserService } from '../users/users.service.js';
import { renderOffThread } from './certificate-pdf.js';
import * as repo from './certificates.repo.js';

type Deps = {
  db: Db;
  publicUrl: string;
  credentials: CredentialService;
  users: UserService;
  courses: CourseService;
  events: EventService;
  now?: () => Date;
};

/**
 * Certificates of completion: listed, fetched, rendered as PDF, verified publicly by code, issued
 * as Open Badges 3.0 credentials, and revoked (API.md §2 "Certificates anyone can verify").
 */
export function createCertificateService({ db, publicUrl, credentials, users, courses, events, now }: Deps) {
  const clock = now ?? (() => new Date());
  const verifyUrl = (code: string) => `${publicUrl}/api/v1/verify/${code}`;
  const present = (r: repo.CertificateRow) => ({
    object: 'certificate' as const,
    id: r.id,
    code: r.code,
    verifyUrl: verifyUrl(r.code),
    studentId: r.studentId,
    courseId: r.courseId,
    studentName: r.studentName,
    courseTitle: r.courseTitle,
    schoolName: r.schoolName,
    issuedAt: r.issuedAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revocationReason: r.revocationReason,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  });

  async function find(schoolId: string, id: string) {
    const row = isId('certificate', id) ? await repo.findCertificate(db, schoolId, id) : undefined;
    if (!row) throw notFound('Certificate');
    return row;
  }

  async function findByCode(code: string) {
    const row = await repo.findCertificateByCode(db, code);
    if (!row) throw notFound('Certificate');
    return row;
  }

  /** The signed OpenBadgeCredential: the learner's email (hashed) and the course description read now. */
  async function openBadge(row: repo.CertificateRow) {
    const { email, description } = await db.transaction(async (tx) => {
      const student = row.studentId ? await users.read(tx, row.schoolId, row.studentId) : undefined;
      const course = row.courseId ? await courses.read(tx, row.schoolId, row.courseId) : undefined;
      return { email: student?.email ?? null, description: course?.shortDescription ?? null };
    });
    return credentials.openBadge({
      schoolId: row.schoolId,
      certificateId: row.id,
      code: row.code,
      courseId: row.courseId,
      studentName: row.studentName,
      studentEmail: email,
      courseTitle: row.courseTitle,
      courseDescription: description,
      schoolName: row.schoolName,
      issuedAt: row.issuedAt,
      statusIndex: row.statusIndex,
    });
  }

  return {
    /** The certificate as GET /certificates/{id} returns it (the certificate.issued event's object). */
    present,

    async list(
      schoolId: string,
      query: Parameters<typeof toListRequest>[0] & { studentId?: string | undefined; courseId?: string | undefined },
    ) {
      const req = toListRequest(query, ['createdAt'], '-createdAt');
      const { rows, total } = await repo.listCertificates(
        db,
        schoolId,
        { studentId: query.studentId, courseId: query.courseId },
        req,
      );
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.createdAt));
      return { data: items.map(present), pagination };
    },

    async get(schoolId: string, id: string) {
      return present(await find(schoolId, id));
    },

    /** Public verification: only what the certificate states, nothing else about the student. */
    async verify(code: string) {
      const row = await findByCode(code);
      return {
        valid: row.revokedAt === null,
        code: row.code,
        studentName: row.studentName,
        courseTitle: row.courseTitle,
        schoolName: row.schoolName,
        issuedAt: row.issuedAt.toISOString(),
        revokedAt: row.revokedAt?.toISOString() ?? null,
        reason: row.revocationReason,
      };
    },

    /** A one-page landscape A4 PDF in the fonts of every script on it, with a QR code of `verifyUrl`. */
    async pdf(schoolId: string, id: string): Promise<Uint8Array> {
      const row = await find(schoolId, id);
      return renderOffThread({
        schoolName: row.schoolName,
        studentName: row.studentName,
        courseTitle: row.courseTitle,
        issuedAt: row.issuedAt,
        code: row.code,
        verifyUrl: verifyUrl(row.code),
        revokedAt: row.revokedAt,
      });
    },

    /** The certificate's OpenBadgeCredential as a VC-JOSE JWT (school-scoped). */
    async credential(schoolId: string, id: string): Promise<string> {
      return (await openBadge(await find(schoolId, id))).jwt;
    },

    /** The same, public: the verification code names the certificate. */
    async credentialByCode(code: string): Promise<string> {
      return (await openBadge(await findByCode(code))).jwt;
    },

    /**
     * Revokes for good: a second revoke is `409 conflict` (the first reason and time stay). The
     * event is recorded in the same transaction; the enrollment gets no new certificate.
     */
    async revoke(schoolId: string, id: string, reason: string) {
      await find(schoolId, id);
      return db.transaction(async (tx) => {
        const row = await repo.revokeCertificate(tx, schoolId, id, { revokedAt: clock(), revocationReason: reason });
        if (!row) {
          if (!(await repo.findCertificate(tx, schoolId, id))) throw notFound('Certificate');
          throw new AppError('conflict', 'The certificate is already revoked.');
        }
        const certificate = present(row);
        await events.record(tx, { schoolId, type: 'certificate.revoked', object: certificate });
        return certificate;
      });
    },

    /**
     * The school's status list `listId` (from 1) as a BitstringStatusListCredential JWT; a list
     * exists once the school has issued a certificate with an index in it.
     */
    async statusList(schoolId: string, listId: string): Promise<string> {
      const n = /^[1-9][0-9]{0,5}$/.test(listId) ? Number(listId) : 0;
      const used = isId('school', schoolId) ? await repo.statusIndexesUsed(db, schoolId) : 0;
      if (n === 0 || (n - 1) * STATUS_LIST_SIZE >= used) throw notFound('Status list');
      const from = (n - 1) * STATUS_LIST_SIZE;
      const revoked = await repo.revokedIndexes(db, schoolId, from, from + STATUS_LIST_SIZE);
      return credentials.statusList(schoolId, n, revoked);
    },
  };
}
export type CertificateService = ReturnType<typeof createCertificateService>;
