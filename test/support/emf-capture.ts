import { vi } from "vitest";

/** One embedded-metric-format line as Powertools prints it to stdout. */
export interface EmfBlob {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: ReadonlyArray<readonly string[]>;
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [key: string]: unknown;
}

/**
 * Captures the EMF lines written to stdout (Powertools Metrics prints them through a Console bound to
 * process.stdout); other output passes through.
 */
export function captureEmf(): { blobs(): EmfBlob[]; clear(): void; restore(): void } {
  const blobs: EmfBlob[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    let passthrough = "";
    for (const line of text.split("\n")) {
      if (line.startsWith('{"_aws"')) blobs.push(JSON.parse(line) as EmfBlob);
      else if (line !== "") passthrough += `${line}\n`;
    }
    if (passthrough !== "")
      return (original as (c: string, ...r: unknown[]) => boolean)(passthrough, ...rest);
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write);
  return { blobs: () => [...blobs], clear: () => void blobs.splice(0), restore: () => spy.mockRestore() };
}

/** Metric name → values (a metric flushed several times or with several values gives several). */
export function metricValues(blobs: readonly EmfBlob[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const b of blobs) {
    for (const directive of b._aws.CloudWatchMetrics) {
      for (const m of directive.Metrics) {
        const v = b[m.Name];
        const values = Array.isArray(v) ? (v as number[]) : [v as number];
        out.set(m.Name, [...(out.get(m.Name) ?? []), ...values]);
      }
    }
  }
  return out;
}

/** Metric name → unit, namespace and dimension set (names and values), for every metric of the blobs. */
export function metricDeclarations(
  blobs: readonly EmfBlob[],
): Array<{ name: string; unit: string; namespace: string; dimensions: Record<string, unknown> }> {
  return blobs.flatMap((b) =>
    b._aws.CloudWatchMetrics.flatMap((d) =>
      d.Metrics.map((m) => ({
        name: m.Name,
        unit: m.Unit,
        namespace: d.Namespace,
        dimensions: Object.fromEntries(d.Dimensions.flat().map((k) => [k, b[k]])),
      })),
    ),
  );
}
