import TideModel
import TideSQLite

/// One change in the change feed, written in the same transaction as the record change.
public struct FeedEntry: Sendable, Hashable {
    public enum Operation: String, Sendable {
        case insert = "INSERT", modify = "MODIFY", remove = "REMOVE"
    }

    /// Position in the feed: 1, 2, 3 … without holes, never reused.
    public var seq: Int64
    public var model: String
    public var id: String
    public var operation: Operation
    /// The record's `_version` after the change.
    public var version: Int64
    /// `Record.values(...)` before the change (nil for an insert).
    public var oldImage: [String: JSONValue]?
    /// `Record.values(...)` after the change (for a remove: the tombstone, `_deleted: true`).
    public var newImage: [String: JSONValue]?
    /// The writer's user id, or `system:ttl` for the TTL sweeper.
    public var actor: String
    /// Epoch milliseconds of the change.
    public var timestamp: Int64
    /// Why a change not made by a client happened, e.g. `"ttl"`.
    public var reason: String?

    public init(
        seq: Int64, model: String, id: String, operation: Operation, version: Int64,
        oldImage: [String: JSONValue]?, newImage: [String: JSONValue]?, actor: String, timestamp: Int64, reason: String?
    ) {
        self.seq = seq
        self.model = model
        self.id = id
        self.operation = operation
        self.version = version
        self.oldImage = oldImage
        self.newImage = newImage
        self.actor = actor
        self.timestamp = timestamp
        self.reason = reason
    }
}

/// SQL of the feed and checkpoint tables.
enum FeedSQL {
    static let insert = """
        INSERT INTO "_feed"("model", "id", "op", "version", "old_image", "new_image", "actor", "ts", "reason") \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let select = """
        SELECT "seq", "model", "id", "op", "version", "old_image", "new_image", "actor", "ts", "reason" \
        FROM "_feed" WHERE "seq" > ? ORDER BY "seq" LIMIT ?
        """
    static let head = "SELECT \"seq\" FROM sqlite_sequence WHERE \"name\" = '_feed'"
    static let firstRecent = "SELECT \"seq\" FROM \"_feed\" WHERE \"ts\" >= ? ORDER BY \"seq\" LIMIT 1"
    static let purge = """
        DELETE FROM "_feed" WHERE "seq" IN (SELECT "seq" FROM "_feed" WHERE "seq" <= ? ORDER BY "seq" LIMIT ?)
        """
    static let checkpoint = "SELECT \"seq\" FROM \"_checkpoints\" WHERE \"consumer\" = ?"
    static let lowestCheckpoint = "SELECT min(\"seq\") FROM \"_checkpoints\""
    static let checkpoints = "SELECT \"consumer\", \"seq\", \"updated_at\" FROM \"_checkpoints\" ORDER BY \"consumer\""
    static let removeCheckpoint = "DELETE FROM \"_checkpoints\" WHERE \"consumer\" = ?"
    static let timestamp = "SELECT \"ts\" FROM \"_feed\" WHERE \"seq\" = ?"
    /// Per record of a model with entries in a time range: the old image of its first entry and
    /// the new image of its last (`Store.changeSummaries`).
    static let changeSummaries = """
        SELECT r."id", (SELECT "old_image" FROM "_feed" WHERE "seq" = r."first"), \
        (SELECT "new_image" FROM "_feed" WHERE "seq" = r."last") \
        FROM (SELECT "id", min("seq") AS "first", max("seq") AS "last" FROM "_feed" \
        WHERE "model" = ?1 AND "ts" > ?2 AND "ts" <= ?3 AND "id" > ?4 GROUP BY "id" ORDER BY "id" LIMIT ?5) AS r \
        ORDER BY r."id"
        """
    static let saveCheckpoint = """
        INSERT INTO "_checkpoints"("consumer", "seq", "updated_at") VALUES (?, ?, ?) \
        ON CONFLICT("consumer") DO UPDATE SET "seq" = excluded."seq", "updated_at" = excluded."updated_at"
        """

    /// A stored record image (JSON text), nil when NULL.
    static func image(_ statement: Statement, _ column: Int32) -> [String: JSONValue]? {
        guard !statement.isNull(column) else { return nil }
        return statement.withTextBytes(column) { (try? JSONParser.parse($0))?.objectValue }
    }

    static func decode(_ statement: Statement) -> FeedEntry {
        func image(_ column: Int32) -> [String: JSONValue]? { Self.image(statement, column) }
        return FeedEntry(
            seq: statement.int64(0), model: statement.text(1), id: statement.text(2),
            operation: FeedEntry.Operation(rawValue: statement.text(3)) ?? .modify, version: statement.int64(4),
            oldImage: image(5), newImage: image(6), actor: statement.text(7), timestamp: statement.int64(8),
            reason: statement.optionalText(9))
    }
}
