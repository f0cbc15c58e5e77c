/** One API request as an access-log line tells it; what is not in the stage's format is undefined. */
export interface UsageRecord {
  /** Epoch ms the request arrived. */
  time?: number;
  /** The signed-in user (`cognito:username`); undefined for requests without one. */
  user?: string;
  routeKey?: string;
  status?: number;
  bytes: number;
  latencyMs?: number;
}

/**
 * Parses one access-log line of a JSON format (the billing format, the console's JSON preset, or any
 * JSON with these field names). API Gateway writes `-` for a value it lacks, which leaves an unquoted
 * number slot invalid JSON (`"responseLength":-`): such a slot is read as null. Undefined for a line
 * that is not a JSON object.
 */
export function parseAccessLogLine(line: string): UsageRecord | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(text.replace(/:\s*-\s*(?=[,}])/g, ':null')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null) return undefined;
  return {
    time: requestTime(fields.requestTime ?? fields.requestTimeEpoch),
    user: present(fields.user),
    routeKey: present(fields.routeKey),
    status: numberOf(fields.status),
    bytes: numberOf(fields.responseLength) ?? 0,
    latencyMs: numberOf(fields.responseLatency),
  };
}

/** A present value: not null, not empty, not API Gateway's `-`. */
function present(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value);
  return text === '' || text === '-' ? undefined : text;
}

function numberOf(value: unknown): number | undefined {
  const text = present(value);
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CLF_TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** `$context.requestTimeEpoch` (epoch ms) or `$context.requestTime` (`06/Dec/2026:03:11:59 +0000`). */
function requestTime(value: unknown): number | undefined {
  const epoch = numberOf(value);
  if (epoch !== undefined) return epoch;
  const m = typeof value === 'string' ? CLF_TIME.exec(value) : null;
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]);
  if (month < 0) return undefined;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offsetMs = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
  return utc - offsetMs;
}
