import { type FormEvent, useRef, useState } from 'react';
import { users as usersApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { User } from '../../api/types.js';
import { Badge, Empty, ErrorBox, Field, Loading } from '../../components/ui.js';
import { grantableRoles, type Role } from '../../lib/permissions.js';
import { browserTimeZone, formatTs } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';

/** Managers create operators (generated username and password, shown once); admins any role. */
export function UsersAdminPage() {
  const me = useMe();
  const list = useResource(() => usersApi.list(), []);
  const roles = grantableRoles(me.role);
  const [role, setRole] = useState<Role>(roles.includes('operator') ? 'operator' : (roles[0] ?? 'viewer'));
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [created, setCreated] = useState<{ user: User; password: string | null } | null>(null);
  const secretRef = useRef<HTMLDivElement>(null);

  const create = useAction(async () => {
    const res = await usersApi.create({
      role,
      username: username.trim() || undefined,
      email: email.trim() || undefined,
    });
    setCreated(res);
    setUsername('');
    setEmail('');
    list.mutate((l) => [...(l ?? []), res.user]);
    requestAnimationFrame(() => secretRef.current?.focus());
  });
  const remove = useAction(async (u: User) => {
    if (!window.confirm(`Delete ${u.username}? Their sessions end and their assignments are removed.`)) return;
    await usersApi.remove(u.id);
    list.mutate((l) => l?.filter((x) => x.id !== u.id));
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    void create.run();
  };
  const tz = browserTimeZone();

  return (
    <>
      <h1>Users</h1>
      <section className="panel" aria-labelledby="new-user-h">
        <h2 id="new-user-h" style={{ marginTop: 0 }}>
          Add a person
        </h2>
        <form className="inline-form" onSubmit={submit} noValidate>
          <Field label="Role" name="role" error={create.error}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Username" name="username" error={create.error} hint="Leave empty to generate one.">
            {(p) => <input {...p} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />}
          </Field>
          <Field label="Email" name="email" error={create.error} hint="Optional.">
            {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <button className="primary" type="submit" disabled={create.pending}>
            {create.pending ? 'Creating…' : 'Create user'}
          </button>
        </form>
        <ErrorBox error={create.error} />
        {created ? (
          <div className="notice" role="status" ref={secretRef} tabIndex={-1} id="created-credentials">
            <p style={{ marginTop: 0 }}>
              <strong>{created.user.username}</strong> was created. Give them these credentials now: the password is
              shown only once. They choose their own password at first sign-in.
            </p>
            <p>
              Username:{' '}
              <span className="secret" data-testid="new-username">
                {created.user.username}
              </span>
            </p>
            {created.password ? (
              <p>
                Password:{' '}
                <span className="secret" data-testid="new-password">
                  {created.password}
                </span>
              </p>
            ) : null}
            <button
              type="button"
              onClick={() => void navigator.clipboard?.writeText(`${created.user.username}\n${created.password ?? ''}`)}
            >
              Copy both
            </button>{' '}
            <button type="button" onClick={() => setCreated(null)}>
              Done, hide the password
            </button>
          </div>
        ) : null}
      </section>
      <ErrorBox error={list.error ?? remove.error} onRetry={list.reload} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? <Empty title="No users yet">Create the first one above.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Email</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((u) => (
                <tr key={u.id}>
                  <td>
                    {u.username} {u.mustChangePassword ? <Badge value="pending" label="first sign-in pending" /> : null}
                  </td>
                  <td>{[u.firstName, u.lastName].filter(Boolean).join(' ') || '—'}</td>
                  <td>{u.role}</td>
                  <td>{u.email ?? '—'}</td>
                  <td>{formatTs(u.createdAt, tz, 'date')}</td>
                  <td>
                    {u.id !== me.id && roles.includes(u.role) ? (
                      <button
                        type="button"
                        className="danger"
                        onClick={() => void remove.run(u)}
                        aria-label={`Delete ${u.username}`}
                      >
                        Delete
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
