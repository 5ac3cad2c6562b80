// The one place a page says what went wrong: a sentence in an alert, never a raw response.

export function ErrorAlert({ error }: { error: Error | string | null | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="alert">
      {typeof error === 'string' ? error : error.message}
    </p>
  );
}
