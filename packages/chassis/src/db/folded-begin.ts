// BEGIN folding: a transaction's BEGIN travels in the same network write as its
// first statement, so every transaction costs one round trip fewer: here ~75-110
// µs of CPU, client and PostgreSQL together, per small transaction
// (bench/db/transactions.ts). Why it is safe: ARCHITECTURE.md, Decisions.

import pg from 'pg';

type QueryCallback = (err: Error | null, result: pg.QueryResult) => void;

/**
 * `begin` / `start transaction` in the forms Kysely (and people) write, with their modes: only these
 * are held back, so a held BEGIN cannot fail for its own text (a typo is sent, and fails, at once).
 */
const BEGIN =
  /^\s*(?:begin(?:\s+(?:transaction|work))?|start\s+transaction)(?:(?:\s*,\s*|\s+)(?:isolation\s+level\s+(?:serializable|repeatable\s+read|read\s+committed|read\s+uncommitted)|read\s+(?:only|write)|(?:not\s+)?deferrable))*\s*;?\s*$/i;
/** The end of a transaction, which with its BEGIN still held has nothing to end. */
const END = /^\s*(commit|end|rollback|abort)(?:\s+(?:transaction|work))?\s*;?\s*$/i;

/** True for the text of a BEGIN that may be held back (see BEGIN). */
export function isBegin(text: string): boolean {
  return BEGIN.test(text);
}

/** The command tag of a COMMIT/ROLLBACK text, or undefined for any other statement. */
export function endCommand(text: string): 'COMMIT' | 'ROLLBACK' | undefined {
  const m = END.exec(text);
  if (!m) return undefined;
  const word = m[1]!.toLowerCase();
  return word === 'commit' || word === 'end' ? 'COMMIT' : 'ROLLBACK';
}

/**
 * Whether a statement may follow a held BEGIN in one extended-protocol pipeline. One with parameters
 * is one statement (the extended protocol takes no more). One without parameters would go by the
 * simple protocol, where a text may hold several statements: folded only when it holds no `;`, so it
 * is one statement, and is not a COPY (which the simple protocol's Query handles).
 */
export function foldable(text: string, values: readonly unknown[]): boolean {
  if (values.length > 0) return true;
  return text.trim() !== '' && !text.includes(';') && !/^\s*copy\b/i.test(text);
}

/** What a held BEGIN, or the COMMIT/ROLLBACK of an empty transaction, answers: no rows. */
export function emptyResult(command: string): pg.QueryResult {
  return { command, rowCount: null, oid: 0, rows: [], fields: [] };
}

// pg's Query internals this file relies on (pg 8.23, lib/query.js and lib/connection.js).
interface PgConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string | undefined>;
  submittedNamedStatements: Record<string, string | undefined>;
  parse(query: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  execute(config: { portal: string; rows: number }): void;
}
interface QueryInternals {
  text: string;
  prepare(connection: PgConnection): void;
  handleCommandComplete(msg: unknown, connection: PgConnection): void;
  handleError(err: Error, connection: PgConnection): void;
}
const QueryBase = pg.Query as unknown as new (text: string, values: unknown[], callback: QueryCallback) => QueryInternals;

/**
 * A statement with the transaction's BEGIN before it, in one write: Bind/Execute of the BEGIN (a
 * named statement, parsed once per connection like any other), then the statement's Parse (unless
 * this connection has it)/Bind/Describe/Execute, and one Sync, so one ReadyForQuery. Sync does not
 * end the transaction BEGIN opened; a failing BEGIN or statement makes the server skip to Sync, and
 * the caller's error leads to its ROLLBACK as before. The BEGIN is prepared because an unnamed one
 * (Parse, Bind, Execute every time) cost PostgreSQL as much as the round trip saved
 * (bench/db/transactions.ts).
 *
 * Its result is the statement's: the BEGIN's CommandComplete is not counted. node-postgres records a
 * ParseComplete, and forgets a statement whose Parse may have failed, under the active query's
 * `name`: until the BEGIN has completed, that is the BEGIN's name, then the statement's.
 */
class BeginThenStatement extends QueryBase {
  // Set through the `name` setter while pg's constructor runs, before this class's fields exist, so
  // declared only (an initialised field would overwrite it). An accessor on the prototype, not one
  // defined per instance: every instance keeps one shape, and pg's code that handles queries stays fast.
  declare private statementName: string | undefined;
  private readonly begin: string;
  private readonly beginName: string | undefined;
  private inBegin = false;
  private began = false;
  private parsesStatement = false;

  constructor(
    begin: string,
    beginName: string | undefined,
    name: string | undefined,
    text: string,
    values: unknown[],
    callback: QueryCallback,
  ) {
    super(text, values, callback);
    this.begin = begin;
    this.beginName = beginName;
    this.statementName = name;
  }

  get name(): string | undefined {
    return this.inBegin ? this.beginName : this.statementName;
  }

  set name(value: string | undefined) {
    this.statementName = value;
  }

  submit(connection: PgConnection): Error | null {
    const name = this.statementName;
    const previous =
      name === undefined ? undefined : (connection.parsedStatements[name] ?? connection.submittedNamedStatements[name]);
    if (previous !== undefined && previous !== this.text)
      return new Error(`Prepared statements must be unique - '${name}' was used for a different statement`);
    this.parsesStatement = name !== undefined && previous === undefined;
    connection.stream.cork?.();
    try {
      const beginName = this.beginName;
      if (beginName === undefined) connection.parse({ text: this.begin, name: '', types: [] });
      else if ((connection.parsedStatements[beginName] ?? connection.submittedNamedStatements[beginName]) === undefined) {
        connection.parse({ text: this.begin, name: beginName, types: [] });
        connection.submittedNamedStatements[beginName] = this.begin;
      }
      connection.bind({ portal: '', statement: beginName ?? '', values: [] });
      connection.execute({ portal: '', rows: 0 });
      this.prepare(connection); // the statement, as pg sends any prepared one, with the Sync
    } finally {
      connection.stream.uncork?.();
    }
    this.inBegin = !this.began;
    return null;
  }

  override handleCommandComplete(msg: unknown, connection: PgConnection): void {
    if (!this.began) {
      this.began = true;
      this.inBegin = false;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }

  override handleError(err: Error, connection: PgConnection): void {
    // The BEGIN failed, so the server skipped the statement's Parse: the connection does not have it.
    if (!this.began && this.parsesStatement) delete connection.submittedNamedStatements[this.statementName!];
    this.inBegin = false;
    super.handleError(err, connection);
  }
}

/** Submits `begin` and the statement as one pipeline (BeginThenStatement) and gives the statement's result. */
export function beginThen(
  query: (...args: unknown[]) => unknown,
  begin: string,
  beginName: string | undefined,
  name: string | undefined,
  text: string,
  values: unknown[],
): Promise<pg.QueryResult> {
  return new Promise<pg.QueryResult>((resolve, reject) => {
    query(new BeginThenStatement(begin, beginName, name, text, values, (err, result) => (err ? reject(err) : resolve(result))));
  });
}
