import type { UsageRecord } from './records.ts';

export type UsageGrouping = 'user' | 'route' | 'day' | 'status';

export interface UsageRow {
  key: string;
  requests: number;
  bytes: number;
  /** Responses with status ≥ 400. */
  errors: number;
  /** Null when the log format has no latency (`$context.responseLatency`). */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface UsageReport {
  by: UsageGrouping;
  rows: UsageRow[];
  total: UsageRow;
  /** Whether the lines carried latency; false: p50/p95 are n/a. */
  hasLatency: boolean;
}

export const ANONYMOUS = '(anonymous)';

/** Requests whose time is in [from, to); a record without a time is kept only when no window is given. */
export function withinWindow(records: Iterable<UsageRecord>, from?: number, to?: number): UsageRecord[] {
  const kept: UsageRecord[] = [];
  for (const r of records) {
    if (from === undefined && to === undefined) kept.push(r);
    else if (r.time !== undefined && (from === undefined || r.time >= from) && (to === undefined || r.time < to))
      kept.push(r);
  }
  return kept;
}

export function usageReport(records: readonly UsageRecord[], by: UsageGrouping): UsageReport {
  const groups = new Map<string, UsageRecord[]>();
  for (const r of records) {
    const key = groupKey(r, by);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(r);
  }
  const rows = [...groups]
    .map(([key, group]) => summarise(key, group))
    .sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
  return { by, rows, total: summarise('total', records), hasLatency: records.some((r) => r.latencyMs !== undefined) };
}

function groupKey(r: UsageRecord, by: UsageGrouping): string {
  switch (by) {
    case 'user':
      return r.user ?? ANONYMOUS;
    case 'route':
      return r.routeKey ?? '(no route)';
    case 'day':
      return r.time === undefined ? '(no time)' : new Date(r.time).toISOString().slice(0, 10);
    case 'status':
      return r.status === undefined ? '(no status)' : String(r.status);
  }
}

function summarise(key: string, records: readonly UsageRecord[]): UsageRow {
  const latencies = records.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs])).sort((a, b) => a - b);
  return {
    key,
    requests: records.length,
    bytes: records.reduce((sum, r) => sum + r.bytes, 0),
    errors: records.filter((r) => r.status !== undefined && r.status >= 400).length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
  };
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** `2026-12-06` (that day, UTC) or an ISO date-time; `end` makes a bare date mean the end of that day. */
export function parseDateOption(value: string, end: boolean): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(start) ? undefined : end ? start + 86_400_000 : start;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
