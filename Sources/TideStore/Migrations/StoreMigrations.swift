import TideSQLite

/// The store's own tables, as an ordered list of named migrations. `PRAGMA user_version` holds
/// how many have been applied; `_store_migrations` records their names. Append only: never edit
/// or reorder a migration that has shipped.
enum StoreMigrations {
    static let migrator = Migrator(database: "store", ledgerTable: "_store_migrations", migrations: [
        Migration(
            name: "0001-feed-checkpoints-model-fields",
            sql: """
                CREATE TABLE "_store_migrations"("name" TEXT PRIMARY KEY NOT NULL, "applied_at" INTEGER NOT NULL);
                CREATE TABLE "_feed"(
                    "seq" INTEGER PRIMARY KEY AUTOINCREMENT,
                    "model" TEXT NOT NULL,
                    "id" TEXT NOT NULL,
                    "op" TEXT NOT NULL,
                    "version" INTEGER NOT NULL,
                    "old_image" TEXT,
                    "new_image" TEXT,
                    "actor" TEXT NOT NULL,
                    "ts" INTEGER NOT NULL,
                    "reason" TEXT
                );
                CREATE TABLE "_checkpoints"(
                    "consumer" TEXT PRIMARY KEY NOT NULL,
                    "seq" INTEGER NOT NULL,
                    "updated_at" INTEGER NOT NULL
                );
                CREATE TABLE "_model_fields"(
                    "model" TEXT NOT NULL,
                    "field" TEXT NOT NULL,
                    "type" TEXT NOT NULL,
                    PRIMARY KEY ("model", "field")
                ) WITHOUT ROWID;
                """),
        Migration(
            name: "0002-restore-points",
            sql: """
                CREATE TABLE "_restore_points"(
                    "restored_at" INTEGER NOT NULL,
                    "backup_taken_at" INTEGER NOT NULL,
                    "backup_feed_head" INTEGER NOT NULL
                );
                """),
    ])
}
