/**
 * The layering rules of docs/architecture.md, checked over the source text (grep-level, through
 * the TypeScript parser so comments never count):
 * - services hold rules and transactions, never SQL: no query builder calls, raw `sql`, or tables;
 * - a module reaches another module through its service, never its repo;
 * - every repo function that runs a statement takes `schoolId` and uses it, except the few that
 *   are global by nature (listed below with the reason).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const MODULES = path.join(SRC, 'modules');
/** The job queue's code: its SQL lives in *.repo.ts too, and runs across schools only where allowed. */
const JOBS = path.join(SRC, 'jobs');

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
const sourceFiles = walk(MODULES).filter((f) => f.endsWith('.ts'));
const jobFiles = walk(JOBS).filter((f) => f.endsWith('.ts'));
const rel = (f: string) => path.relative(SRC, f);

const printer = ts.createPrinter({ removeComments: true });
const parse = (file: string) =>
  ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
/** Code without comments, so a comment that mentions `db.select` is not a finding. */
const codeOf = (node: ts.Node, sf: ts.SourceFile) => printer.printNode(ts.EmitHint.Unspecified, node, sf);

// ---------- (a) no SQL in services ----------

const SQL_IN_SERVICE: [RegExp, string][] = [
  [/\b(db|tx)\s*\.\s*(select|selectDistinct|insert|update|delete|execute|query|\$count)\b/, 'a query on db/tx'],
  [/\bsql\s*`/, 'a raw sql`…` template'],
  [/\bsql\.(raw|join)\(/, 'raw SQL'],
  [/(?<!\b(?:Buffer|Readable|Array|Uint8Array))\.from\(/, 'a .from( of a query'],
  [/\.(innerJoin|leftJoin|onConflictDoNothing|onConflictDoUpdate|returning)\(/, 'a query builder call'],
];

describe('services hold rules, not SQL', () => {
  const services = sourceFiles.filter((f) => f.endsWith('.service.ts'));

  it('finds the services', () => {
    expect(services.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of services) {
    it(rel(file), () => {
      const sf = parse(file);
      const problems: string[] = [];
      for (const stmt of sf.statements) {
        if (ts.isImportDeclaration(stmt)) {
          const from = (stmt.moduleSpecifier as ts.StringLiteral).text;
          const typeOnly =
            stmt.importClause?.isTypeOnly ||
            (stmt.importClause?.namedBindings &&
              ts.isNamedImports(stmt.importClause.namedBindings) &&
              stmt.importClause.namedBindings.elements.every((e) => e.isTypeOnly));
          if (from === 'drizzle-orm' || from.startsWith('drizzle-orm/'))
            problems.push(`imports ${from} (build queries in a repo)`);
          if (/\/db\/schema(\/|\.js$|$)/.test(from) && !typeOnly)
            problems.push(`imports tables from ${from} (only types may be imported)`);
          continue;
        }
        const code = codeOf(stmt, sf);
        for (const [pattern, what] of SQL_IN_SERVICE) {
          const m = pattern.exec(code);
          if (m) problems.push(`${what}: …${code.slice(Math.max(0, m.index - 30), m.index + 40)}…`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('jobs code keeps its SQL in repo files', () => {
  const code = jobFiles.filter((f) => !f.endsWith('.repo.ts'));

  it('finds the jobs code', () => {
    expect(code.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['tasks.ts', 'queue.ts']));
  });

  for (const file of code) {
    it(rel(file), () => {
      const sf = parse(file);
      const problems: string[] = [];
      for (const stmt of sf.statements) {
        if (ts.isImportDeclaration(stmt)) {
          const from = (stmt.moduleSpecifier as ts.StringLiteral).text;
          if (from === 'drizzle-orm' || from.startsWith('drizzle-orm/')) problems.push(`imports ${from}`);
          if (/\/modules\/[^/]+\/[^/]+\.repo\.js$/.test(from)) problems.push(`imports a module's repo: ${from}`);
          continue;
        }
        const text = codeOf(stmt, sf);
        for (const [pattern, what] of SQL_IN_SERVICE) {
          const m = pattern.exec(text);
          if (m) problems.push(`${what}: …${text.slice(Math.max(0, m.index - 30), m.index + 40)}…`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
});

// ---------- cross-module imports ----------

describe('a module calls another module through its service, never its repo', () => {
  for (const file of sourceFiles) {
    const own = path.relative(MODULES, file).split(path.sep)[0];
    const sf = parse(file);
    const foreignRepos = sf.statements
      .filter(ts.isImportDeclaration)
      .map((s) => (s.moduleSpecifier as ts.StringLiteral).text)
      .filter((from) => from.endsWith('.repo.js'))
      .map((from) => path.relative(MODULES, path.resolve(path.dirname(file), from)).split(path.sep)[0])
      .filter((module) => module !== own);
    if (foreignRepos.length) {
      it(rel(file), () => {
        expect(foreignRepos).toEqual([]);
      });
    }
  }
  it('checks every module file', () => {
    expect(sourceFiles.length).toBeGreaterThan(30);
  });
});

// ---------- (b) repo functions are scoped by school ----------

/**
 * Repo functions that run a statement without a school, each global by nature. Keyed
 * `module/file.repo.ts:function` (object members as `object.member`).
 */
const GLOBAL_BY_NATURE: Record<string, string> = {
  'api-keys/api-keys.repo.ts:findApiKeyByHash': 'authentication: the key is what names the school',
  'api-keys/api-keys.repo.ts:notifyAuthChange': 'pg_notify to other instances; touches no table',
  'learners/learner-tokens.repo.ts:findLearnerTokenByHash':
    'authentication: the learner token is what names the school',
  'auth/auth.repo.ts:findLiveSession': 'authentication: the session token is what names the school',
  'auth/auth.repo.ts:deleteSession': 'logout runs without a principal; the token alone names the session',
  'auth/auth.repo.ts:deleteExpiredSessions': 'a purge of expired sessions across schools',
  'schools/schools.repo.ts:insertSchool': 'creates the tenant itself (its id becomes the schoolId)',
  'schools/schools.repo.ts:countSchools': 'first start: whether the instance has any school',
  'schools/schools.repo.ts:lockBootstrap': 'an advisory lock for first start; touches no table',
  'users/users.repo.ts:findUsersByEmail': 'login finds the school from the email (across schools)',
  'enrollments/certificates.repo.ts:findCertificateByCode':
    'public certificate verification: anyone with the code, no principal and no school',
  'communities/communities.repo.ts:member.add':
    'community_members has no school_id and an insert no WHERE; the service has found the community and the user in the school',
  'media/media.repo.ts:findAbandonedUploadsEverywhere':
    'the scheduled expiry of abandoned uploads: a purge across schools (each expiry is then written per school)',
  // src/jobs (keys relative to src/): the queue and the scheduled jobs work across schools by nature.
  'jobs/queue.repo.ts:addJob': "graphile-worker's queue is one for the instance; the payload names the school",
  'jobs/queue.repo.ts:addJobs': "graphile-worker's queue is one for the instance; each payload names the school",
  'jobs/queue.repo.ts:countJobs': 'tests and the bench wait for the whole queue to drain',
  'jobs/maintenance.repo.ts:purgeIdempotencyKeys': 'a purge across schools (rows past 24 h)',
  'jobs/maintenance.repo.ts:purgeEvents': 'a purge across schools (events past the retention)',
  'jobs/maintenance.repo.ts:staleFanOuts': 'the sweep finds work a crashed worker left, whoever owns it',
  'jobs/maintenance.repo.ts:staleDeliveries': 'the sweep finds work a crashed worker left, whoever owns it',
};

/** A call that sends a statement (or builds one that is sent by the caller). */
// `execute<Row>(` counts too (a type argument must not hide a statement).
const STATEMENT = /\.(select|selectDistinct|insert|update|delete|execute|\$count)(<[^()]*>)?\(|\blistPage\(/;
const WRITE = /\.(insert|update|delete)\(|\b(UPDATE|DELETE\s+FROM|INSERT\s+INTO)\b/;

type Unit = { name: string; node: ts.FunctionLikeDeclaration };

/**
 * Takes a `schoolId` parameter and uses it; or builds a prepared statement whose school is a
 * placeholder (`sql.placeholder('schoolId')`, filled by the function that executes it).
 */
function scopedBySchool(node: ts.FunctionLikeDeclaration, body: string): boolean {
  const takesSchool = node.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === 'schoolId');
  if (takesSchool) return /\bschoolId\b/.test(body);
  return /\.prepare\(/.test(body) && /\bschoolId\b/.test(body);
}

/** Top-level functions of a repo: declarations, `const f = () =>`, and members of `const obj = { f: () => … }`. */
function repoUnits(sf: ts.SourceFile): Unit[] {
  const units: Unit[] = [];
  const isFn = (n: ts.Node | undefined): n is ts.ArrowFunction | ts.FunctionExpression =>
    !!n && (ts.isArrowFunction(n) || ts.isFunctionExpression(n));
  for (const stmt of sf.statements) {
    if (ts.isFunctionDeclaration(stmt) && stmt.name) units.push({ name: stmt.name.text, node: stmt });
    if (!ts.isVariableStatement(stmt)) continue;
    for (const d of stmt.declarationList.declarations) {
      if (!ts.isIdentifier(d.name)) continue;
      if (isFn(d.initializer)) units.push({ name: d.name.text, node: d.initializer });
      if (d.initializer && ts.isObjectLiteralExpression(d.initializer)) {
        for (const p of d.initializer.properties) {
          const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : '?';
          if (ts.isPropertyAssignment(p) && isFn(p.initializer))
            units.push({ name: `${d.name.text}.${name}`, node: p.initializer });
          if (ts.isMethodDeclaration(p)) units.push({ name: `${d.name.text}.${name}`, node: p });
        }
      }
    }
  }
  return units;
}

describe('every repo function that runs a statement is scoped by school', () => {
  const repos = [...sourceFiles, ...jobFiles].filter((f) => f.endsWith('.repo.ts'));
  const seen = new Set<string>();

  for (const file of repos) {
    it(rel(file), () => {
      const sf = parse(file);
      const problems: string[] = [];
      for (const { name, node } of repoUnits(sf)) {
        const key = `${path.relative(file.startsWith(JOBS) ? SRC : MODULES, file)}:${name}`;
        const code = codeOf(node, sf);
        if (!STATEMENT.test(code)) continue;
        if (GLOBAL_BY_NATURE[key]) {
          seen.add(key);
          continue;
        }
        const body = node.body ? codeOf(node.body, sf) : '';
        if (!scopedBySchool(node, body))
          problems.push(`${name}: ${WRITE.test(code) ? 'writes' : 'reads'} without a schoolId parameter used in it`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('the allow-list names only functions that exist and run a statement', () => {
    expect(Object.keys(GLOBAL_BY_NATURE).filter((k) => !seen.has(k))).toEqual([]);
  });
});

describe('the check itself', () => {
  const unitsOf = (code: string) => {
    const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    return repoUnits(sf).map((u) => ({
      name: u.name,
      scoped: scopedBySchool(u.node, u.node.body ? codeOf(u.node.body, sf) : ''),
      statement: STATEMENT.test(codeOf(u.node, sf)),
    }));
  };

  it('sees declarations, arrow constants and object members, scoped or not', () => {
    expect(
      unitsOf(`
        export async function a(db, schoolId, id) { await db.update(t).set({}).where(and(eq(t.schoolId, schoolId), eq(t.id, id))); }
        async function b(db, id) { await db.delete(t).where(eq(t.id, id)); }
        export const c = (db, id) => db.select().from(t);
        export const o = { d: (db, schoolId) => db.execute(sql\`SELECT \${schoolId}\`), e: (x) => x + 1 };
        const p = (db) => db.select().from(t).where(eq(t.schoolId, sql.placeholder('schoolId'))).prepare('p');
        const q = (db, schoolId) => db.delete(t).where(eq(t.id, 1));
        const r = (db) => db.execute<{ n: number }>(sql\`SELECT 1\`);
      `),
    ).toEqual([
      { name: 'a', scoped: true, statement: true },
      { name: 'b', scoped: false, statement: true },
      { name: 'c', scoped: false, statement: true },
      { name: 'o.d', scoped: true, statement: true },
      { name: 'o.e', scoped: false, statement: false },
      { name: 'p', scoped: true, statement: true },
      { name: 'q', scoped: false, statement: true },
      { name: 'r', scoped: false, statement: true },
    ]);
  });

  it('ignores queries mentioned in comments but finds them in code', () => {
    const sf = ts.createSourceFile(
      'x.ts',
      '/** uses db.select() */\nconst f = () => 1;\nconst g = () => tx.insert(t);',
      ts.ScriptTarget.Latest,
      true,
    );
    const found = sf.statements.map((s) => SQL_IN_SERVICE.some(([p]) => p.test(codeOf(s, sf))));
    expect(found).toEqual([false, true]);
  });
});
