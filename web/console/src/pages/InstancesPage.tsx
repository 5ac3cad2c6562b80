// Every service instance: its version and zone from the registry, its process as the devhost runs it, its
// health (/health/ready), and the controls to kill, pause, resume or restart it when the devhost runs the
// processes. Under them, the circuit breakers that opened and the bulkheads in use, caller by caller. It
// refreshes every 2 s, and at once after a control.

import { useEffect, useRef, useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { InstanceActions } from '../components/InstanceActions.tsx';
import { ResultTable } from '../components/ResultTable.tsx';
import { RefreshToggle } from '../components/Toggle.tsx';
import { formatTime } from '../format.ts';
import {
  breakerRows,
  bulkheadRows,
  controlErrorOf,
  healthDetail,
  outcomeText,
  processText,
  sortInstances,
} from '../instances.ts';
import { controlInstance, fetchInstances, type InstanceAction, type InstancesAnswer, type InstanceView } from '../ops.ts';
import { asError } from '../problem.ts';
import { usePolling } from '../use-polling.ts';
import '../styles/ops-a.css';

const EVERY_SECONDS = 2;
const HEADERS = ['Instance', 'Service', 'Version', 'Zone', 'Process', 'Health', 'Actions'] as const;
const BREAKER_HEADERS = ['Caller', 'Calls to', 'State', 'Failures', 'Opened', 'Last opened'] as const;
const BREAKER_NUMERIC = ['Failures', 'Opened'] as const;
const BULKHEAD_HEADERS = ['Caller', 'Calls to', 'Active', 'Queued', 'Limit'] as const;
const BULKHEAD_NUMERIC = ['Active', 'Queued', 'Limit'] as const;

function HealthCell({ instance }: { instance: InstanceView }) {
  const detail = healthDetail(instance);
  const up = instance.health === 'up';
  return (
    <td className={`inst-health inst-${instance.health}`} title={detail || undefined}>
      <span className="status">{instance.health}</span>
      {detail && <span className={`inst-detail${up ? ' muted' : ''}`}>{detail}</span>}
    </td>
  );
}

function InstanceRow({
  instance,
  control,
  busy,
  onAction,
}: {
  instance: InstanceView;
  control: boolean;
  busy: boolean;
  onAction(instanceId: string, action: InstanceAction): void;
}) {
  const { process } = instance;
  const troubled = instance.health !== 'up' || process?.state === 'killed' || process?.state === 'paused';
  return (
    <tr className={troubled ? 'has-error' : undefined}>
      <td className="nowrap">
        <span className="mono" title={instance.url ?? undefined}>
          {instance.instanceId}
        </span>
        {!instance.registered && <span className="inst-unregistered">not in the registry</span>}
      </td>
      <td className="nowrap">{instance.service}</td>
      <td className="nowrap">{instance.version ?? '—'}</td>
      <td className="nowrap">{instance.zone ?? '—'}</td>
      <td className="nowrap">
        {control && process ? <span className={`inst-process inst-process-${process.state}`}>{processText(process)}</span> : '—'}
      </td>
      <HealthCell instance={instance} />
      <td className="nowrap">
        {control && process ? (
          <InstanceActions instanceId={instance.instanceId} state={process.state} busy={busy} onAction={onAction} />
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

function Tables({ answer, busy, onAction }: { answer: InstancesAnswer; busy: ReadonlySet<string>; onAction: InstanceRowAction }) {
  const instances = sortInstances(answer.instances);
  const breakers = breakerRows(instances);
  const bulkheads = bulkheadRows(instances);
  return (
    <>
      <ResultTable
        caption="Instances"
        headers={HEADERS}
        rowCount={instances.length}
        emptyText="No instance is known: none is in the registry and none is run by the devhost."
      >
        {instances.map((instance) => (
          <InstanceRow
            key={instance.instanceId}
            instance={instance}
            control={answer.control}
            busy={busy.has(instance.instanceId)}
            onAction={onAction}
          />
        ))}
      </ResultTable>

      <div className="inst-tables">
        <ResultTable
          caption="Breakers"
          headers={BREAKER_HEADERS}
          numeric={BREAKER_NUMERIC}
          rowCount={breakers.length}
          emptyText="No breaker has opened: every call between instances is going through."
        >
          {breakers.map(({ caller, breaker }) => (
            <tr key={`${caller}\u0000${breaker.instanceId}`} className={breaker.state === 'open' ? 'has-error' : undefined}>
              <td className="nowrap mono">{caller}</td>
              <td className="nowrap mono" title={breaker.url ?? breaker.service}>
                {breaker.instanceId}
                {breaker.leftAt !== undefined && (
                  <span className="inst-note" title={`Left the registry at ${formatTime(breaker.leftAt)}`}>
                    {' '}
                    (gone)
                  </span>
                )}
              </td>
              <td className={`nowrap status inst-breaker-${breaker.state}`} title={`Since ${formatTime(breaker.since)}`}>
                {breaker.state}
              </td>
              <td className="num">{breaker.failures}</td>
              <td className="num">{breaker.openings}</td>
              <td className="nowrap">{breaker.lastOpenedAt === null ? '—' : formatTime(breaker.lastOpenedAt)}</td>
            </tr>
          ))}
        </ResultTable>

        <ResultTable
          caption="Bulkheads"
          headers={BULKHEAD_HEADERS}
          numeric={BULKHEAD_NUMERIC}
          rowCount={bulkheads.length}
          emptyText="No call between instances is in flight or waiting right now."
        >
          {bulkheads.map(({ caller, bulkhead }) => (
            <tr
              key={`${caller}\u0000${bulkhead.service}`}
              className={bulkhead.queued >= bulkhead.queueLimit ? 'has-error' : undefined}
            >
              <td className="nowrap mono">{caller}</td>
              <td className="nowrap">{bulkhead.service}</td>
              <td className="num">{bulkhead.active}</td>
              <td className={`num${bulkhead.queued > 0 ? ' warn-text' : ''}`}>{bulkhead.queued}</td>
              <td className="num nowrap" title={`At most ${bulkhead.limit} at once, ${bulkhead.queueLimit} waiting`}>
                {bulkhead.limit} <span className="muted">+ {bulkhead.queueLimit} queued</span>
              </td>
            </tr>
          ))}
        </ResultTable>
      </div>
    </>
  );
}

type InstanceRowAction = (instanceId: string, action: InstanceAction) => void;

export function InstancesPage({ params: _params }: { params: URLSearchParams }) {
  const [refreshing, setRefreshing] = useState(true);
  // A control loads the list again at once: a new round (the one in flight, older, is dropped), with what
  // was shown kept on screen meanwhile.
  const [round, setRound] = useState(0);
  const [previous, setPrevious] = useState<{ answer: InstancesAnswer; at: number | null } | null>(null);
  const polled = usePolling(`/instances#${round}`, fetchInstances, refreshing, EVERY_SECONDS * 1000);
  const [busy, setBusy] = useState<ReadonlySet<string>>(() => new Set());
  const [outcome, setOutcome] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);

  const answer = polled.data ?? previous?.answer ?? null;
  const updatedAt = polled.data ? polled.updatedAt : (previous?.at ?? null);
  const controlError = answer ? controlErrorOf(answer) : null;
  const shown = useRef({ answer, updatedAt });
  useEffect(() => {
    shown.current = { answer, updatedAt };
  });

  const act = async (instanceId: string, action: InstanceAction) => {
    setBusy((ids) => new Set(ids).add(instanceId));
    setOutcome(null);
    setActionError(null);
    try {
      await controlInstance(instanceId, action);
      setOutcome(outcomeText(instanceId, action));
    } catch (err) {
      setActionError(asError(err));
    } finally {
      setBusy((ids) => {
        const next = new Set(ids);
        next.delete(instanceId);
        return next;
      });
    }
    const now = shown.current;
    if (now.answer) setPrevious({ answer: now.answer, at: now.updatedAt });
    setRound((n) => n + 1);
  };

  return (
    <>
      <h1 tabIndex={-1}>Instances</h1>
      <p className="inst-intro">
        Every instance of every service, with its health and the circuit breakers of its calls.
        {answer?.control !== false && (
          <>
            {' '}
            <strong>Kill</strong> sends SIGKILL: the instance stays down until you restart it. <strong>Pause</strong> sends
            SIGSTOP: the process hangs, so calls to it time out and its callers&apos; breakers open, until you resume it.{' '}
            <strong>Restart</strong> stops the process and starts it again.
          </>
        )}
      </p>
      {answer?.control === false && (
        <p className="empty-note">
          {controlError === null
            ? 'The processes are not run by the devhost here, so kill, pause and restart are not available.'
            : `The devhost's control did not answer (${controlError}), so kill, pause and restart are not available right now.`}
        </p>
      )}
      <div className="controls">
        <RefreshToggle
          on={refreshing}
          onToggle={() => setRefreshing((on) => !on)}
          updatedAt={updatedAt}
          everySeconds={EVERY_SECONDS}
        />
      </div>
      <p role="status" className="inst-outcome">
        {outcome ?? (polled.loading && !answer ? 'Loading the instances…' : '')}
      </p>
      <ErrorAlert error={actionError} />
      <ErrorAlert error={polled.error} />
      {answer && <Tables answer={answer} busy={busy} onAction={(id, action) => void act(id, action)} />}
    </>
  );
}
