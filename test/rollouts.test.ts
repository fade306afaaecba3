import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, evaluate, zonedTimeToUtc, type Step } from '../src/rollouts/index.js';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const HOUR = 60 * 60 * 1000;
const idChars = fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'.split(''));
const anId = (prefix: string) => fc.array(idChars, { minLength: 26, maxLength: 26 }).map((c) => `${prefix}_${c.join('')}`);
const step = (percentage: number): Step => ({ stage: 'percentage', percentage, startsAt: 0, localTime: null, timeZone: null });

describe('rollout eligibility (property)', () => {
  it('is deterministic and monotonic: raising the percentage never drops a member', () => {
    fc.assert(
      fc.property(anId('rol'), anId('mem'), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (rollout, member, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const atLow = evaluate(rollout, [step(low)], 1, member, false);
        expect(evaluate(rollout, [step(low)], 1, member, false)).toEqual(atLow);
        expect(bucketOf(rollout, member)).toBe(atLow.bucket);
        if (atLow.eligible) expect(evaluate(rollout, [step(high)], 1, member, false).eligible).toBe(true);
        expect(evaluate(rollout, [step(0)], 1, member, false).eligible).toBe(false);
        expect(evaluate(rollout, [step(100)], 1, member, false).eligible).toBe(true);
        // Allowlisted members stay in through every later stage.
        expect(evaluate(rollout, [step(low)], 1, member, true).eligible).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('lets in about the stated share of members', () => {
    fc.assert(
      fc.property(anId('rol'), (rollout) => {
        let inside = 0;
        for (let i = 0; i < 4000; i++) if (evaluate(rollout, [step(10)], 1, `mem_${i}`, false).eligible) inside++;
        expect(inside / 4000).toBeGreaterThan(0.07);
        expect(inside / 4000).toBeLessThan(0.13);
      }),
      { numRuns: 10 },
    );
  });

  it('converts wall-clock times in IANA zones to instants', () => {
    expect(new Date(zonedTimeToUtc('2026-11-01T00:00', 'Asia/Shanghai')!).toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(new Date(zonedTimeToUtc('2026-07-01T09:30:15', 'Europe/London')!).toISOString()).toBe('2026-07-01T08:30:15.000Z');
    expect(new Date(zonedTimeToUtc('2026-01-15T12:00', 'America/New_York')!).toISOString()).toBe('2026-01-15T17:00:00.000Z');
    // A time skipped by the spring-forward jump lands just after the gap.
    expect(new Date(zonedTimeToUtc('2026-03-08T02:30', 'America/New_York')!).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(zonedTimeToUtc('2026-02-30T00:00', 'Asia/Shanghai')).toBeUndefined();
  });
});

describe('rollouts over HTTP', () => {
  it('moves internal → 10% → everyone as the clock crosses each scheduled time in its zone', async () => {
    app.clock.set(Date.UTC(2026, 9, 20, 0, 0));
    const staff = await createMember(app, 'staff-1');
    const members: string[] = [];
    for (let i = 0; i < 60; i++) members.push(await createMember(app, `gray-${i}`));
    const created = await app.call('POST', '/v1/rollouts', {
      name: 'Tencent Video card in the mall',
      allowlist: [staff],
      steps: [
        { stage: 'internal' },
        { stage: 'percentage', percentage: 10, startsAt: '2026-10-25T00:00', timeZone: 'Asia/Shanghai' },
        { stage: 'everyone', startsAt: '2026-11-01T00:00', timeZone: 'Asia/Shanghai' },
      ],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.current).toMatchObject({ stage: 'internal' });
    expect(created.body.steps[1]).toMatchObject({ startsAt: '2026-10-24T16:00:00.000Z', localTime: '2026-10-25T00:00', timeZone: 'Asia/Shanghai' });

    const ask = async (memberId: string) => (await app.call('GET', `/v1/rollouts/${id}/eligibility?memberId=${memberId}`)).body;
    expect(await ask(staff)).toMatchObject({ eligible: true, reason: 'allowlisted', stage: 'internal' });
    expect(await ask(members[0]!)).toMatchObject({ eligible: false, reason: 'not_allowlisted' });

    // One minute before 00:00 Shanghai on the 25th: still internal.
    app.clock.set(Date.UTC(2026, 9, 24, 15, 59));
    expect((await ask(members[0]!)).stage).toBe('internal');
    app.clock.set(Date.UTC(2026, 9, 24, 16, 0));
    const atTen = await Promise.all(members.map(ask));
    for (const answer of atTen) {
      expect(answer.stage).toBe('percentage');
      expect(answer.eligible).toBe(answer.bucket < 1000);
      expect(answer.reason).toBe(answer.eligible ? 'in_percentage' : 'outside_percentage');
    }
    expect(await ask(staff)).toMatchObject({ eligible: true, reason: 'allowlisted' });
    // The same answer every time.
    expect(await Promise.all(members.map(ask))).toEqual(atTen);

    app.clock.set(Date.UTC(2026, 9, 31, 16, 0) - 1);
    expect((await ask(members[1]!)).stage).toBe('percentage');
    app.clock.advance(1);
    for (const answer of await Promise.all(members.map(ask))) expect(answer).toMatchObject({ eligible: true, reason: 'everyone' });
    expect((await app.call('GET', `/v1/rollouts/${id}`)).body.current).toMatchObject({ stage: 'everyone', since: '2026-10-31T16:00:00.000Z' });
  });

  it('audits schedule and allowlist changes; a raised percentage keeps everyone already in', async () => {
    app.clock.set(Date.UTC(2026, 10, 24, 12));
    const members: string[] = [];
    for (let i = 0; i < 40; i++) members.push(await createMember(app, `raise-${i}`));
    const { body: rollout } = await app.call('POST', '/v1/rollouts', { name: 'raise', steps: [{ stage: 'percentage', percentage: 20 }] });
    const inside = async () => {
      const answers = await Promise.all(members.map((m) => app.call('GET', `/v1/rollouts/${rollout.id}/eligibility?memberId=${m}`)));
      return new Set(answers.filter((a) => a.body.eligible).map((a) => a.body.memberId as string));
    };
    const before = await inside();
    const raised = await app.call('POST', `/v1/rollouts/${rollout.id}/schedule`, { steps: [{ stage: 'percentage', percentage: 50 }] });
    expect(raised.status).toBe(200);
    const after = await inside();
    for (const m of before) expect(after.has(m)).toBe(true);
    expect(after.size).toBeGreaterThanOrEqual(before.size);

    const outsider = members.find((m) => !after.has(m))!;
    await app.call('POST', `/v1/rollouts/${rollout.id}/allowlist`, { add: [outsider] });
    expect((await app.call('GET', `/v1/rollouts/${rollout.id}/eligibility?memberId=${outsider}`)).body).toMatchObject({ eligible: true, reason: 'allowlisted' });

    const changes = await app.call('GET', `/v1/rollouts/${rollout.id}/changes`);
    expect(changes.body.data.map((c: { change: { action: string } }) => c.change.action)).toEqual(['create', 'schedule', 'allowlist']);
    expect(changes.body.data[1].actor).toBeTruthy();
  });

  it('answers bad input with a 4xx and a code, writing nothing', async () => {
    const member = await createMember(app, 'bad-input-member');
    const { body: rollout } = await app.call('POST', '/v1/rollouts', { name: 'ok', steps: [{ stage: 'everyone' }] });
    const count = async () =>
      Number((await app.tessera.db.read.selectFrom('rollout_changes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/rollouts', {}, 400, 'parameter_missing'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'half' }] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'percentage' }] }, 400, 'parameter_missing'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'percentage', percentage: 101 }] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'percentage', percentage: 10.5 }] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'everyone', percentage: 10 }] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'everyone', startsAt: '2026-11-01T00:00' }] }, 400, 'parameter_missing'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'everyone', startsAt: '2026-11-01T00:00', timeZone: 'Mars/Olympus' }] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'everyone', startsAt: '2026-13-01T00:00', timeZone: 'Asia/Shanghai' }] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', steps: [{ stage: 'everyone', startsAt: 'not a date at all, Z' }] }, 400, 'parameter_invalid'],
      ['POST', '/v1/rollouts', { name: 'x', allowlist: ['bob'], steps: [{ stage: 'everyone' }] }, 400, 'parameter_invalid'],
      ['POST', `/v1/rollouts/${rollout.id}/allowlist`, {}, 400, 'parameter_invalid'],
      ['POST', `/v1/rollouts/${rollout.id}/schedule`, { steps: [{ stage: 'internal', extra: 1 }] }, 400, 'parameter_unknown'],
      ['POST', '/v1/rollouts/rol_nope/schedule', { steps: [{ stage: 'internal' }] }, 404, 'resource_missing'],
      ['GET', '/v1/rollouts/rol_nope', undefined, 404, 'resource_missing'],
      ['GET', `/v1/rollouts/${rollout.id}/eligibility`, undefined, 400, 'parameter_missing'],
      ['GET', `/v1/rollouts/${rollout.id}/eligibility?memberId=mem_nope`, undefined, 404, 'resource_missing'],
      ['GET', `/v1/rollouts/rol_nope/eligibility?memberId=${member}`, undefined, 404, 'resource_missing'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const res = await app.call(method, url, body);
      expect({ url, body, status: res.status, code: res.body?.error?.code }).toEqual({ url, body, status, code });
    }
    expect(await count()).toBe(before);
  });
});
