import type { DoctorReport, Verdict } from './doctor.js';

const LABEL: Record<Verdict, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** The report as terminal tables: the recommended settings, then the checks. */
export function renderDoctorReport(report: DoctorReport, source: string): string {
  const lines = [
    `nestjs-rotating-pg doctor: connection "${report.connection}" (${source})`,
    '',
    'Recommended settings',
  ];
  lines.push(
    ...table(
      ['SETTING', 'VALUE', 'RECOMMENDED', 'VERDICT', 'WHY'],
      report.settings.map((row) => [row.setting, row.value, row.recommended, LABEL[row.verdict], row.reason]),
    ),
  );
  lines.push('', 'Checks');
  const rows: string[][] = [];
  for (const check of report.checks) {
    const [first = '', ...rest] = check.detail.split('\n');
    rows.push([check.check, LABEL[check.verdict], first]);
    for (const line of rest) rows.push(['', '', line]);
    if (check.fix && check.verdict === 'fail') rows.push(['', '', `fix: ${check.fix}`]);
  }
  lines.push(...table(['CHECK', 'VERDICT', 'DETAIL'], rows));
  if (report.backends.length > 0) {
    lines.push('', 'Backends of this user (pg_stat_activity)');
    lines.push(
      ...table(
        ['PID', 'APPLICATION', 'CLIENT', 'STARTED', 'AGE', 'STATE'],
        report.backends.map((b) => [
          String(b.pid),
          b.applicationName,
          b.clientAddr ?? '',
          b.backendStart,
          `${b.ageSeconds}s${b.tooOld ? ' (too old)' : ''}`,
          b.state ?? '',
        ]),
      ),
    );
  }
  lines.push('', report.ok ? 'All checks passed.' : 'Some checks failed: see FAIL rows.');
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const format = (row: string[]) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd();
  return [format(header), ...rows.map(format)];
}
