import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as common from "@grafana/grafana-foundation-sdk/common";

/**
 * The foundation SDK has no MySQL query type: this is the shape Grafana's MySQL data source stores
 * for a query written in code mode. `rawSql` may use Grafana's MySQL macros ($__timeFilter …).
 */
export interface MysqlQuery extends cog.Dataquery {
  readonly refId: string;
  readonly datasource: common.DataSourceRef;
  readonly rawSql: string;
  readonly format: "table" | "time_series";
  readonly editorMode: "code";
  readonly rawQuery: true;
}

/** Uid of the provisioned warehouse data source (infra/grafana/provisioning/datasources). */
export const WAREHOUSE_DATASOURCE: common.DataSourceRef = { type: "mysql", uid: "jtp-warehouse" };

/** Builder for one MySQL target of a panel. */
export class MysqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private format: MysqlQuery["format"] = "table";
  private refId = "A";

  constructor(private readonly sql: string) {}

  asTimeSeries(): this {
    this.format = "time_series";
    return this;
  }

  ref(refId: string): this {
    this.refId = refId;
    return this;
  }

  build(): MysqlQuery {
    return {
      refId: this.refId,
      datasource: WAREHOUSE_DATASOURCE,
      rawSql: this.sql,
      format: this.format,
      editorMode: "code",
      rawQuery: true,
      _implementsDataqueryVariant: () => undefined,
    };
  }
}

/** Shorthands: a table-format query and a time-series-format query. */
export const tableQuery = (sql: string): MysqlQueryBuilder => new MysqlQueryBuilder(sql);
export const timeSeriesQuery = (sql: string): MysqlQueryBuilder => new MysqlQueryBuilder(sql).asTimeSeries();
