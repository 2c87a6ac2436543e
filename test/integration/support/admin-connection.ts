import mysql, { type Connection } from "mysql2/promise";
import { type Config, requireSecret } from "../../../lib/config/index.js";

/**
 * One connection as the MySQL admin account (what an operator does by hand), to the config's
 * database unless `withoutDatabase`. The caller ends it.
 */
export function adminConnection(
  config: Config,
  options: { withoutDatabase?: boolean } = {},
): Promise<Connection> {
  return mysql.createConnection({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.admin.user,
    password: requireSecret(config.mysql.admin),
    ...(options.withoutDatabase ? {} : { database: config.mysql.database }),
  });
}
