// Sign-in with an admin's email and password (the console's own OAuth client, password grant).

import { useState, type FormEvent } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { TextField } from '../components/fields.tsx';
import { asError } from '../problem.ts';
import { valueOf } from '../query.ts';
import { signIn } from '../session.ts';

export function SignInPage({ notice }: { notice: string | null }) {
  const [error, setError] = useState<Error | string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = valueOf(form, 'email');
    const password = form.get('password');
    if (!email || typeof password !== 'string' || password === '') {
      setError('Enter your email and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (err) {
      setError(asError(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <h1 tabIndex={-1}>souk console</h1>
      <form className="sign-in-form" aria-label="Sign in" onSubmit={submit} noValidate>
        {notice && !error && <p role="status">{notice}</p>}
        <TextField label="Email" name="email" type="email" autoComplete="username" spellCheck={false} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" />
        <ErrorAlert error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
