import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { parseAccessLogLine, type UsageRecord } from './records.ts';

export interface RecordsRead {
  records: UsageRecord[];
  /** Lines that were not JSON access-log lines (another format, or a cut line). */
  skipped: number;
}

/** The edge's access-log file of a stage (one line per request); a missing file holds no requests. */
export async function readLogFile(file: string): Promise<RecordsRead> {
  const read: RecordsRead = { records: [], skipped: 0 };
  const stream = createReadStream(file, { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) collect(read, line);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return read;
    throw err;
  }
  return read;
}

/** A CloudWatch Logs group's events in [from, to), every page of FilterLogEvents. */
export async function readLogGroup(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  from?: number,
  to?: number,
): Promise<RecordsRead> {
  const read: RecordsRead = { records: [], skipped: 0 };
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({
        logGroupName,
        startTime: from,
        endTime: to === undefined ? undefined : to - 1,
        nextToken,
      }),
    );
    for (const event of page.events ?? []) collect(read, event.message ?? '');
    nextToken = page.nextToken;
  } while (nextToken);
  return read;
}

function collect(read: RecordsRead, line: string): void {
  if (line.trim() === '') return;
  const record = parseAccessLogLine(line);
  if (record) read.records.push(record);
  else read.skipped++;
}
