-- One database role per Postgres-using service, each owning its own schema and nothing else:
--
--   role                schema         service
--   llmp_auth           auth           auth          (users, API keys, refresh tokens, usage, JWT signing keys)
--   llmp_chat_history   chat_history   chat-history  (conversations, items, summaries, memory outbox)
--   llmp_rag            rag            rag           (documents, chunks)
--
-- The auth schema holds the JWT private signing key (auth.signing_keys): only llmp_auth (and the superuser) can
-- read it. The other roles have no USAGE on the auth schema, so even a SQL injection in chat-history or rag cannot
-- reach it; likewise no service can read another's tables.
--
-- Run by a superuser, or by the database's owner with CREATEROLE (a managed service's admin user), on the
-- platform's database, with psql 15 or later:
--   psql "$ADMIN_DATABASE_URL" -v ON_ERROR_STOP=1 -f service-roles.sql
-- It reads the three roles' passwords from the environment (AUTH_DB_PASSWORD, CHAT_HISTORY_DB_PASSWORD,
-- RAG_DB_PASSWORD) and is idempotent: run it again to rotate the passwords, or on a database where the services
-- used to connect as the superuser (it hands their schemas' objects to the service roles).
--
-- docker-compose.yml mounts it into the postgres container's /docker-entrypoint-initdb.d (run on the first start
-- of an empty data volume); k8s runs it as the llmp-db-roles Job. Keep infra/docker/postgres/service-roles.sql and
-- k8s/base/config/service-roles.sql identical (apps/api-gateway/test/service-db-roles.e2e-spec.ts checks it).

\set ON_ERROR_STOP on
SET client_min_messages = warning;
\getenv auth_password AUTH_DB_PASSWORD
\getenv chat_history_password CHAT_HISTORY_DB_PASSWORD
\getenv rag_password RAG_DB_PASSWORD

\if :{?auth_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'AUTH_DB_PASSWORD is not set'; END $$;
\endif
\if :{?chat_history_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'CHAT_HISTORY_DB_PASSWORD is not set'; END $$;
\endif
\if :{?rag_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'RAG_DB_PASSWORD is not set'; END $$;
\endif

-- Roles: log in, nothing else (created NOSUPERUSER NOREPLICATION NOBYPASSRLS, the defaults; no CREATEDB, no
-- CREATEROLE, no membership in other roles).
SELECT format('CREATE ROLE %I', r)
  FROM unnest(ARRAY['llmp_auth', 'llmp_chat_history', 'llmp_rag']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE llmp_auth WITH LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'auth_password';
ALTER ROLE llmp_chat_history WITH LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'chat_history_password';
ALTER ROLE llmp_rag WITH LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'rag_password';
-- Run by a non-superuser (a managed service's admin with CREATEROLE), it must be a member of a role to hand it a
-- schema.
SELECT format('GRANT %I TO %I', r, current_user)
  FROM unnest(ARRAY['llmp_auth', 'llmp_chat_history', 'llmp_rag']) AS r
 WHERE NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
   AND NOT pg_has_role(current_user, r, 'MEMBER') \gexec

-- The database: only the service roles (and its owner) connect. They also need CREATE on it: every service runs
-- `CREATE SCHEMA IF NOT EXISTS <its schema>` at start (libs/platform/src/database/ensure-database.ts), and Postgres
-- checks that privilege even when the schema exists. The schemas are created below, owned by their roles, so that
-- privilege cannot be used to take another service's schema name.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO llmp_auth, llmp_chat_history, llmp_rag', current_database()) \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Schemas: each owned by its role (TypeORM's migrations create and alter its tables there), used by no one else.
DO $$
DECLARE
  owner_of CONSTANT jsonb := '{"auth": "llmp_auth", "chat_history": "llmp_chat_history", "rag": "llmp_rag"}';
  s text;
  r text;
  obj record;
BEGIN
  FOR s, r IN SELECT key, value FROM jsonb_each_text(owner_of) LOOP
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', s, r);
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', s, r);
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', s);
    EXECUTE format('ALTER ROLE %I SET search_path = %I', r, s);
    -- Objects created before the roles existed (the services connected as the superuser) pass to the role.
    -- Sequences owned by a column follow their table; objects of extensions stay with the extension.
    FOR obj IN
      SELECT c.relname AS name,
             CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                            WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = s
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
         AND c.relowner <> r::regrole::oid
         AND NOT EXISTS (SELECT FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
    LOOP
      EXECUTE format('ALTER %s %I.%I OWNER TO %I', obj.kind, s, obj.name, r);
    END LOOP;
    FOR obj IN
      SELECT t.typname AS name
        FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = s AND t.typtype = 'e' AND t.typowner <> r::regrole::oid
         AND NOT EXISTS (SELECT FROM pg_depend d
                          WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
    LOOP
      EXECUTE format('ALTER TYPE %I.%I OWNER TO %I', s, obj.name, r);
    END LOOP;
    FOR obj IN
      SELECT p.oid::regprocedure AS sig, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = s AND p.proowner <> r::regrole::oid AND p.prokind IN ('f', 'p')
         AND NOT EXISTS (SELECT FROM pg_depend d
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
      EXECUTE format('ALTER %s %s OWNER TO %I', obj.kind, obj.sig, r);
    END LOOP;
  END LOOP;
END
$$;
