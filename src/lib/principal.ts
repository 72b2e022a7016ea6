export type UserRole = 'owner' | 'admin' | 'instructor' | 'student' | 'bot';

/** Who is making a request: always exactly one school, plus what the credentials allow. */
export type Principal = {
  schoolId: string;
  /** The school's rate-limit override, or null for the global default. */
  rateLimitPerMinute: number | null;
  permissions: readonly string[];
} & (
  | { via: 'key'; keyId: string }
  | { via: 'session'; userId: string; role: UserRole; expiresAt: Date }
  /** A learner token (`slt_…`): acts as one student, on the /me routes only; `permissions` is empty. */
  | { via: 'learner'; tokenId: string; studentId: string; expiresAt: Date }
);
