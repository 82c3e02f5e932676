import { Pool } from 'pg';

export const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: 5,
  connectionTimeoutMillis: 5000,
  maxLifetimeSeconds: 1800,
});

pool.on('error', (err) => console.error(err));
