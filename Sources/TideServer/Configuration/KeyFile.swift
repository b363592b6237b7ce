import Foundation
import TideCrypto

/// Secret keys kept in the data folder (`keys/NAME.key`, mode 0600), created on first start.
enum KeyFile {
    static func loadOrCreate(named name: String, in dataDirectory: String, length: Int) throws -> [UInt8] {
        let folder = URL(fileURLWithPath: dataDirectory).appendingPathComponent("keys")
        let file = folder.appendingPathComponent("\(name).key")
        if let data = try? Data(contentsOf: file) {
            guard data.count == length else {
                throw ServerStartupError.invalidKeyFile(file.path, "expected \(length) bytes, found \(data.count)")
            }
            return Array(data)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = MessageAuthenticator.generateKey()
        guard FileManager.default.createFile(atPath: file.path, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
            throw ServerStartupError.invalidKeyFile(file.path, "could not be written")
        }
        return key
    }
}
