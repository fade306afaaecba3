import { useState } from 'react';
import { get, post, query, type ApiError } from '../api.js';
import { formatDate } from '../format.js';
import { Link, useRouter } from '../router.js';
import type { Eligibility, Rollout, RolloutStep, Stage } from '../types.js';
import { Card, CreateForm, ErrorBanner, Field, FormError, Json, ListPage, Loading, PagedTable, PageHeader, StatusBadge, TextField, useLoad, usePaged, useSubmit, WhenLoaded } from '../ui.js';

interface StepRow {
  key: number;
  stage: Stage;
  percentage: string;
  startsAt: string;
  timeZone: string;
}
let nextKey = 1;
const newStep = (stage: Stage, percentage = '', startsAt = '', timeZone = 'Asia/Shanghai'): StepRow => ({ key: nextKey++, stage, percentage, startsAt, timeZone });

function stepsBody(rows: StepRow[]) {
  return rows.map((r) => ({
    stage: r.stage,
    ...(r.stage === 'percentage' ? { percentage: /^\d+$/.test(r.percentage) ? Number(r.percentage) : r.percentage } : {}),
    // A wall-clock time in a zone ("2026-11-01T00:00" + Asia/Shanghai), or unset for now.
    ...(r.startsAt ? { startsAt: r.startsAt, timeZone: r.timeZone } : {}),
  }));
}

function fromSteps(steps: RolloutStep[]): StepRow[] {
  return steps.map((s) => newStep(s.stage, s.percentage === null ? '' : String(s.percentage), s.localTime ?? s.startsAt.slice(0, 16), s.timeZone ?? 'UTC'));
}

function StepsEditor({ rows, onChange, error }: { rows: StepRow[]; onChange: (rows: StepRow[]) => void; error: ApiError | null }) {
  const update = (key: number, patch: Partial<StepRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>Stages</legend>
      <p className="field-hint">Each step starts at a wall-clock time in its zone (empty: now); the step in force is the last one started.</p>
      {rows.map((row, i) => (
        <div className="price-row" key={row.key}>
          <Field label="Stage" param={`steps.${i}.stage`} error={error}>
            <select value={row.stage} onChange={(e) => update(row.key, { stage: e.target.value as Stage })} name={`steps.${i}.stage`}>
              <option value="internal">internal (allowlist)</option>
              <option value="percentage">percentage of members</option>
              <option value="everyone">everyone</option>
            </select>
          </Field>
          {row.stage === 'percentage' && (
            <Field label="Percent" param={`steps.${i}.percentage`} error={error}>
              <input value={row.percentage} onChange={(e) => update(row.key, { percentage: e.target.value })} name={`steps.${i}.percentage`} />
            </Field>
          )}
          <Field label="Starts at (local)" param={`steps.${i}.startsAt`} error={error}>
            <input type="datetime-local" value={row.startsAt} onChange={(e) => update(row.key, { startsAt: e.target.value })} name={`steps.${i}.startsAt`} />
          </Field>
          <Field label="Time zone" param={`steps.${i}.timeZone`} error={error}>
            <input value={row.timeZone} onChange={(e) => update(row.key, { timeZone: e.target.value })} name={`steps.${i}.timeZone`} />
          </Field>
          <button type="button" className="secondary small" disabled={rows.length <= 1} onClick={() => onChange(rows.filter((r) => r.key !== row.key))}>
            Remove
          </button>
        </div>
      ))}
      <Field label="" param="steps" error={error}>
        <button type="button" className="secondary small" onClick={() => onChange([...rows, newStep('everyone')])}>
          Add a step
        </button>
      </Field>
    </fieldset>
  );
}

const ids = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

function CreateRollout({ onCreated }: { onCreated: (r: Rollout) => void }) {
  const [name, setName] = useState('');
  const [allowlist, setAllowlist] = useState('');
  const [rows, setRows] = useState<StepRow[]>(() => [newStep('internal'), newStep('percentage', '10'), newStep('everyone')]);
  const form = useSubmit(
    () => post<Rollout>('/v1/rollouts', { name, ...(ids(allowlist).length ? { allowlist: ids(allowlist) } : {}), steps: stepsBody(rows) }),
    onCreated,
  );
  return (
    <CreateForm
      label="Create a rollout"
      form={form}
      fields={['name', 'allowlist', 'steps']}
      submitLabel="Create rollout"
      below={<StepsEditor rows={rows} onChange={setRows} error={form.error} />}
    >
      <TextField label="Name" name="name" error={form.error} value={name} onChange={setName} />
      <Field label="Internal allowlist (member ids)" param="allowlist" error={form.error}>
        <textarea name="allowlist" rows={2} value={allowlist} onChange={(e) => setAllowlist(e.target.value)} placeholder="mem_… mem_…" />
      </Field>
    </CreateForm>
  );
}

export function describeCurrent(r: Rollout): string {
  if (!r.current.stage) return 'not started';
  if (r.current.stage === 'percentage') return `${r.current.percentage ?? 0}% of members`;
  return r.current.stage === 'internal' ? `internal (${r.allowlistSize} on the allowlist)` : 'everyone';
}

