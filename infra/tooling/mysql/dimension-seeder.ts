import type { Pool } from "mysql2/promise";
import { chunked } from "../../../lib/adapters/mysql/chunks.js";
import { MYSQL_TABLES } from "../../../lib/schema-names.js";
import type { Catalogue } from "../generator/tracking-event-factory.js";

/** Upserts the generator's companies, publishers and jobs into the dimension tables (idempotent). */
export async function seedDimensions(
  pool: Pool,
  catalogue: Catalogue,
  companyOf: (jobId: number) => number,
): Promise<void> {
  const companies = [...new Set(catalogue.jobs.map((j) => companyOf(j.jobId)))];
  for (const chunk of chunked(companies, 500)) {
    await pool.query(
      `INSERT INTO ${MYSQL_TABLES.company} (company_id, name) VALUES ? ON DUPLICATE KEY UPDATE name = VALUES(name)`,
      [chunk.map((id) => [id, `Company ${id}`])],
    );
  }
  for (const chunk of chunked(catalogue.publisherIds, 500)) {
    await pool.query(
      `INSERT INTO ${MYSQL_TABLES.publisher} (publisher_id, name) VALUES ? ON DUPLICATE KEY UPDATE name = VALUES(name)`,
      [chunk.map((id) => [id, `Publisher ${id}`])],
    );
  }
  for (const chunk of chunked(catalogue.jobs, 500)) {
    await pool.query(
      `INSERT INTO ${MYSQL_TABLES.job} (job_id, company_id, group_id, campaign_id, title) VALUES ?
       ON DUPLICATE KEY UPDATE company_id = VALUES(company_id), group_id = VALUES(group_id),
         campaign_id = VALUES(campaign_id), title = VALUES(title)`,
      [chunk.map((j) => [j.jobId, companyOf(j.jobId), j.groupId, j.campaignId, `Job ${j.jobId}`])],
    );
  }
}
