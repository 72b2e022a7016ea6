import type { CreatedSchool } from '../modules/schools/schools.service.js';

/** The one-time notice of the first start: the owner's login and a key with every scope. */
export function printBootstrap(created: CreatedSchool, publicUrl: string): void {
  const lines = [
    '',
    '  Syllabus created your school on this first start. This is shown once: store it now.',
    '',
    `  School:        ${created.school.name} (${created.school.id})`,
    `  Owner login:   ${created.owner.email}`,
    `  Password:      ${created.owner.password ?? '(as given)'}`,
    `  API key (*):   ${created.apiKey}`,
    '',
    `  Try:  curl -H "Authorization: Bearer ${created.apiKey}" ${publicUrl}/api/v1/school`,
    `  API reference: ${publicUrl}/docs`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
