import Foundation
import TideSQLite

extension NotificationStore {
    private static let endpointColumns =
        #""id", "user_id", "channel", "address", "platform", "time_zone", "enabled", "disabled_reason", "created_at""#

    /// Registers an endpoint, or returns the user's existing one for the same channel and
    /// address (enabled again, with the new platform and time zone: a device that registers
    /// again has a working token).
    public func registerEndpoint(
        userId: String, channel: NotificationChannel, address: String, platform: PushPlatform?, timeZone: String?, now: Int64
    ) throws(SQLiteError) -> Endpoint {
        try write { connection throws(SQLiteError) -> Endpoint in
            try connection.run(
                """
                INSERT INTO "endpoints"(\(Self.endpointColumns)) VALUES (?, ?, ?, ?, ?, ?, 1, NULL, ?)
                ON CONFLICT("user_id", "channel", "address") DO UPDATE SET
                  "platform" = excluded."platform", "time_zone" = excluded."time_zone", "enabled" = 1, "disabled_reason" = NULL
                """,
                [
                    .text(UUID().uuidString.lowercased()), .text(userId), .text(channel.rawValue), .text(address),
                    platform.map { .text($0.rawValue) } ?? .null, timeZone.map(SQLBinding.text) ?? .null, .int(now),
                ])
            return try Self.endpoints(
                connection, where: #""user_id" = ? AND "channel" = ? AND "address" = ?"#,
                [.text(userId), .text(channel.rawValue), .text(address)]
            )[0]
        }
    }

    /// Removes one of the user's endpoints; nil when the user has no endpoint with that id.
    public func removeEndpoint(id: String, userId: String) throws(SQLiteError) -> Endpoint? {
        try write { connection throws(SQLiteError) -> Endpoint? in
            guard let endpoint = try Self.endpoints(connection, where: #""id" = ? AND "user_id" = ?"#, [.text(id), .text(userId)]).first
            else { return nil }
            try connection.run(#"DELETE FROM "endpoints" WHERE "id" = ?"#, [.text(id)])
            return endpoint
        }
    }

    /// A user's endpoints, oldest first; every user's when `userId` is nil (the admin CLI).
    public func endpoints(userId: String?) throws(SQLiteError) -> [Endpoint] {
        try read { connection throws(SQLiteError) in
            if let userId {
                return try Self.endpoints(connection, where: #""user_id" = ?"#, [.text(userId)])
            }
            return try Self.endpoints(connection, where: "1", [])
        }
    }

    public func endpoint(id: String) throws(SQLiteError) -> Endpoint? {
        try read { connection throws(SQLiteError) in try Self.endpoints(connection, where: #""id" = ?"#, [.text(id)]).first }
    }

    /// Stops sending to an endpoint a provider refused (an invalid token or address).
    public func disableEndpoint(id: String, reason: String) throws(SQLiteError) {
        try write { connection throws(SQLiteError) in
            _ = try connection.run(
                #"UPDATE "endpoints" SET "enabled" = 0, "disabled_reason" = ? WHERE "id" = ?"#, [.text(reason), .text(id)])
        }
    }

    /// Opts a user out of (or back into) a channel, for one topic or (`topic` nil) all of them.
    public func setOptOut(userId: String, channel: NotificationChannel, topic: String?, optedOut: Bool) throws(SQLiteError) {
        try write { connection throws(SQLiteError) in
            let key: [SQLBinding] = [.text(userId), .text(channel.rawValue), .text(topic ?? "")]
            if optedOut {
                _ = try connection.run(#"INSERT OR IGNORE INTO "opt_outs"("user_id", "channel", "topic") VALUES (?, ?, ?)"#, key)
            } else {
                _ = try connection.run(#"DELETE FROM "opt_outs" WHERE "user_id" = ? AND "channel" = ? AND "topic" = ?"#, key)
            }
        }
    }

    /// Whether the user opted out of the channel altogether or of this topic on it.
    public func isOptedOut(userId: String, channel: NotificationChannel, topic: String?) throws(SQLiteError) -> Bool {
        try read { connection throws(SQLiteError) in
            try connection.queryFirst(
                #"SELECT 1 FROM "opt_outs" WHERE "user_id" = ? AND "channel" = ? AND "topic" IN ('', ?)"#,
                [.text(userId), .text(channel.rawValue), .text(topic ?? "")]
            ) { _ in true } ?? false
        }
    }

    private static func endpoints(_ connection: Connection, where condition: String, _ bindings: [SQLBinding]) throws(SQLiteError) -> [Endpoint] {
        var result: [Endpoint] = []
        try connection.query(
            #"SELECT \#(endpointColumns) FROM "endpoints" WHERE \#(condition) ORDER BY "created_at", "id""#, bindings
        ) { row throws(SQLiteError) in
            result.append(
                Endpoint(
                    id: row.text(0), userId: row.text(1), channel: NotificationChannel(rawValue: row.text(2)) ?? .webhook,
                    address: row.text(3), platform: row.optionalText(4).flatMap(PushPlatform.init(rawValue:)),
                    timeZone: row.optionalText(5), enabled: row.int64(6) != 0, disabledReason: row.optionalText(7),
                    createdAt: row.int64(8)))
        }
        return result
    }
}
