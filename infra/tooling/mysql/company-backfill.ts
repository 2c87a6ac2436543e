import type { Pool, ResultSetHeader } from "mysql2/promise";
import { toPipelineError } from "../../../lib/adapters/mysql/mysql-errors.js";
import { MYSQL_TABLES } from "../../../lib/schema-names.js";

/**
 * Fills `events.company_id` where it is still NULL because the job was not in the `job` dimension
 * when the aggregates were written. Idempotent; safe to run while the aggregator runs (it only
 * touches rows whose company is NULL, and the aggregator's upsert keeps a known company).
 * Returns the number of fact rows updated. Meant for a CLI command / scheduled job.
 */
export async function backfillCompanyIds(pool: Pool): Promise<number> {
  const { events, job } = MYSQL_TABLES;
  try {
    const [res] = await pool.query<ResultSetHeader>(
      `UPDATE ${events} e JOIN ${job} j ON j.job_id = e.job_id SET e.company_id = j.company_id WHERE e.company_id IS NULL`,
    );
    return res.affectedRows;
  } catch (err) {
    throw toPipelineError(err, "back-filling company ids");
  }
}
