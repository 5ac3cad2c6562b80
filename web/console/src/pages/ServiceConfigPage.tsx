// A service's settings: the version in effect, an editor (the settings as JSON and why they change),
// "Review changes" to see the line diff against the version in effect before "Save" sends it, the
// versions before with a rollback to any of them, and the settings schema the service published. Work is
// on the service's base document; a change is refused (and says why) when it does not match the schema
// or when someone saved another version since this one was read.

import { useEffect, useId, useState, type FormEvent } from 'react';
import { ConfigHistory } from '../components/ConfigHistory.tsx';
import { ConfigProblem } from '../components/ConfigProblem.tsx';
import { DiffView } from '../components/DiffView.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { TextField } from '../components/fields.tsx';
import {
  changeConfig,
  fetchConfig,
  fetchConfigHistory,
  fetchConfigSchema,
  isConfigError,
  REASON_MAX,
  rollbackConfig,
  SERVICE_NAME,
  type ConfigVersion,
  type HistoryEntry,
} from '../config-api.ts';
import { formatTime } from '../format.ts';
import { diffTexts, type DiffLine } from '../line-diff.ts';
import { asError } from '../problem.ts';
import { Link } from '../router.tsx';
import '../styles/ops-b.css';

const ROLLBACK_REASON = 'rollback from the console';
const BAD_SERVICE = 'A service’s name is lower-case letters, digits and hyphens, starting with a letter or a digit.';
const NO_REASON = 'Give a reason for the change: it is kept in the audit.';

interface Loaded {
  current: ConfigVersion;
  schema: Record<string, unknown> | null;
  history: HistoryEntry[];
}

