// Web API (node-postgres): no 'error' listener, and connect() may wait forever.
import { Pool } from 'pg';

export const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.PG_POOL_MAX ?? 60),
  maxLifetimeSeconds: 1800,
});
