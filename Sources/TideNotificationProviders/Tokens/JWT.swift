import Crypto
import CryptoExtras
import Foundation
import TideModel

/// Compact JWS tokens signed with RS256 (Google's JWT bearer grant) or ES256 (APNs provider
/// tokens), through swift-crypto. Claims are written with sorted keys.
enum JWT {
    enum Key {
        case rs256(_RSA.Signing.PrivateKey)
        case es256(P256.Signing.PrivateKey)
    }

    static func sign(header extra: [String: JSONValue] = [:], claims: [String: JSONValue], key: Key) throws -> String {
        var header = extra
        switch key {
        case .rs256: header["alg"] = "RS256"
        case .es256: header["alg"] = "ES256"
        }
        header["typ"] = header["typ"] ?? "JWT"
        let input = base64URL(JSONValue.object(header).jsonBytes) + "." + base64URL(JSONValue.object(claims).jsonBytes)
        let signature: Data
        switch key {
        case .rs256(let rsa):
            signature = try rsa.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation
        case .es256(let ec):
            // JWS wants R‖S (64 bytes), which is the raw form, not DER.
            signature = try ec.signature(for: Data(input.utf8)).rawRepresentation
        }
        return input + "." + base64URL(signature)
    }

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
