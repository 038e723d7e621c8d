/**
 * Cron expressions as Airflow accepts them: croniter's five fields, their ranges, names,
 * steps and the `L`, `W`, `#` forms it parses, plus dates that can never occur (croniter
 * only fails on those when the scheduler asks for the next run).
 */

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS },
];

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A number, or a name for months (jan = 1) and weekdays (sun = 0); undefined if neither. */
function value(token: string, field: Field): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const index = field.names?.indexOf(token.toLowerCase()) ?? -1;
  if (index < 0) return undefined;
  return field.names === MONTHS ? index + 1 : index;
}

/** Problems with one comma-separated item of a field; `values` collects what it expands to. */
function itemProblems(item: string, field: Field, values: Set<number>): string[] {
  if (item === '?' && (field.name === 'day of month' || field.name === 'day of week')) return [];
  if (field.name === 'day of month' && (item === 'L' || /^\d+W$/.test(item))) {
    if (item !== 'L' && !inRange(Number(item.slice(0, -1)), field)) return [outOfRange(item, field)];
    return [];
  }
  if (field.name === 'day of week' && item.includes('#')) {
    const [day = '', nth = ''] = item.split('#');
    const weekday = value(day, field);
    if (weekday === undefined || !inRange(weekday, field)) return [outOfRange(day, field)];
    if (!/^[1-5]$/.test(nth)) return [`'${item}' in the day of week needs an occurrence from 1 to 5 after '#' (e.g. 'mon#2')`];
    return [];
  }
  const match = /^(\*|[^-/]+(?:-[^-/]+)?)(?:\/(.*))?$/.exec(item);
  if (!match) return [`'${item}' is not a valid ${field.name} item (use a number, a range 'a-b', a list 'a,b', '*' or a step '*/n')`];
  const [, range = '', step] = match;
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) return [`the step '${step}' in '${item}' must be a whole number of at least 1`];
  const bounds = range === '*' ? [String(field.min), String(field.max)] : range.split('-');
  const numbers = bounds.map((token) => value(token, field));
  const bad = bounds.find((token, index) => numbers[index] === undefined || !inRange(numbers[index]!, field));
  if (bad !== undefined) return [outOfRange(bad, field)];
  const [low, high = low] = numbers as [number, number?];
  const stride = step === undefined ? 1 : Number(step);
  if (range === '*') for (let v = low; v <= high!; v += stride) values.add(v);
  else if (low <= high!) for (let v = low; v <= high!; v += stride) values.add(v);
  else values.add(low); // croniter wraps reversed ranges; only their start matters for the date check below
  return [];
}

const inRange = (n: number, field: Field): boolean => n >= field.min && n <= field.max;

function outOfRange(token: string, field: Field): string {
  const names = field.names ? ` or ${field.names[0]}–${field.names[field.names.length - 1]}` : '';
  return `'${token}' is out of range for the ${field.name} (${field.min}–${field.max}${names})`;
}

/** Every problem Airflow (croniter) would raise for `expression`, as sentence fragments. */
export function cronProblems(expression: string): string[] {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return [`a cron schedule has five space-separated fields (minute hour day-of-month month day-of-week), this one has ${fields.length}`];
  }
  const expanded = FIELDS.map(() => new Set<number>());
  const problems = fields.flatMap((text, index) => text.split(',').flatMap((item) => itemProblems(item, FIELDS[index]!, expanded[index]!)));
  if (problems.length) return problems;
  const [, , days, months] = expanded;
  const literalDays = /^[\d,]+$/.test(fields[2]!);
  if (literalDays && days!.size && ![...months!].some((month) => [...days!].some((day) => day <= DAYS_IN_MONTH[month - 1]!))) {
    problems.push(`day ${[...days!].join(',')} never occurs in month ${[...months!].join(',')}, so Airflow could never compute a next run`);
  }
  return problems;
}
