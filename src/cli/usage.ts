import type { Command } from 'commander';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { AccessLogFiles } from '../apigw/access-log.ts';
import { logsClient } from '../client/aws-clients.ts';
import {
  parseDateOption,
  usageReport,
  withinWindow,
  type UsageGrouping,
  type UsageReport,
  type UsageRow,
} from '../client/usage/report.ts';
import { readLogFile, readLogGroup, type RecordsRead } from '../client/usage/sources.ts';
import { accessLogGroupName } from '../deploy/declaration.ts';
import { describeAwsError } from '../deploy/target.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { localAccessLogArn } from './local-edge.ts';
import { printJson } from './output.ts';
import { chooseTarget, type TargetOptions } from './target.ts';

interface UsageOptions extends TargetOptions {
  from?: string;
  to?: string;
  by: string;
  json?: boolean;
  csv?: boolean;
}

const GROUPINGS: readonly UsageGrouping[] = ['user', 'route', 'day', 'status'];

/** `ddn usage`: requests, bytes, errors and latency per user, route, day or status, from the stage's access log. */
export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description(
      "report the API's use from its access log: requests, bytes, errors, p50/p95 latency per user, route, day or status",
    )
    .option('--from <date>', 'from this day (YYYY-MM-DD, UTC) or instant (ISO 8601), inclusive')
    .option('--to <date>', 'up to this day (inclusive) or instant (exclusive)')
    .option('--by <what>', 'user, route, day or status', 'user')
    .option('--json', 'print a JSON object')
    .option('--csv', 'print CSV')
    .option('--local', "the local edge's log file (default)")
    .option('--aws', 'the CloudWatch Logs group of the API on AWS (FilterLogEvents)')
    .action(async (opts: UsageOptions) => {
      loadDotenv();
      const config = loadConfig();
      if (!GROUPINGS.includes(opts.by as UsageGrouping))
        throw new CliError(`--by must be one of ${GROUPINGS.join(', ')} (got ${JSON.stringify(opts.by)})`, EXIT_USAGE);
      if (opts.json && opts.csv) throw new CliError('--json and --csv exclude each other: pick one', EXIT_USAGE);
      const from = dateOption('--from', opts.from, false);
      const to = dateOption('--to', opts.to, true);
      const target = chooseTarget(opts, config);
      let source: string;
      let read: RecordsRead;
      if (target.name === 'aws') {
        source = `log group ${accessLogGroupName(config.apiName)} (${config.region})`;
        read = await readLogGroup(logsClient(target.endpoint), accessLogGroupName(config.apiName), from, to).catch(
          (err: unknown) => {
            throw new CliError(`reading ${source} failed: ${describeAwsError(err)}`);
          },
        );
      } else {
        const file = AccessLogFiles.fileOf(config.dataDir, localAccessLogArn(config));
        source = file;
        read = await readLogFile(file);
      }
      const report = usageReport(withinWindow(read.records, from, to), opts.by as UsageGrouping);
      const window = {
        from: from === undefined ? null : new Date(from).toISOString(),
        to: to === undefined ? null : new Date(to).toISOString(),
      };
      if (opts.json)
        return printJson({
          source,
          ...window,
          by: report.by,
          rows: report.rows,
          total: report.total,
          latency: report.hasLatency,
          skippedLines: read.skipped,
        });
      if (opts.csv) return void process.stdout.write(usageCsv(report));
      process.stdout.write(
        `usage of ${config.apiName} from ${source}${window.from ? ` since ${window.from}` : ''}${window.to ? ` until ${window.to}` : ''}\n`,
      );
      process.stdout.write(usageTable(report));
      if (!report.hasLatency)
        process.stdout.write('latency: n/a (the access-log format has no $context.responseLatency)\n');
      if (read.skipped > 0)
        process.stdout.write(`${read.skipped} line(s) were not JSON access-log lines and were skipped\n`);
    });
}

function dateOption(name: string, value: string | undefined, end: boolean): number | undefined {
  if (value === undefined) return undefined;
  const t = parseDateOption(value, end);
  if (t === undefined)
    throw new CliError(
      `${name} must be a date (YYYY-MM-DD) or an ISO 8601 instant (got ${JSON.stringify(value)})`,
      EXIT_USAGE,
    );
  return t;
}

const HEADERS = ['requests', 'bytes', 'errors', 'p50 ms', 'p95 ms'];

function cells(row: UsageRow): string[] {
  const latency = (v: number | null) => (v === null ? 'n/a' : String(Math.round(v)));
  return [String(row.requests), String(row.bytes), String(row.errors), latency(row.p50Ms), latency(row.p95Ms)];
}

export function usageTable(report: UsageReport): string {
  const lines = [
    [report.by, ...HEADERS],
    ...report.rows.map((r) => [r.key, ...cells(r)]),
    ['total', ...cells(report.total)],
  ];
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return (
    lines
      .map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
      .join('\n') + '\n'
  );
}

/** One header line and one line per group; no total line (sum the columns). Empty latency cells when unknown. */
export function usageCsv(report: UsageReport): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [[report.by, 'requests', 'bytes', 'errors', 'p50_ms', 'p95_ms'].join(',')];
  for (const r of report.rows)
    lines.push([quote(r.key), r.requests, r.bytes, r.errors, r.p50Ms ?? '', r.p95Ms ?? ''].join(','));
  return lines.join('\n') + '\n';
}
