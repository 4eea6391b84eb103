import { parseArgs } from 'node:util';
import { loadConfig } from '@telemetry/config';
import { createStore } from '@telemetry/store';
import { createFirstAdmin, seedDemo } from './index.js';

const HELP = `Usage: tsx services/api/src/cli.ts <command> [options]

Commands:
  create-admin   Create the first platform admin (no-op when one exists)
                 --username <name> (default admin)  --password <pw> (default: generated, shown once)  --email <e>
  seed-demo      Create a demo tenant with the seeds' shapes (floors/pantries/dispensers, outlets/machines,
                 energy meters, a car-plant line), users and rules
                 --tenant <name> (default Demo)  --password <pw for the demo users> (default: generated)

Uses DATABASE_URL (or the embedded store under DATA_DIR) like the services.`;

async function run(): Promise<void> {
  const { positionals, values } = parseArgs({
    // `pnpm --filter @telemetry/api admin:create -- --username x` passes the `--` through
    args: process.argv.slice(2).filter((a) => a !== '--'),
    allowPositionals: true,
    options: {
      username: { type: 'string' },
      password: { type: 'string' },
      email: { type: 'string' },
      tenant: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command || !['create-admin', 'seed-demo'].includes(command)) {
    console.log(HELP);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const cfg = loadConfig(process.env);
  const store = await createStore(cfg.store, { applicationName: 'api-cli' });
  try {
    await store.migrate();
    if (command === 'create-admin') {
      const r = await createFirstAdmin(store, {
        username: values.username,
        password: values.password,
        email: values.email,
      });
      console.log(
        r.created
          ? `created platform admin "${r.username}" with password: ${r.password}`
          : `a platform admin exists already: ${r.username}`,
      );
    } else {
      const r = await seedDemo(store, { tenantName: values.tenant, password: values.password });
      if (r.users.length === 0) console.log(`tenant exists already (${r.tenantId}); nothing seeded`);
      else {
        console.log(`seeded tenant ${r.tenantId} with devices ${r.devices.join(', ')}`);
        for (const u of r.users) console.log(`  ${u.role.padEnd(8)} ${u.username}  ${u.password}`);
      }
    }
  } finally {
    await store.close();
  }
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
