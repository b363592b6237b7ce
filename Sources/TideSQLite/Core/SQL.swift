/// SQL text helpers.
///
/// ```swift
/// let insert = "INSERT INTO \(SQL.quote(table))(\(columns.map(SQL.quote).joined(separator: ", "))) VALUES (\(SQL.placeholders(columns.count)))"
/// ```
public enum SQL {
    /// A double-quoted identifier.
    public static func quote(_ identifier: String) -> String {
        var out = "\""
        for character in identifier {
            if character == "\"" { out += "\"\"" } else { out.append(character) }
        }
        out += "\""
        return out
    }

    /// `?, ?, …`: `count` parameters.
    public static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
