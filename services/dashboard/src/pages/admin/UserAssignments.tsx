import { useState } from 'react';
import { assets as assetsApi, sites as sitesApi, users as usersApi } from '../../api/endpoints.js';
import type { User } from '../../api/types.js';
import { ErrorBox, Loading } from '../../components/ui.js';
import { useAction, useResource } from '../../lib/use-resource.js';

/**
 * The sites and assets a user is assigned to (operators and viewers see what they are assigned to,
 * and their subtrees): add one of the user's tenant, remove one. Their open sessions are narrowed
 * by the server at once.
 */
export function UserAssignments({ user, mayWrite }: { user: User; mayWrite: boolean }) {
  const data = useResource(async () => {
    const q = { tenantId: user.tenantId ?? undefined };
    const [assignments, sites, assets] = await Promise.all([
      usersApi.assignments(user.id),
      sitesApi.list(q),
      assetsApi.list(q),
    ]);
    return { assignments, sites, assets };
  }, [user.id]);
  const [target, setTarget] = useState('');
  const add = useAction(async () => {
    const [kind, id] = target.split(':');
    if (!id) return;
    const a = await usersApi.assign(user.id, kind === 'site' ? { siteId: id } : { assetId: id });
    data.mutate((d) => d && { ...d, assignments: [...d.assignments, a] });
    setTarget('');
  });
  const remove = useAction(async (assignmentId: string) => {
    await usersApi.unassign(user.id, assignmentId);
    data.mutate((d) => d && { ...d, assignments: d.assignments.filter((a) => a.id !== assignmentId) });
  });
  if (!data.data) return data.error ? <ErrorBox error={data.error} onRetry={data.reload} /> : <Loading />;
  const { assignments, sites, assets } = data.data;
  const label = (a: { siteId: string | null; assetId: string | null }) =>
    a.siteId
      ? `Site ${sites.find((s) => s.id === a.siteId)?.name ?? a.siteId}`
      : `${assets.find((x) => x.id === a.assetId)?.name ?? a.assetId} (${assets.find((x) => x.id === a.assetId)?.type ?? 'asset'})`;
  const selectId = `assign-${user.id}`;
  return (
    <section className="panel" aria-label={`Assignments of ${user.username}`}>
      {assignments.length === 0 ? (
        <p className="muted">Not assigned to anything: an operator then sees only their own tasks.</p>
      ) : (
        <ul>
          {assignments.map((a) => (
            <li key={a.id}>
              {label(a)}{' '}
              {mayWrite ? (
                <button
                  type="button"
                  className="danger"
                  onClick={() => void remove.run(a.id)}
                  aria-label={`Unassign ${label(a)}`}
                >
                  Remove
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {mayWrite ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void add.run();
          }}
        >
          <div className="field">
            <label htmlFor={selectId}>Assign to</label>
            <select id={selectId} value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">Choose a site or an asset…</option>
              {sites.map((s) => (
                <option key={s.id} value={`site:${s.id}`}>
                  Site {s.name}
                </option>
              ))}
              {assets.map((a) => (
                <option key={a.id} value={`asset:${a.id}`}>
                  {a.name} ({a.type})
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={add.pending || !target}>
            Assign
          </button>
        </form>
      ) : null}
      <ErrorBox error={add.error ?? remove.error} />
    </section>
  );
}