export function Rollouts() {
  const rollouts = usePaged<Rollout>('/v1/rollouts');
  const { navigate } = useRouter();
  return (
    <ListPage title="Rollouts" noun="rollout" create={() => <CreateRollout onCreated={(r) => navigate(`/rollouts/${r.id}`)} />}>
      <Card>
        <PagedTable paged={rollouts} empty="No rollouts yet.">
          <table>
            <thead>
              <tr>
                <th>Rollout</th>
                <th>In force now</th>
                <th>Since</th>
                <th>Schedule</th>
              </tr>
            </thead>
            <tbody>
              {rollouts.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/rollouts/${r.id}`}>{r.name}</Link>
                  </td>
                  <td>{describeCurrent(r)}</td>
                  <td>{formatDate(r.current.since)}</td>
                  <td>
                    {r.steps
                      .map((s) => `${s.stage === 'percentage' ? `${s.percentage}%` : s.stage} ${s.localTime ? `${s.localTime} ${s.timeZone ?? ''}` : formatDate(s.startsAt)}`)
                      .join(' → ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </ListPage>
  );
}

function EligibilityCheck({ id }: { id: string }) {
  const [memberId, setMemberId] = useState('');
  const [answer, setAnswer] = useState<Eligibility | null>(null);
  const form = useSubmit(() => get<Eligibility>(`/v1/rollouts/${id}/eligibility${query({ memberId: memberId.trim() })}`), setAnswer);
  return (
    <form className="inline-form" onSubmit={form.submit}>
      <TextField label="Member id" name="memberId" error={form.error} value={memberId} onChange={setMemberId} placeholder="mem_…" />
      <button type="submit" disabled={form.busy || !memberId.trim()}>
        Check
      </button>
      <FormError error={form.error} fields={['memberId']} />
      {answer && (
        <p>
          <StatusBadge status={answer.eligible ? 'eligible' : 'not_eligible'} /> {answer.explanation} (bucket {answer.bucket})
        </p>
      )}
    </form>
  );
}

export function RolloutDetail({ id }: { id: string }) {
  const rollout = useLoad(() => get<Rollout>(`/v1/rollouts/${id}`), [id]);
  const changes = useLoad(() => get<{ data: Array<{ id: string; actor: string; change: unknown; createdAt: string }> }>(`/v1/rollouts/${id}/changes`), [id]);
  const [rows, setRows] = useState<StepRow[] | null>(null);
  const [add, setAdd] = useState('');
  const [remove, setRemove] = useState('');
  const refresh = () => {
    rollout.reload();
    changes.reload();
  };
  const schedule = useSubmit(() => post<Rollout>(`/v1/rollouts/${id}/schedule`, { steps: stepsBody(rows ?? []) }), () => {
    setRows(null);
    refresh();
  });
  const allow = useSubmit(
    () => post<Rollout>(`/v1/rollouts/${id}/allowlist`, { ...(ids(add).length ? { add: ids(add) } : {}), ...(ids(remove).length ? { remove: ids(remove) } : {}) }),
    () => {
      setAdd('');
      setRemove('');
      refresh();
    },
  );
  if (rollout.error) return <ErrorBanner error={rollout.error} />;
  if (!rollout.data) return <Loading what="the rollout" />;
  const r = rollout.data;
  return (
    <>
      <PageHeader title={r.name}>
        <Link to="/rollouts">All rollouts</Link>
      </PageHeader>
      <Card title={`In force now: ${describeCurrent(r)}`}>
        <table>
          <thead>
            <tr>
              <th>Step</th>
              <th>Stage</th>
              <th>Starts (instant)</th>
              <th>As given</th>
            </tr>
          </thead>
          <tbody>
            {r.steps.map((s, i) => (
              <tr key={i}>
                <td>{i + 1}</td>
                <td>{s.stage === 'percentage' ? `${s.percentage}% of members` : s.stage}</td>
                <td>{formatDate(s.startsAt)}</td>
                <td>{s.localTime ? `${s.localTime} ${s.timeZone ?? ''}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows === null ? (
          <button type="button" className="secondary" onClick={() => setRows(fromSteps(r.steps))}>
            Change the schedule
          </button>
        ) : (
          <form className="form" onSubmit={schedule.submit}>
            <StepsEditor rows={rows} onChange={setRows} error={schedule.error} />
            <FormError error={schedule.error} fields={['steps']} />
            <button type="submit" disabled={schedule.busy}>
              Save schedule
            </button>{' '}
            <button type="button" className="secondary" onClick={() => setRows(null)}>
              Cancel
            </button>
          </form>
        )}
      </Card>
      <Card title={`Internal allowlist (${r.allowlistSize})`}>
        <form className="form" onSubmit={allow.submit}>
          <div className="form-grid">
            <TextField label="Add member ids" name="add" error={allow.error} value={add} onChange={setAdd} />
            <TextField label="Remove member ids" name="remove" error={allow.error} value={remove} onChange={setRemove} />
          </div>
          <FormError error={allow.error} fields={['add', 'remove']} />
          <button type="submit" disabled={allow.busy || (!add.trim() && !remove.trim())}>
            Update allowlist
          </button>
        </form>
      </Card>
      <Card title="Is a member in?">
        <EligibilityCheck id={id} />
      </Card>
      <Card title="Changes (audit)">
        <WhenLoaded load={changes} isEmpty={(d) => d.data.length === 0} empty="No changes.">
          {(d) => (
            <table>
              <tbody>
                {d.data.map((c) => (
                  <tr key={c.id}>
                    <td>{formatDate(c.createdAt)}</td>
                    <td>
                      <code>{c.actor}</code>
                    </td>
                    <td>
                      <Json value={c.change} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </WhenLoaded>
      </Card>
    </>
  );
}
