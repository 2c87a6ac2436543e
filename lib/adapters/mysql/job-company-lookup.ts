import type { Pool } from "mysql2/promise";
import { MYSQL_TABLES } from "../../schema-names.js";
import type { JobCompanyLookup } from "../../use-cases/apply-batch-ports.js";
import { chunked } from "./chunks.js";
import { toPipelineError } from "./mysql-errors.js";

const IN_CHUNK = 1_000;

/** job_id → company_id from the `job` dimension: one `SELECT … WHERE job_id IN (…)` per 1,000 ids. */
export class MysqlJobCompanyLookup implements JobCompanyLookup {
  constructor(private readonly pool: Pool) {}

  async companyIds(jobIds: readonly number[]): Promise<ReadonlyMap<number, number>> {
    const out = new Map<number, number>();
    try {
      for (const chunk of chunked(jobIds, IN_CHUNK)) {
        const [rows] = await this.pool.query(
          `SELECT job_id, company_id FROM ${MYSQL_TABLES.job} WHERE job_id IN (?)`,
          [chunk],
        );
        for (const r of rows as Array<{ job_id: number; company_id: number }>) {
          out.set(Number(r.job_id), Number(r.company_id));
        }
      }
    } catch (err) {
      throw toPipelineError(err, "looking up job companies");
    }
    return out;
  }
}
