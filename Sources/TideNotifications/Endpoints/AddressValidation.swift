/// Phone numbers in E.164 form: `+`, a country code not starting with 0, at most 15 digits.
public enum PhoneNumber {
    public static func isE164(_ text: String) -> Bool {
        let digits = text.utf8.dropFirst()
        return text.utf8.first == UInt8(ascii: "+") && (8...15).contains(digits.count)
            && digits.first != UInt8(ascii: "0") && digits.allSatisfy { (48...57).contains($0) }
    }
}

/// Email addresses as RFC 5321 defines a mailbox: a dot-atom or quoted local part of at most
/// 64 octets, `@`, and a domain of LDH labels (at most 63 octets each, 255 in all) or an
/// address literal; at most 254 octets in all.
public enum EmailAddress {
    /// The address of `Name <address>` or of a bare address; nil when it is not valid.
    public static func mailbox(_ text: String) -> String? {
        if let open = text.lastIndex(of: "<"), text.hasSuffix(">") {
            let address = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            return isValid(address) ? address : nil
        }
        return isValid(text) ? text : nil
    }

    public static func isValid(_ address: String) -> Bool {
        guard address.utf8.count <= 254, let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        return isLocalPart(local) && isDomain(domain)
    }

    /// RFC 5322 `atext`, the characters of a dot-atom besides letters and digits.
    private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~".utf8)

    private static func isLocalPart(_ local: Substring) -> Bool {
        guard !local.isEmpty, local.utf8.count <= 64 else { return false }
        if local.hasPrefix("\""), local.hasSuffix("\""), local.count >= 2 {
            // Quoted string: printable ASCII; a backslash escapes the next character.
            var escaped = false
            for byte in local.utf8.dropFirst().dropLast() {
                if escaped { escaped = false; continue }
                if byte == UInt8(ascii: "\\") { escaped = true; continue }
                guard (32...126).contains(byte), byte != UInt8(ascii: "\"") else { return false }
            }
            return !escaped
        }
        return local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.utf8.allSatisfy { isAlphanumeric($0) || atextSymbols.contains($0) || $0 >= 0x80 }
        }
    }

    private static func isDomain(_ domain: Substring) -> Bool {
        guard !domain.isEmpty, domain.utf8.count <= 255 else { return false }
        if domain.hasPrefix("["), domain.hasSuffix("]") {
            return domain.dropFirst().dropLast().utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
        }
        return domain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 >= 0x80 }
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }
}
