import type { RunningStack } from './stack.js';

/** What a person reads after `npm start`: where everything is, and the credentials shown once. */
export function banner(stack: RunningStack): string {
  const lines = [
    '',
    'Telemetry is running',
    `  Dashboard and API   ${stack.urls.http}   (OpenAPI: ${stack.urls.http}/docs)`,
    `  MQTT                ${stack.urls.mqtt}${stack.urls.mqttWs ? `   (WebSocket: ${stack.urls.mqttWs})` : ''}`,
    `  Device HTTP         POST ${stack.urls.http}/api/handshake/ then /api/device/events/`,
    `  Store               ${stack.storeKind}`,
    `  Bus                 ${stack.busKind}`,
    `  Mail                ${stack.mailTo}`,
    `  Metrics             ${stack.urls.metrics}   (Prometheus, METRICS_PORT)   Health: ${stack.urls.http}/readyz`,
  ];
  const sql = stack.sqlAccess;
  if (sql) {
    const where = sql.socketDir ? `-h ${sql.socketDir}` : `-h ${sql.host} -p ${sql.port}`;
    lines.push(
      `  SQL (read-only)     pnpm sql, or psql ${where} -U reader postgres   (password: ${sql.passwordFile}${sql.port ? `; TCP ${sql.host}:${sql.port}` : ''})`,
    );
  }
  if (stack.simulatedDevices > 0) {
    lines.push(`  Simulator           ${stack.simulatedDevices} demo devices publishing (SIMULATE=false turns it off)`);
  }
  const { admin, demoUsers } = stack.firstRun;
  if (admin || demoUsers.length > 0) {
    lines.push('', 'First start: these credentials are shown once, write them down');
    if (admin) lines.push(`  platform admin      ${admin.username} / ${admin.password}   (change it at first sign-in)`);
    for (const u of demoUsers) lines.push(`  demo ${u.role.padEnd(15)}${u.username} / ${u.password}`);
  }
  lines.push('', 'Ctrl+C stops it; data stays in DATA_DIR for the next start.', '');
  return lines.join('\n');
}
