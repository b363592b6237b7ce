/// What a username, group name, email, phone number and API-key name may look like.
///
/// Names are ASCII so that case-insensitive uniqueness (SQLite `NOCASE`) is exact and lookalike
/// Unicode spellings of another user's name cannot exist.
enum CredentialRules {
    static let maximumNameLength = 64
    static let maximumEmailLength = 254
    static let maximumAPIKeyNameLength = 100

    /// 1…64 of `A-Z a-z 0-9 . _ - @`, starting with a letter or digit (so an email address works
    /// as a username).
    static func checkUsername(_ username: String) throws(IdentityError) {
        try checkName(username, what: "username")
    }

    /// Group names follow the username rules; they are case-sensitive, as in `@auth` rules.
    static func checkGroup(_ group: String) throws(IdentityError) {
        try checkName(group, what: "group name")
    }

    /// `local@domain.tld`: one `@`, no spaces or control characters, a dot inside the domain.
    /// Deliverability is not checked.
    static func checkEmail(_ email: String) throws(IdentityError) {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= maximumEmailLength, parts.count == 2, !parts[0].isEmpty,
            parts[1].split(separator: ".", omittingEmptySubsequences: false).count >= 2,
            !parts[1].split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty),
            email.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else { throw .invalidInput("email must look like name@example.com") }
    }

    /// E.164: `+`, then 7 to 15 digits, the first not 0.
    static func checkPhone(_ phone: String) throws(IdentityError) {
        let digits = phone.utf8.dropFirst()
        guard phone.utf8.first == UInt8(ascii: "+"), (7...15).contains(digits.count),
            digits.first != UInt8(ascii: "0"), digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { throw .invalidInput("phone must be in E.164 form, like +14155550123") }
    }

    /// 1…100 characters without control characters.
    static func checkAPIKeyName(_ name: String) throws(IdentityError) {
        guard !name.isEmpty, name.count <= maximumAPIKeyNameLength,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw .invalidInput("API key name must have 1 to \(maximumAPIKeyNameLength) characters and no control characters") }
    }

    private static func checkName(_ name: String, what: String) throws(IdentityError) {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maximumNameLength, isAlphanumeric(first),
            bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "@") })
        else {
            throw .invalidInput(
                "\(what) must have 1 to \(maximumNameLength) characters of A-Z a-z 0-9 . _ - @, starting with a letter or digit")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
