export interface EmbeddedPostgresServer {
  port: number;
  /** Admin URL of the `postgres` database. */
  url: string;
  /** URL of another database on this server. */
  urlOf(db: string): string;
  /** Stops the server, keeping its data (for restart tests). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export function startEmbeddedPostgres(opts?: { durable?: boolean; log?: (line: string) => void }): Promise<EmbeddedPostgresServer>;
