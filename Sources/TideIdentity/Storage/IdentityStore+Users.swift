import Foundation
import TideSQLite

extension IdentityStore {
    /// Inserts a user with its groups. False, and nothing stored, when the username is taken (in
    /// any letter case).
    public func createUser(_ user: IdentityUser) throws(SQLiteError) -> Bool {
        try write { connection throws(SQLiteError) in
            do throws(SQLiteError) {
                try connection.run(
                    """
                    INSERT INTO "users"("id", "username", "password_hash", "email", "phone", "created_at") \
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(user.id), .text(user.username), .text(user.passwordHash), user.email.map(SQLBinding.text) ?? .null,
                        user.phone.map(SQLBinding.text) ?? .null, .int(StoredTime.milliseconds(user.createdAt)),
                    ])
            } catch .sqlite(let code, _) where code == ResultCode.uniqueConstraint {
                return false
            }
            for group in user.groups {
                try connection.run(Self.insertGroupSQL, [.text(user.id), .text(group)])
            }
            return true
        }
    }

    /// The user whose username matches case-insensitively, with its groups.
    public func user(username: String) throws(SQLiteError) -> IdentityUser? {
        try read { connection throws(SQLiteError) in
            try Self.user(connection, where: "\"username\" = ?", .text(username))
        }
    }

    /// The user with this id, with its groups.
    public func user(id: String) throws(SQLiteError) -> IdentityUser? {
        try read { connection throws(SQLiteError) in try Self.user(connection, where: "\"id\" = ?", .text(id)) }
    }

    /// Every user with its groups, by username.
    public func users() throws(SQLiteError) -> [IdentityUser] {
        try read { connection throws(SQLiteError) in
            var groups: [String: [String]] = [:]
            try connection.query("SELECT \"user_id\", \"group_name\" FROM \"user_groups\" ORDER BY \"group_name\"") {
                groups[$0.text(0), default: []].append($0.text(1))
            }
            var users: [IdentityUser] = []
            try connection.query("SELECT \(Self.userColumns) FROM \"users\" ORDER BY \"username\"") { row in
                var user = Self.decodeUser(row)
                user.groups = groups[user.id] ?? []
                users.append(user)
            }
            return users
        }
    }

    /// Deletes the user, its groups and its sessions. False when there was no such user.
    @discardableResult
    public func deleteUser(id: String) throws(SQLiteError) -> Bool {
        try read { connection throws(SQLiteError) in try connection.run("DELETE FROM \"users\" WHERE \"id\" = ?", [.text(id)]) > 0 }
    }

    /// Replaces the stored password hash. With `revokingSessionsAt`, also revokes every live
    /// session of the user in the same transaction (a password change signs out other devices).
    public func updatePasswordHash(userID: String, hash: String, revokingSessionsAt: Date? = nil) throws(SQLiteError) {
        try write { connection throws(SQLiteError) in
            try connection.run("UPDATE \"users\" SET \"password_hash\" = ? WHERE \"id\" = ?", [.text(hash), .text(userID)])
            if let revokingSessionsAt {
                try connection.run(
                    "UPDATE \"sessions\" SET \"revoked_at\" = ? WHERE \"user_id\" = ? AND \"revoked_at\" IS NULL",
                    [.int(StoredTime.milliseconds(revokingSessionsAt)), .text(userID)])
            }
        }
    }

    /// Adds the user to a group. False when it already was a member.
    @discardableResult
    public func addGroup(userID: String, group: String) throws(SQLiteError) -> Bool {
        try changeGroups(userID: userID, Self.insertGroupSQL + " ON CONFLICT DO NOTHING", group)
    }

    /// Removes the user from a group. False when it was not a member.
    @discardableResult
    public func removeGroup(userID: String, group: String) throws(SQLiteError) -> Bool {
        try changeGroups(userID: userID, "DELETE FROM \"user_groups\" WHERE \"user_id\" = ? AND \"group_name\" = ?", group)
    }

    /// Runs a membership change and, when it changed anything, records when.
    private func changeGroups(userID: String, _ sql: String, _ group: String) throws(SQLiteError) -> Bool {
        try write { connection throws(SQLiteError) in
            guard try connection.run(sql, [.text(userID), .text(group)]) > 0 else { return false }
            try connection.run(
                "UPDATE \"users\" SET \"groups_changed_at\" = ? WHERE \"id\" = ?",
                [.int(StoredTime.milliseconds(Date())), .text(userID)])
            return true
        }
    }

    // MARK: Rows

    private static let insertGroupSQL = "INSERT INTO \"user_groups\"(\"user_id\", \"group_name\") VALUES (?, ?)"
    private static let userColumns =
        "\"id\", \"username\", \"password_hash\", \"email\", \"phone\", \"created_at\", \"groups_changed_at\""

    private static func user(_ connection: Connection, where condition: String, _ value: SQLBinding) throws(SQLiteError) -> IdentityUser? {
        guard var user = try connection.queryFirst("SELECT \(userColumns) FROM \"users\" WHERE \(condition)", [value], decodeUser)
        else { return nil }
        try connection.query(
            "SELECT \"group_name\" FROM \"user_groups\" WHERE \"user_id\" = ? ORDER BY \"group_name\"", [.text(user.id)]
        ) { user.groups.append($0.text(0)) }
        return user
    }

    private static func decodeUser(_ row: Statement) -> IdentityUser {
        IdentityUser(
            id: row.text(0), username: row.text(1), passwordHash: row.text(2), email: row.optionalText(3),
            phone: row.optionalText(4), createdAt: StoredTime.date(milliseconds: row.int64(5)), groupsChangedAt: row.int64(6))
    }
}
