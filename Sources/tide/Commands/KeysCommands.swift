import ArgumentParser
import Foundation
import TideClient
import TideCrypto
import TideModel

/// `tide keys init|unlock|change-passphrase|lock|rotate` (ARCHITECTURE §9.3): the end-to-end
/// encryption keys of the signed-in user. Unlocked keys are held by the profile's key agent
/// (``KeyAgent``) between commands, never on disk.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End-to-end encryption keys: set up, unlock, change the passphrase, lock, rotate.",
        subcommands: [Init.self, Unlock.self, ChangePassphrase.self, Lock.self, Rotate.self, Agent.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create this account's data key, wrapped under a passphrase (first device); the keys stay unlocked.",
            discussion: "A lost passphrase means the encrypted values are lost: nobody can recover them.")
        @Flag(help: "Read the passphrase from the first line of stdin.") var passphraseStdin = false

        func run() async throws {
            let passphrase = try readPassphrases(passphraseStdin, count: 1)[0]
            let client = try await Profile.current.signedInClient()
            try await client.setUpEncryption(passphrase: passphrase)
            try hand(client)
            report(client, "encryption keys set up and unlocked; keep the passphrase safe: without it the encrypted values are lost")
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unlock this account's keys with the passphrase (another device); values that did not decrypt are fetched again.")
        @Flag(help: "Read the passphrase from the first line of stdin.") var passphraseStdin = false

        func run() async throws {
            let passphrase = try readPassphrases(passphraseStdin, count: 1)[0]
            let client = try await Profile.current.signedInClient()
            try await client.unlockEncryption(passphrase: passphrase)
            try hand(client)
            report(client, "encryption keys unlocked")
        }
    }

    struct ChangePassphrase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-passphrase",
            abstract: "Wrap the same keys under a new passphrase (no record is rewritten).")
        @Flag(help: "Read the old and then the new passphrase from stdin, one per line.") var passphraseStdin = false

        func run() async throws {
            let lines = try readPassphrases(passphraseStdin, count: 2)
            let client = try await Profile.current.signedInClient()
            try await client.changeEncryptionPassphrase(from: lines[0], to: lines[1])
            try hand(client)
            report(client, "passphrase changed")
        }
    }

    struct Lock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Wipe the unlocked keys (stops the profile's key agent).")

        func run() async throws {
            let stopped = KeyAgent.stop(Profile.current)
            if Output.json { Output.printJSON(["locked": true, "wasUnlocked": .bool(stopped)]) } else { Output.line("encryption keys locked") }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new data key version for new values; old values stay readable.",
            discussion: "With --reencrypt, every local record holding encrypted values is queued to be sent again under the new key (sent by the next sync).")
        @Flag(help: "Queue every record with encrypted values to be written again under the new key.") var reencrypt = false

        func run() async throws {
            let client = try await unlockedClient()
            guard client.isEncryptionUnlocked else {
                throw TideClientError.encryption("the encryption keys are locked: unlock them first (tide keys unlock)")
            }
            let queued = try await client.rotateEncryptionKey(reencrypt: reencrypt)
            try hand(client)
            report(client, "new key version in use" + (reencrypt ? "; \(queued) records queued to be encrypted again" : ""), extra: ["queued": .int(Int64(queued))])
        }
    }

    /// The key agent itself, started in the background by `init` and `unlock`.
    struct Agent: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hold the unlocked keys for this profile's commands (started by keys init/unlock).", shouldDisplay: false)

        func run() throws {
            try KeyAgent.serve(Profile.current)
        }
    }
}

/// The signed-in user's client, with the keys of the profile's key agent when it holds this
/// user's (every command that sends or receives: encrypted values need them).
func unlockedClient(refreshSchema: Bool = false, models: [String]? = nil) async throws -> TideClient {
    let profile = Profile.current
    let client = try await profile.signedInClient(refreshSchema: refreshSchema, models: models)
    if let held = KeyAgent.fetch(profile), held.user == client.currentUser?.id, held.server == client.configuration.server.absoluteString,
        let encryptor = client.configuration.fieldTransform as? FieldEncryptor
    {
        encryptor.install(held.keys)
    }
    return client
}

/// Hands the client's unlocked keys to the profile's key agent.
private func hand(_ client: TideClient) throws {
    guard let encryptor = client.configuration.fieldTransform as? FieldEncryptor, let user = client.currentUser else { return }
    let keys: UnlockedKeys
    do { keys = try encryptor.unlockedKeys() } catch { throw CLIFailure.failed(error.description) }
    try KeyAgent.store(Profile.current, user: user.id, server: client.configuration.server.absoluteString, keys: keys)
}

private func report(_ client: TideClient, _ message: String, extra: [String: JSONValue] = [:]) {
    let versions = (client.configuration.fieldTransform as? FieldEncryptor)?.keyVersions ?? []
    if Output.json {
        var object: [String: JSONValue] = ["unlocked": .bool(client.isEncryptionUnlocked), "keyVersions": .array(versions.map { .int(Int64($0)) })]
        for (key, value) in extra { object[key] = value }
        Output.printJSON(.object(object))
    } else {
        Output.line("\(message) (key versions: \(versions.map(String.init).joined(separator: ", ")))")
    }
}

/// `count` passphrases from stdin, one per line (`--passphrase-stdin` is required: a passphrase
/// is never an argument, which other users could read in the process list).
private func readPassphrases(_ fromStdin: Bool, count: Int) throws -> [String] {
    guard fromStdin else { throw CLIFailure.usage("give the passphrase on stdin with --passphrase-stdin") }
    var lines: [String] = []
    for index in 0..<count {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIFailure.usage(count == 1 ? "no passphrase on stdin" : "expected the old and the new passphrase on stdin, one per line (line \(index + 1) missing)")
        }
        lines.append(line)
    }
    return lines
}
