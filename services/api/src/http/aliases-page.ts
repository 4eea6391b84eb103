import type { AnyRoute } from './route-table.js';

/** The seeds (/work/shared/seeds), by the tag their alias routes carry, and what differs for all of them. */
const SEEDS: Record<string, { title: string; differs: string[] }> = {
  'compat-dispenser': {
    title: 'Seed 000: dispenser management (Django + simplejwt)',
    differs: [
      'URLs are served with and without /api (its README lists them without).',
      'Registration needs a signed-in admin/manager or an invitation token (the seed’s was open).',
      'A dispenser without a device reports its level as a virtual device dispenser-&lt;id&gt;.',
      'GET /users/token/refresh/ takes the refresh token as ?refresh=, X-Refresh-Token or the refresh cookie.',
    ],
  },
  'compat-aggregator': {
    title: 'Seed 001: IoT reading aggregator (DRF + simplejwt)',
    differs: [
      'Times are answered as UTC with +00:00 (fractions in milliseconds: .950901 becomes .950).',
      'GET /api/devices is our device list ({items, nextCursor}); the aggregated means are at /api/readings/aggregated/.',
      'Unknown sensor ids in an upload become devices of the tenant only when a manager or admin uploads.',
    ],
  },
  'compat-ozone': {
    title: 'Seed 003: ozone telemetry (Django sessions)',
    differs: [
      'The session is the httpOnly cookie pair; the tokens are also in the login answer.',
      'POST /api/auth/login/ answers one superset shape for the ozone and the energy seeds: success, user (ozone), message, tokens {access, refresh, user {id, username, role}} (energy), access, refresh.',
      'Device and status answers add the DeviceStatus and MachineDevice fields; mode is status after a heartbeat.',
    ],
  },
  'compat-energy': {
    title: 'Seed 004: energy management (three Django services behind Traefik)',
    differs: [
      'Role client is our viewer (sees only the devices assigned to them); tokens.user.role says client.',
      'Devices are assets of type meter; max_consumption and price must be numbers ≥ 0 (also on /api/assets).',
      'Deleting a user removes their assignments and sessions in one transaction (the seed’s saga).',
    ],
  },
  'compat-car-plant': {
    title: 'Seed 002: car-plant analytics',
    differs: [
      'No URLs of its own: its flows use the canonical routes (PUT /api/device-types/{typeName} for the deadband, alerts, tasks; tenant setting operatorsSeeAll).',
    ],
  },
};

const COMMON = [
  'Ids are UUIDs (device ids: the device’s own string id), not integers.',
  'Times are UTC ISO 8601 (2026-01-01T10:00:00.000Z) unless a seed’s row says otherwise.',
  'Errors are RFC 9457 application/problem+json (see /docs/problems), with the same roles and tenancy as the canonical routes.',
];

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** /docs/aliases: every seed alias with the seed it serves, the canonical route it mirrors and what differs. */
export function aliasesPage(routes: AnyRoute[]): string {
  const sections = Object.entries(SEEDS).map(([tag, seed]) => {
    const mine = routes.filter((r) => r.tags.includes(tag));
    if (mine.length === 0 && seed.differs.length === 0) return '';
    const rows = mine
      .map(
        (r) =>
          `<tr><td>${r.method.toUpperCase()}</td><td><code>${esc(r.path)}</code></td><td>${r.aliasOf ? `<code>${esc(r.aliasOf)}</code>` : '(seed only)'}</td><td>${esc(r.summary)}</td></tr>`,
      )
      .join('\n');
    return `<section id="${tag}"><h2>${seed.title}</h2>
<ul>${seed.differs.map((d) => `<li>${d}</li>`).join('')}</ul>
<table><thead><tr><th>method</th><th>alias</th><th>canonical</th><th>what it does</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Seed aliases</title></head><body>
<h1>Seed aliases</h1><p>The URLs of the systems this platform replaces, with the seed each serves. For all of them:</p>
<ul>${COMMON.map((c) => `<li>${c}</li>`).join('')}</ul>
${sections.join('\n')}
</body></html>`;
}
