// A page's filters: the fields it is given and a Search button; the page reads the submitted FormData.

import type { FormEvent, ReactNode } from 'react';

interface Props {
  /** The search landmark's name, e.g. "Search traces". */
  label: string;
  onSearch(form: FormData): void;
  children: ReactNode;
  /** Controls after the Search button (a toggle that is not a filter). */
  extra?: ReactNode;
}

export function SearchForm({ label, onSearch, children, extra }: Props) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onSearch(new FormData(event.currentTarget));
  };
  return (
    <form role="search" aria-label={label} className="search-form" onSubmit={submit} noValidate>
      {children}
      <div className="form-actions">
        <button type="submit" className="primary">
          Search
        </button>
        {extra}
      </div>
    </form>
  );
}
