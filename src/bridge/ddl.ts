// Creates the bridge's Proton streams from otel-collector-config/proton/streams.sql (--create-streams).
// Proton's HTTP query interface takes one statement per request, so the file is split here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProtonClient } from './proton-client.js';
import { protonConfigDir } from './streams.js';

/** Splits SQL text into statements: drops -- and block comments, splits on ; outside quotes. */
export function splitSqlStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      current += ' ';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
    i++;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** The statements that create the bridge's streams in `database` (creating the database first if needed). */
export function streamStatements(database: string, file = join(protonConfigDir(), 'streams.sql')): string[] {
  const statements = splitSqlStatements(readFileSync(file, 'utf8'));
  return database === 'default' ? statements : [`CREATE DATABASE IF NOT EXISTS ${database}`, ...statements];
}

/** Runs the DDL; CREATE DATABASE runs in `default` (the target database may not exist yet). */
export async function createStreams(client: ProtonClient, database: string): Promise<number> {
  const statements = streamStatements(database);
  for (const sql of statements) {
    await client.query(sql, /^CREATE DATABASE/i.test(sql) ? 'default' : database);
  }
  return statements.length;
}