interface Review {
  settings: Record<string, unknown>;
  /** The version the diff was made against, sent as basedOn. */
  basedOn: number;
  diff: DiffLine[];
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function CurrentVersion({ current }: { current: ConfigVersion }) {
  if (current.version === 0) return <p className="muted">Nothing set yet (version 0): the service runs on its defaults.</p>;
  return (
    <dl className="kv">
      <div>
        <dt>Version</dt>
        <dd>
          {current.version}
          {current.rollbackOf !== undefined && <span className="muted"> (restores version {current.rollbackOf})</span>}
        </dd>
      </div>
      <div>
        <dt>Author</dt>
        <dd>{current.author ?? '—'}</dd>
      </div>
      <div>
        <dt>Reason</dt>
        <dd>{current.reason ?? '—'}</dd>
      </div>
      <div>
        <dt>Set at</dt>
        <dd>{current.createdAt ? formatTime(current.createdAt) : '—'}</dd>
      </div>
    </dl>
  );
}

export function ServiceConfigPage({ service }: { service: string }) {
  const valid = SERVICE_NAME.test(service);
  const ids = useId();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<Error | null>(null);
  /** Bumped to read everything again (after a save or a rollback); what is shown stays until it answers. */
  const [round, setRound] = useState(0);

  /** The edited text; null while untouched (the editor then shows the version in effect). */
  const [draft, setDraft] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [review, setReview] = useState<Review | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<Error | null>(null);
  const [saved, setSaved] = useState('');
  const [rollingBack, setRollingBack] = useState(false);
  const [rollbackError, setRollbackError] = useState<Error | null>(null);
  const [rolledBack, setRolledBack] = useState('');

  useEffect(() => {
    if (!valid) return;
    const controller = new AbortController();
    const { signal } = controller;
    Promise.all([fetchConfig(service, signal), fetchConfigSchema(service, signal), fetchConfigHistory(service, signal)]).then(
      ([current, schema, history]) => {
        setLoaded({ current, schema: schema.schema, history: history.versions });
        setLoadError(null);
      },
      (err: unknown) => {
        if (!signal.aborted) setLoadError(asError(err));
      },
    );
    return () => controller.abort();
  }, [service, valid, round]);

  const currentText = loaded ? pretty(loaded.current.settings) : '';
  const text = draft ?? currentText;
  const changed = review !== null && review.diff.some((line) => line.kind !== 'same');

  const edit = (value: string) => {
    setDraft(value);
    // What Save sends is what was reviewed: an edit asks for a new review.
    setReview(null);
    setFormError(null);
  };

  const discard = () => {
    setDraft(null);
    setReview(null);
    setFormError(null);
  };

  const reviewChanges = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!loaded) return;
    setFormError(null);
    setSaveError(null);
    setSaved('');
    let settings: unknown;
    try {
      settings = JSON.parse(text);
    } catch (err) {
      setReview(null);
      setFormError(`The settings are not valid JSON: ${asError(err).message}`);
      return;
    }
    if (!isObject(settings)) {
      setReview(null);
      setFormError('The settings must be a JSON object: { "name": value, … }.');
      return;
    }
    setReview({ settings, basedOn: loaded.current.version, diff: diffTexts(currentText, pretty(settings)) });
  };

  const save = async () => {
    if (!review) return;
    const why = reason.trim();
    if (why === '') {
      setFormError(NO_REASON);
      return;
    }
    setFormError(null);
    setSaveError(null);
    setSaved('');
    setRollbackError(null);
    setRolledBack('');
    setSaving(true);
    try {
      const version = await changeConfig(service, { settings: review.settings, reason: why, basedOn: review.basedOn });
      setSaved(`Saved version ${version.version}`);
      // The answer is the version now in effect: shown at once, the history follows with the reload.
      setLoaded((l) => l && { ...l, current: version });
      setDraft(null);
      setReview(null);
      setReason('');
      setRound((r) => r + 1);
    } catch (err) {
      const error = asError(err);
      setSaveError(error);
      // Someone saved meanwhile: read what is in effect now, keep the edits, and ask for a new review.
      if (isConfigError(error) && error.current !== undefined) {
        setReview(null);
        setRound((r) => r + 1);
      }
    } finally {
      setSaving(false);
    }
  };

  const rollback = async (version: number) => {
    setRollingBack(true);
    setRollbackError(null);
    setRolledBack('');
    // What the editor said before is about the version this one replaces.
    setSaveError(null);
    setSaved('');
    try {
      const made = await rollbackConfig(service, { version, reason: ROLLBACK_REASON });
      setRolledBack(`Rolled back to version ${version}: saved as version ${made.version}`);
      setLoaded((l) => l && { ...l, current: made });
      // The review was made against the version before: a new one is needed.
      setReview(null);
    } catch (err) {
      setRollbackError(asError(err));
    } finally {
      setRollingBack(false);
      setRound((r) => r + 1);
    }
  };

  const conflict = saveError && isConfigError(saveError) && saveError.current !== undefined ? saveError.current : undefined;

  return (
    <>
      <h1 tabIndex={-1}>Config of {service}</h1>
      <p className="ops-back">
        <Link to="/config">All services</Link>
      </p>
      <ErrorAlert error={valid ? loadError : BAD_SERVICE} />
      {valid && !loaded && !loadError && <p role="status">Loading the settings…</p>}
      {loaded && (
        <>
          <section className="ops-section">
            <h2>Version in effect</h2>
            <CurrentVersion current={loaded.current} />
          </section>

          {loaded.schema ? (
            <details className="config-schema">
              <summary>Settings schema</summary>
              <div className="code-block" role="region" aria-label="Settings schema" tabIndex={0}>
                <pre>{pretty(loaded.schema)}</pre>
              </div>
            </details>
          ) : (
            <p className="ops-warning">
              {service} has published no settings schema: a change is refused until the service has started once.
            </p>
          )}

          <section className="ops-section">
            <h2>Change the settings</h2>
            <form className="config-editor" onSubmit={reviewChanges} noValidate>
              <div className="field">
                <label htmlFor={`${ids}-settings`}>Settings (JSON)</label>
                <textarea
                  id={`${ids}-settings`}
                  name="settings"
                  value={text}
                  onChange={(event) => edit(event.target.value)}
                  rows={18}
                  spellCheck={false}
                  autoComplete="off"
                  autoCapitalize="off"
                  aria-describedby={`${ids}-settings-hint`}
                />
                <span id={`${ids}-settings-hint`} className="muted">
                  A JSON object, checked against the service’s settings schema when saved.
                </span>
              </div>
              <TextField
                label="Reason"
                name="reason"
                value={reason}
                onChange={(event) => setReason(event.target.value)}
                required
                aria-required="true"
                maxLength={REASON_MAX}
                autoComplete="off"
                className="config-reason"
              />
              <div className="form-actions">
                <button type="submit">Review changes</button>
                {draft !== null && (
                  <button type="button" onClick={discard}>
                    Discard edits
                  </button>
                )}
              </div>
            </form>
            <ErrorAlert error={formError} />
            {review && (
              <>
                <DiffView diff={review.diff} label="Changes" />
                <div className="actions">
                  <button type="button" className="primary" disabled={!changed || saving} onClick={() => void save()}>
                    Save
                  </button>
                  {!changed && <span className="muted">The edited settings are those of version {review.basedOn}.</span>}
                  {saving && <span className="muted">Saving…</span>}
                </div>
              </>
            )}
            <p role="status" className="ops-done">
              {saved}
            </p>
            <ConfigProblem error={saveError} label="What the config server refused" />
            {conflict !== undefined && loaded.current.version === conflict && (
              <p className="muted">Version {conflict} is shown now: review your changes against it, then save again.</p>
            )}
          </section>

          <section className="ops-section">
            <h2>Earlier versions</h2>
            <ConfigHistory
              versions={loaded.history}
              current={loaded.current.version}
              busy={rollingBack}
              onRollback={(version) => void rollback(version)}
            />
            <p role="status" className="ops-done">
              {rolledBack}
            </p>
            <ConfigProblem error={rollbackError} label="What the config server refused" />
          </section>
        </>
      )}
    </>
  );
}
