import { type FormEvent, Fragment, useRef, useState } from 'react';
import { users as usersApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { User } from '../../api/types.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { Badge, Empty, ErrorBox, Field, Loading } from '../../components/ui.js';
import { can, grantableRoles, type Role } from '../../lib/permissions.js';
import { browserTimeZone, formatTs } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { UserAssignments } from './UserAssignments.js';

interface Credentials {
  username: string;
  password: string | null;
  why: 'created' | 'reset';
}

/**
 * Invite people (generated username and password, shown once; they choose their own at first
 * sign-in), change a role, reset a password, assign to sites and assets. Managers handle operators
 * and viewers, admins everyone; the server refuses the rest.
 */
export function UsersAdminPage() {
  const me = useMe();
  const working = useWorkingTenant();
  const list = useResource(() => usersApi.list({ tenantId: working.tenantId }), [working.tenantId]);
  const roles = grantableRoles(me.role);
  const mayWrite = can(me.role, 'users:write');
  const [role, setRole] = useState<Role>(roles.includes('operator') ? 'operator' : (roles[0] ?? 'viewer'));
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [secret, setSecret] = useState<Credentials | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const secretRef = useRef<HTMLDivElement>(null);
  const show = (c: Credentials) => {
    setSecret(c);
    requestAnimationFrame(() => secretRef.current?.focus());
  };
  const replace = (u: User) => list.mutate((l) => l?.map((x) => (x.id === u.id ? u : x)));

  const create = useAction(async () => {
    const res = await usersApi.create({
      role,
      username: username.trim() || undefined,
      email: email.trim() || undefined,
      tenantId: working.tenantId,
    });
    setUsername('');
    setEmail('');
    list.mutate((l) => [...(l ?? []), res.user]);
    show({ username: res.user.username, password: res.password, why: 'created' });
  });
  const changeRole = useAction(async (u: User, next: Role) => replace(await usersApi.update(u.id, { role: next })));
  const reset = useAction(async (u: User) => {
    const res = await usersApi.resetPassword(u.id);
    replace({ ...u, mustChangePassword: true });
    show({ username: res.username, password: res.password, why: 'reset' });
  });
  const remove = useAction(async (u: User) => {
    if (!window.confirm(`Delete ${u.username}? Their sessions end and their assignments are removed.`)) return;
    await usersApi.remove(u.id);
    list.mutate((l) => l?.filter((x) => x.id !== u.id));
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSecret(null);
    void create.run();
  };
  const tz = browserTimeZone();
  const manageable = (u: User) => mayWrite && u.id !== me.id && roles.includes(u.role);

  return (
    <>
      <h1>Users</h1>
      {working.picker}
      {mayWrite ? (
        <section className="panel" aria-labelledby="new-user-h">
          <h2 id="new-user-h" style={{ marginTop: 0 }}>
            Invite a person
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
              {(p) => (
                <input {...p} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
              )}
            </Field>
            <Field label="Email" name="email" error={create.error} hint="Optional.">
              {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
            </Field>
            <button className="primary" type="submit" disabled={create.pending}>
              {create.pending ? 'Creating…' : 'Create user'}
            </button>
          </form>
          <ErrorBox error={create.error} />
        </section>
      ) : null}
      {secret ? (
        <div className="notice" role="status" ref={secretRef} tabIndex={-1} id="created-credentials">
          <p style={{ marginTop: 0 }}>
            <strong>{secret.username}</strong> {secret.why === 'created' ? 'was created' : 'has a new password'}. Give
            them these credentials now: the password is shown only once. They choose their own at next sign-in.
          </p>
          <p>
            Username:{' '}
            <span className="secret" data-testid="new-username">
              {secret.username}
            </span>
          </p>
          {secret.password ? (
            <p>
              Password:{' '}
              <span className="secret" data-testid="new-password">
                {secret.password}
              </span>
            </p>
          ) : null}
          <button
            type="button"
            onClick={() => void navigator.clipboard?.writeText(`${secret.username}\n${secret.password ?? ''}`)}
          >
            Copy both
          </button>{' '}
          <button type="button" onClick={() => setSecret(null)}>
            Done, hide the password
          </button>
        </div>
      ) : null}
      <ErrorBox
        error={list.error ?? remove.error ?? changeRole.error ?? reset.error}
        onRetry={list.error ? list.reload : undefined}
      />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? <Empty title="No users yet">Invite the first one above.</Empty> : null}
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
                <Fragment key={u.id}>
                  <tr>
                    <td>
                      {u.username}{' '}
                      {u.mustChangePassword ? <Badge value="pending" label="first sign-in pending" /> : null}
                    </td>
                    <td>{[u.firstName, u.lastName].filter(Boolean).join(' ') || '—'}</td>
                    <td>
                      {manageable(u) ? (
                        <select
                          aria-label={`Role of ${u.username}`}
                          style={{ minWidth: '7.5rem' }}
                          value={u.role}
                          disabled={changeRole.pending}
                          onChange={(e) => void changeRole.run(u, e.target.value as Role)}
                        >
                          {roles.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                      ) : (
                        u.role
                      )}
                    </td>
                    <td>{u.email ?? '—'}</td>
                    <td>{formatTs(u.createdAt, tz, 'date')}</td>
                    <td>
                      {u.tenantId ? (
                        <button
                          type="button"
                          aria-expanded={open === u.id}
                          onClick={() => setOpen(open === u.id ? null : u.id)}
                          aria-label={`Assignments of ${u.username}`}
                        >
                          Assignments
                        </button>
                      ) : null}{' '}
                      {manageable(u) ? (
                        <>
                          <button
                            type="button"
                            onClick={() => void reset.run(u)}
                            aria-label={`Reset password of ${u.username}`}
                          >
                            Reset password
                          </button>{' '}
                          <button
                            type="button"
                            className="danger"
                            onClick={() => void remove.run(u)}
                            aria-label={`Delete ${u.username}`}
                          >
                            Delete
                          </button>
                        </>
                      ) : null}
                    </td>
                  </tr>
                  {open === u.id ? (
                    <tr>
                      <td colSpan={6}>
                        <UserAssignments user={u} mayWrite={manageable(u)} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
