/** A problem with a combination of variables, reported on one of them (see loadConfig). */
export interface EnvIssue {
  /** The variable the problem is reported on. */
  readonly variable: string;
  readonly message: string;
}
