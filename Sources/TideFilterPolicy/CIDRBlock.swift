#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network for the `cidr` operator (`10.0.0.0/24`, `2001:db8::/32`).
struct CIDRBlock: Sendable, Hashable {
    let network: [UInt8]
    let prefixLength: Int

    /// Parses `address/bits`; the reason is a sentence for the policy error.
    static func parse(_ text: String) -> Result<CIDRBlock, CIDRError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(CIDRError("malformed CIDR \"\(text)\": one '/' is required")) }
        guard let bits = Int(parts[1]) else {
            return .failure(CIDRError("malformed CIDR \"\(text)\": the mask bits must be an integer"))
        }
        guard let address = parseAddress(String(parts[0])) else {
            return .failure(CIDRError("malformed CIDR \"\(text)\": \(parts[0]) is not an IPv4 or IPv6 address"))
        }
        guard (0...address.count * 8).contains(bits) else {
            return .failure(CIDRError("malformed CIDR \"\(text)\": the mask bits must lie within 0...\(address.count * 8)"))
        }
        let block = CIDRBlock(network: address, prefixLength: bits)
        guard block.masked(address) == address else {
            return .failure(CIDRError("CIDR \"\(text)\" has host bits set beyond /\(bits)"))
        }
        return .success(block)
    }

    func contains(_ text: String) -> Bool {
        guard let address = Self.parseAddress(text), address.count == network.count else { return false }
        return masked(address) == network
    }

    private func masked(_ address: [UInt8]) -> [UInt8] {
        address.enumerated().map { index, byte in
            let bitsInByte = max(0, min(8, prefixLength - index * 8))
            return bitsInByte == 0 ? 0 : byte & ~UInt8(truncatingIfNeeded: (1 << (8 - bitsInByte)) - 1)
        }
    }

    /// An address in the standard text forms (`inet_pton`): 4 or 16 bytes.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

struct CIDRError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
