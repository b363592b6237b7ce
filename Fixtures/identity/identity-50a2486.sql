-- <data>/identity.sqlite as tidewater wrote it at 50a2486 (2026-12-02), before the identity tables
-- moved to TideIdentity: `users add alice --group admins --group editors --email …`, `users add bob
-- --phone …`, `apikeys create --name ci`, `keys rotate`; then `sqlite3 identity.sqlite .dump`, with the
-- user_version that .dump leaves out appended. Passwords: alice "correct horse battery", bob
-- "battery staple horse". Tests/TideIdentityTests/ExistingDataTests.swift opens it with the current build.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "_identity_migrations"("name" TEXT PRIMARY KEY NOT NULL, "applied_at" INTEGER NOT NULL);
INSERT INTO _identity_migrations VALUES('0001-users-groups-sessions-apikeys-signingkeys',1796198795894);
INSERT INTO _identity_migrations VALUES('0002-users-groups-changed-at',1796198795894);
CREATE TABLE IF NOT EXISTS "users"(
    "id" TEXT PRIMARY KEY NOT NULL,
    "username" TEXT NOT NULL UNIQUE COLLATE NOCASE,
    "password_hash" TEXT NOT NULL,
    "email" TEXT,
    "phone" TEXT,
    "created_at" INTEGER NOT NULL
, "groups_changed_at" INTEGER NOT NULL DEFAULT 0) STRICT;
INSERT INTO users VALUES('ac04c4ee-0ac8-4401-8863-98a46b72c0ab','alice','$argon2id$v=19$m=65536,t=2,p=1$AOjropisOp7BQQaovjxx/A$MlHCMGQT4EToqrfSiN6rP7oR2a8D718LvuLGYCfNsvE','alice@example.com',NULL,1796198796242,0);
INSERT INTO users VALUES('2197b489-038a-42ab-a4bf-18680e9b3828','bob','$argon2id$v=19$m=65536,t=2,p=1$7w/dcO6ZdhD9V10pCHSwRw$bHguUyz0TJ9p5nitUCIPczDG0AgJvUTs8vnzaiKVO3I',NULL,'+14155550123',1796198796695,0);
CREATE TABLE IF NOT EXISTS "user_groups"(
    "user_id" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
    "group_name" TEXT NOT NULL,
    PRIMARY KEY ("user_id", "group_name")
) STRICT, WITHOUT ROWID;
INSERT INTO user_groups VALUES('ac04c4ee-0ac8-4401-8863-98a46b72c0ab','admins');
INSERT INTO user_groups VALUES('ac04c4ee-0ac8-4401-8863-98a46b72c0ab','editors');
CREATE TABLE IF NOT EXISTS "sessions"(
    "token_hash" TEXT PRIMARY KEY NOT NULL,
    "family_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
    "created_at" INTEGER NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "used_at" INTEGER,
    "revoked_at" INTEGER
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS "api_keys"(
    "id" TEXT PRIMARY KEY NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "expires_at" INTEGER,
    "revoked_at" INTEGER
) STRICT;
INSERT INTO api_keys VALUES('1dd435545d425499','FQKKhn2JiKBJ4MAfCrlmRmGdvHZUhWHyu8sIutDLya0','ci',1796198796792,NULL,NULL);
CREATE TABLE IF NOT EXISTS "signing_keys"(
    "kid" TEXT PRIMARY KEY NOT NULL,
    "secret_key" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "retired_at" INTEGER
) STRICT;
INSERT INTO signing_keys VALUES('tD4A6Ao9NJY','WguOznka842FDhn2BaDbfYchiQ3TNrsfoHbIOIgwxl_sLjNx_iCO7m6nPyR4DtZtoKzwAJglb1keAfuBlAHxTw',1796198795913,1796198796899);
INSERT INTO signing_keys VALUES('IVP7kZVwFB0','D4vewVlQsNs3gcWUFzItHDJwEZt9gbWNxMR1d01J1RdzFKFXee3ZPhVjUZipW5lBZKybajwpOORIW36HQS1yjQ',1796198796899,NULL);
CREATE INDEX "sessions_by_family" ON "sessions"("family_id");
CREATE INDEX "sessions_by_user" ON "sessions"("user_id");
COMMIT;
PRAGMA user_version = 2;
