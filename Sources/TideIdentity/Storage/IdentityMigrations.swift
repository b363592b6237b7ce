import TideSQLite

/// The identity database's tables (`<data>/identity.sqlite`), as an ordered list of migrations.
/// `PRAGMA user_version` holds how many have been applied; `_identity_migrations` records their
/// names. Append only: never edit or reorder a migration that has shipped.
///
/// Usernames are unique case-insensitively (`COLLATE NOCASE`, ASCII folding: usernames are ASCII),
/// so `Alice` and `alice` are one account; the spelling given at sign-up is kept. Times are epoch
/// milliseconds. Deleting a user cascades to its groups, sessions and key envelope (`foreign_keys` is on).
enum IdentityMigrations {
    static let migrator = Migrator(database: "identity store", ledgerTable: "_identity_migrations", migrations: [
        Migration(
            name: "0001-users-groups-sessions-apikeys-signingkeys",
            sql: """
                CREATE TABLE "_identity_migrations"("name" TEXT PRIMARY KEY NOT NULL, "applied_at" INTEGER NOT NULL);
                CREATE TABLE "users"(
                    "id" TEXT PRIMARY KEY NOT NULL,
                    "username" TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    "password_hash" TEXT NOT NULL,
                    "email" TEXT,
                    "phone" TEXT,
                    "created_at" INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE "user_groups"(
                    "user_id" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
                    "group_name" TEXT NOT NULL,
                    PRIMARY KEY ("user_id", "group_name")
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE "sessions"(
                    "token_hash" TEXT PRIMARY KEY NOT NULL,
                    "family_id" TEXT NOT NULL,
                    "user_id" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
                    "created_at" INTEGER NOT NULL,
                    "expires_at" INTEGER NOT NULL,
                    "used_at" INTEGER,
                    "revoked_at" INTEGER
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX "sessions_by_family" ON "sessions"("family_id");
                CREATE INDEX "sessions_by_user" ON "sessions"("user_id");
                CREATE TABLE "api_keys"(
                    "id" TEXT PRIMARY KEY NOT NULL,
                    "secret_hash" TEXT NOT NULL,
                    "name" TEXT NOT NULL,
                    "created_at" INTEGER NOT NULL,
                    "expires_at" INTEGER,
                    "revoked_at" INTEGER
                ) STRICT;
                CREATE TABLE "signing_keys"(
                    "kid" TEXT PRIMARY KEY NOT NULL,
                    "secret_key" TEXT NOT NULL,
                    "created_at" INTEGER NOT NULL,
                    "retired_at" INTEGER
                ) STRICT;
                """),
        // When the user's groups last changed (epoch ms; 0: never): delta sync answers a base
        // sync to a caller whose groups changed since its lastSync.
        Migration(
            name: "0002-users-groups-changed-at",
            sql: """
                ALTER TABLE "users" ADD COLUMN "groups_changed_at" INTEGER NOT NULL DEFAULT 0;
                """),
        // Each user's key envelope (docs/ENCRYPTION.md): opaque JSON the server never reads, with
        // the version a PUT must name. Deleted with the user.
        Migration(
            name: "0003-key-envelopes",
            sql: """
                CREATE TABLE "key_envelopes"(
                    "user_id" TEXT PRIMARY KEY NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
                    "envelope" TEXT NOT NULL,
                    "version" INTEGER NOT NULL,
                    "updated_at" INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                """),
    ])
}
