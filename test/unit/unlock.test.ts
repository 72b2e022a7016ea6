import { describe, expect, it } from 'vitest';
import { type CurriculumLesson, type CurriculumSection, lessonStates } from '../../src/lib/unlock.js';

const enrolledAt = new Date('2026-01-01T00:00:00Z');
const now = new Date('2026-01-05T00:00:00Z'); // 4 days after enrolment
const lesson = (id: string, o: Partial<CurriculumLesson> = {}): CurriculumLesson => ({
  id,
  sectionId: 's1',
  position: Number(id.slice(1)),
  status: 'published',
  unlock: { type: 'immediate' },
  ...o,
});
const section = (id: string, o: Partial<CurriculumSection> = {}): CurriculumSection => ({
  id,
  position: Number(id.slice(1)),
  drip: { type: 'none' },
  prerequisites: [],
  ...o,
});

type Case = [
  name: string,
  sections: CurriculumSection[],
  lessons: CurriculumLesson[],
  completed: string[],
  expect: Record<string, [boolean, string | null]>,
];

const cases: Case[] = [
  ['immediate is open', [section('s1')], [lesson('l1')], [], { l1: [false, null] }],
  [
    'sequential: first lesson open, next locked until the previous is done',
    [section('s1')],
    [lesson('l1', { unlock: { type: 'sequential' } }), lesson('l2', { unlock: { type: 'sequential' } })],
    [],
    { l1: [false, null], l2: [true, null] },
  ],
  [
    'sequential: open once the previous is completed',
    [section('s1')],
    [lesson('l1'), lesson('l2', { unlock: { type: 'sequential' } })],
    ['l1'],
    { l2: [false, null] },
  ],
  [
    'sequential skips draft lessons',
    [section('s1')],
    [lesson('l1'), lesson('l2', { status: 'draft' }), lesson('l3', { unlock: { type: 'sequential' } })],
    ['l1'],
    { l3: [false, null] },
  ],
  [
    'sequential crosses sections in course order',
    [section('s1'), section('s2')],
    [lesson('l1'), lesson('l2', { sectionId: 's2', position: 1, unlock: { type: 'sequential' } })],
    [],
    { l2: [true, null] },
  ],
  [
    'timed in the future is locked with unlocksAt',
    [section('s1')],
    [lesson('l1', { unlock: { type: 'timed', afterDays: 7 } })],
    [],
    { l1: [true, '2026-01-08T00:00:00.000Z'] },
  ],
  [
    'timed in the past is open',
    [section('s1')],
    [lesson('l1', { unlock: { type: 'timed', afterDays: 3 } })],
    [],
    { l1: [false, null] },
  ],
  [
    'date in the future',
    [section('s1')],
    [lesson('l1', { unlock: { type: 'date', at: '2026-02-01T00:00:00Z' } })],
    [],
    { l1: [true, '2026-02-01T00:00:00.000Z'] },
  ],
  [
    'date in the past',
    [section('s1')],
    [lesson('l1', { unlock: { type: 'date', at: '2025-12-01T00:00:00Z' } })],
    [],
    { l1: [false, null] },
  ],
  [
    'section drip days',
    [section('s1', { drip: { type: 'days', days: 10 } })],
    [lesson('l1')],
    [],
    { l1: [true, '2026-01-11T00:00:00.000Z'] },
  ],
  [
    'section drip date passed',
    [section('s1', { drip: { type: 'date', date: '2026-01-02T00:00:00Z' } })],
    [lesson('l1')],
    [],
    { l1: [false, null] },
  ],
  [
    'the later of two times wins',
    [section('s1', { drip: { type: 'days', days: 10 } })],
    [lesson('l1', { unlock: { type: 'date', at: '2026-03-01T00:00:00Z' } })],
    [],
    { l1: [true, '2026-03-01T00:00:00.000Z'] },
  ],
  [
    'prerequisite section not done: locked, no time',
    [section('s1'), section('s2', { prerequisites: ['s1'] })],
    [lesson('l1'), lesson('l2', { sectionId: 's2', position: 1 })],
    [],
    { l2: [true, null] },
  ],
  [
    'prerequisite done: open',
    [section('s1'), section('s2', { prerequisites: ['s1'] })],
    [lesson('l1'), lesson('l2', { sectionId: 's2', position: 1 })],
    ['l1'],
    { l2: [false, null] },
  ],
  [
    'a non-time lock hides unlocksAt',
    [section('s1'), section('s2', { prerequisites: ['s1'], drip: { type: 'days', days: 30 } })],
    [lesson('l1'), lesson('l2', { sectionId: 's2', position: 1 })],
    [],
    { l2: [true, null] },
  ],
  [
    'unsectioned lessons come last in order',
    [section('s1')],
    [lesson('l9', { sectionId: null, position: 1, unlock: { type: 'sequential' } }), lesson('l1')],
    [],
    { l9: [true, null] },
  ],
  ['draft lessons get no state', [section('s1')], [lesson('l1', { status: 'draft' })], [], {}],
  [
    "a draft section's lessons get no state and do not hold back the next sequential lesson",
    [section('s1', { status: 'draft' }), section('s2')],
    [lesson('l1'), lesson('l2', { sectionId: 's2', position: 1, unlock: { type: 'sequential' } })],
    [],
    { l2: [false, null] },
  ],
  ['only draft sections: nothing to take', [section('s1', { status: 'draft' })], [lesson('l1')], [], {}],
];

describe('lessonStates', () => {
  it.each(cases)('%s', (_name, sections, lessons, completed, expected) => {
    const states = lessonStates({ sections, lessons, completed: new Set(completed), enrolledAt, now });
    for (const [id, [locked, unlocksAt]] of Object.entries(expected)) {
      expect(states.get(id), id).toEqual({ locked, unlocksAt: unlocksAt ? new Date(unlocksAt) : null });
    }
    if (Object.keys(expected).length === 0) expect(states.size).toBe(0);
  });
});
