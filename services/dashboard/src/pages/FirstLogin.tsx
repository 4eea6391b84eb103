import { type FormEvent, useEffect, useRef, useState } from 'react';
import { auth } from '../api/endpoints.js';
import { logout, type Me, reloadMe } from '../api/session.js';
import { ErrorBox, Field } from '../components/ui.js';
import { useAction } from '../lib/use-resource.js';

/**
 * The car-plant seed: an operator created with a generated password changes it and completes the
 * profile before using anything else (the API refuses other routes until then).
 */
export function FirstLoginPage({ me }: { me: Me }) {
  const step = me.mustChangePassword ? 'password' : 'profile';
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${step === 'password' ? 'Choose a password' : 'Complete your profile'} · Telemetry`;
    heading.current?.focus();
  }, [step]);
  return (
    <main className="login panel">
      <p className="muted">
        Welcome, {me.username}. Step {step === 'password' ? 1 : 2} of 2 before you start.
      </p>
      {step === 'password' ? <PasswordStep headingRef={heading} /> : <ProfileStep me={me} headingRef={heading} />}
      <button type="button" onClick={() => void logout()} style={{ marginTop: '1rem' }}>
        Sign out
      </button>
    </main>
  );
}

type HeadingRef = { headingRef: React.RefObject<HTMLHeadingElement | null> };

function PasswordStep({ headingRef }: HeadingRef) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const action = useAction(async () => {
    await auth.changePassword(current, next);
    await reloadMe();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== confirm);
    if (next === confirm) void action.run();
  };
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <h1 ref={headingRef} tabIndex={-1}>
        Choose your own password
      </h1>
      <p>The password you were given works only once. Choose one only you know.</p>
      <Field label="Current (generated) password" name="currentPassword" error={action.error}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        )}
      </Field>
      <Field label="New password" name="newPassword" error={action.error} hint="At least 10 characters.">
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        )}
      </Field>
      <div className="field">
        <label htmlFor="confirm-password">Repeat the new password</label>
        <input
          id="confirm-password"
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          aria-invalid={mismatch}
          aria-describedby={mismatch ? 'confirm-error' : undefined}
          onChange={(e) => setConfirm(e.target.value)}
        />
        {mismatch ? (
          <span className="error" id="confirm-error">
            The two passwords differ.
          </span>
        ) : null}
      </div>
      <ErrorBox error={action.error} />
      <button className="primary" type="submit" disabled={action.pending || !current || !next}>
        {action.pending ? 'Saving…' : 'Save password'}
      </button>
    </form>
  );
}

function ProfileStep({ me, headingRef }: { me: Me } & HeadingRef) {
  const [form, setForm] = useState({
    firstName: me.firstName ?? '',
    lastName: me.lastName ?? '',
    email: me.email ?? '',
    phone: me.phone ?? '',
  });
  const action = useAction(async () => {
    await auth.completeProfile(form);
    await reloadMe();
  });
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run();
  };
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <h1 ref={headingRef} tabIndex={-1}>
        Complete your profile
      </h1>
      <p>Your team needs to know who you are and how to reach you about alerts and tasks.</p>
      <Field label="First name" name="firstName" error={action.error}>
        {(p) => <input {...p} autoComplete="given-name" required value={form.firstName} onChange={set('firstName')} />}
      </Field>
      <Field label="Last name" name="lastName" error={action.error}>
        {(p) => <input {...p} autoComplete="family-name" required value={form.lastName} onChange={set('lastName')} />}
      </Field>
      <Field label="Email" name="email" error={action.error}>
        {(p) => <input {...p} type="email" autoComplete="email" required value={form.email} onChange={set('email')} />}
      </Field>
      <Field label="Phone" name="phone" error={action.error} hint="Optional.">
        {(p) => <input {...p} type="tel" autoComplete="tel" value={form.phone} onChange={set('phone')} />}
      </Field>
      <ErrorBox error={action.error} />
      <button className="primary" type="submit" disabled={action.pending}>
        {action.pending ? 'Saving…' : 'Save and continue'}
      </button>
    </form>
  );
}
