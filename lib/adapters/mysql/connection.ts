import mysql, { type Pool, type PoolOptions } from "mysql2/promise";
import { type Config, type DbAccount, requireSecret } from "../../config/index.js";

export interface MysqlConnectOptions {
  /** Connect without selecting the database (used by migrations before it exists). */
  readonly withoutDatabase?: boolean;
  readonly connectionLimit?: number;
}

/** A mysql2 pool for one account. The pool is lazy: no connection is made until the first query. */
export function createMysqlPool(config: Config, account: DbAccount, options: MysqlConnectOptions = {}): Pool {
  const poolOptions: PoolOptions = {
    host: config.mysql.host,
    port: config.mysql.port,
    user: account.user,
    password: requireSecret(account),
    connectionLimit: options.connectionLimit ?? 4,
    // All DATETIME/TIMESTAMP values cross the wire in UTC; reporting time zone is applied in code.
    timezone: "Z",
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    connectTimeout: 10_000,
    enableKeepAlive: true,
  };
  if (!options.withoutDatabase) poolOptions.database = config.mysql.database;
  return mysql.createPool(poolOptions);
}
