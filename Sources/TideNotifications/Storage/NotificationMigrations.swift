import TideSQLite

/// The notification database's tables (`<data>/notifications.sqlite`), as an ordered list of
/// migrations. Append only. Times are epoch milliseconds.
///
/// `deliveries` is the ledger: one row per (feed seq, rule, endpoint), written before the first
/// attempt, so re-applying a feed entry after a crash inserts nothing twice. `events` keeps the
/// event of each feed entry that has deliveries (templates are rendered when a delivery is
/// sent); `fanout_position` is the fan-out's feed position, written in the same transaction as
/// the rows it produced.
enum NotificationMigrations {
    static let migrator = Migrator(database: "notification store", ledgerTable: "_notification_migrations", migrations: [
        Migration(
            name: "0001-endpoints-optouts-deliveries",
            sql: """
                CREATE TABLE "_notification_migrations"("name" TEXT PRIMARY KEY NOT NULL, "applied_at" INTEGER NOT NULL);
                CREATE TABLE "endpoints"(
                    "id" TEXT PRIMARY KEY NOT NULL,
                    "user_id" TEXT NOT NULL,
                    "channel" TEXT NOT NULL,
                    "address" TEXT NOT NULL,
                    "platform" TEXT,
                    "time_zone" TEXT,
                    "enabled" INTEGER NOT NULL DEFAULT 1,
                    "disabled_reason" TEXT,
                    "created_at" INTEGER NOT NULL,
                    UNIQUE ("user_id", "channel", "address")
                ) STRICT;
                CREATE INDEX "endpoints_by_user" ON "endpoints"("user_id");
                CREATE TABLE "opt_outs"(
                    "user_id" TEXT NOT NULL,
                    "channel" TEXT NOT NULL,
                    "topic" TEXT NOT NULL,
                    PRIMARY KEY ("user_id", "channel", "topic")
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE "deliveries"(
                    "id" TEXT PRIMARY KEY NOT NULL,
                    "seq" INTEGER NOT NULL,
                    "rule" TEXT NOT NULL,
                    "endpoint_id" TEXT NOT NULL,
                    "user_id" TEXT NOT NULL,
                    "channel" TEXT NOT NULL,
                    "state" TEXT NOT NULL,
                    "attempts" INTEGER NOT NULL DEFAULT 0,
                    "in_flight" INTEGER NOT NULL DEFAULT 0,
                    "next_attempt_at" INTEGER,
                    "last_error" TEXT,
                    "provider_message_id" TEXT,
                    "created_at" INTEGER NOT NULL,
                    "updated_at" INTEGER NOT NULL,
                    UNIQUE ("seq", "rule", "endpoint_id")
                ) STRICT;
                CREATE INDEX "deliveries_open" ON "deliveries"("state", "next_attempt_at");
                CREATE TABLE "events"(
                    "seq" INTEGER PRIMARY KEY NOT NULL,
                    "event" TEXT NOT NULL
                ) STRICT;
                CREATE TABLE "fanout_position"(
                    "id" INTEGER PRIMARY KEY CHECK ("id" = 1),
                    "seq" INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX "deliveries_sent_by_rule" ON "deliveries"("rule", "user_id", "state", "updated_at");
                """)
    ])
}
