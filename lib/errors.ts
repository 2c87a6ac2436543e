/**
 * Typed errors. Every error the pipeline raises on purpose is a PipelineError subclass with a
 * stable `code`, a human message that says what to do, and the underlying `cause` when there is one.
 */
export class PipelineError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Configuration (environment) is missing or malformed. Never retried. */
export class ConfigError extends PipelineError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[], options?: { cause?: unknown }) {
    super("CONFIG_INVALID", `Invalid configuration:\n  - ${issues.join("\n  - ")}`, options);
    this.issues = issues;
  }
}

/** A server (Kafka, Cassandra, MySQL) could not be reached or answered with a transient failure. Retry. */
export class TransientError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TRANSIENT", message, options);
  }
}

/** A schema migration failed. */
export class MigrationError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MIGRATION_FAILED", message, options);
  }
}

/**
 * A database transaction lost a lock conflict (deadlock 1213, lock-wait timeout 1205, snapshot
 * conflict 1020, or a concurrent insert of the same de-duplication key). Rolled back; retry it whole.
 */
export class TransactionConflictError extends TransientError {
  readonly sqlErrno: number | undefined;

  constructor(message: string, options?: { cause?: unknown; sqlErrno?: number }) {
    super(message, options);
    this.sqlErrno = options?.sqlErrno;
  }
}

/** The warehouse (MySQL) rejected a statement for a non-transient reason (schema, privilege, data). */
export class WarehouseError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WAREHOUSE_FAILED", message, options);
  }
}

/** A Lambda event is not shaped like a Kafka event source mapping event (not a record problem). */
export class InvalidEventError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_EVENT", message, options);
  }
}

/** Another publisher with the same Kafka transactional id started (poller or reconciler): this one must stop. */
export class ProducerFencedError extends PipelineError {
  constructor(transactionalId: string, options?: { cause?: unknown }) {
    super("PRODUCER_FENCED", `producer ${transactionalId} was fenced by a newer instance; stopping`, options);
  }
}

/** A reconcile pass or replay was asked for something it must not do (guard off, outside the horizon…): nothing was done. */
export class ReconcileRefusedError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RECONCILE_REFUSED", message, options);
  }
}
