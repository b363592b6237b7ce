import Synchronization
import TideCrypto
import TideModel

/// End-to-end encryption of `@encrypted` fields (ARCHITECTURE §9.3, docs/ENCRYPTION.md): the
/// ``FieldTransform`` that encrypts values before the outbox sends them and decrypts them on
/// arrival (sync pages, subscription events, mutation answers), with the user's data keys from
/// TideCrypto.
///
/// The local store keeps plaintext. `@encrypted(blindIndex: true)` fields get their
/// `<field>BlindIndex` on every write, and an equality filter on them that goes to the server (a
/// sync predicate, or `TideClient.serverFilter(_:_:)` for a subscription filter) is
/// rewritten to the blind index under every key version. A value that does not decrypt (another
/// user's key, a ciphertext moved to another record or field, altered bytes, keys still locked)
/// reads as null; the failure is kept in ``failures`` and announced on ``failureReports``.
///
/// Keys come and go while the encryptor stays configured: ``TideClient`` sets them up, unlocks,
/// rotates and locks them (`setUpEncryption`, `unlockEncryption`, …); a locked encryptor refuses
/// to send encrypted values (the entry parks with the reason) and reads them as null.
///
/// ```swift
/// let encryptor = FieldEncryptor()
/// configuration.fieldTransform = encryptor
/// let client = TideClient(configuration: configuration)
/// try await client.signIn(username: "ann", password: password)
/// try await client.unlockEncryption(passphrase: passphrase)     // or setUpEncryption on the first device
/// for await failure in encryptor.failureReports { log("\(failure.model) \(failure.recordID).\(failure.field): \(failure.reason)") }
/// ```
public final class FieldEncryptor: FieldTransform {
    /// Why a value or a filter cannot be sent.
    public enum EncryptionError: Error, Sendable, Equatable, CustomStringConvertible {
        /// No data keys in memory: set them up or unlock them first.
        case locked
        /// The value is not a string or a list of strings.
        case unsupportedValue(String)
        /// A filter compares an encrypted field in a way the server cannot evaluate.
        case unsupportedFilter(String)

        public var description: String {
            switch self {
            case .locked: "the encryption keys are locked: unlock them (tide keys unlock) first"
            case .unsupportedValue(let field): "\(field) is @encrypted and holds a string or a list of strings"
            case .unsupportedFilter(let why): why
            }
        }
    }

    private struct State {
        var keys: UnlockedKeys?
        var cipher: FieldCipher?
        var failures: [FailureKey: DecryptionFailure] = [:]
    }

    private struct FailureKey: Hashable {
        var model: String
        var recordID: String
        var field: String
    }

    /// The Argon2id cost of envelopes this encryptor makes (``KeyDerivationParameters/standard``).
    public let keyDerivation: KeyDerivationParameters
    private let state = Mutex(State())
    private let reports = Broadcaster<DecryptionFailure>()
    /// Called with every failure as it happens (the client keeps them in the local store).
    private let sink = Mutex<(@Sendable (DecryptionFailure) -> Void)?>(nil)

    /// - Parameter keyDerivation: the cost of deriving the wrapping key from a passphrase, for new
    ///   envelopes and passphrase changes (tests use ``KeyDerivationParameters/forTesting``).
    public init(keyDerivation: KeyDerivationParameters = .standard) {
        self.keyDerivation = keyDerivation
    }

    /// Whether data keys are in memory.
    public var isUnlocked: Bool { state.withLock { $0.keys != nil } }

    /// The data-key versions held, ascending (empty while locked).
    public var keyVersions: [UInt32] { state.withLock { $0.cipher?.keys.keyIds ?? [] } }

    /// Values that did not decrypt since they last arrived, oldest record first. A value that
    /// decrypts on a later arrival leaves the list.
    public var failures: [DecryptionFailure] {
        state.withLock { Array($0.failures.values) }.sorted { ($0.model, $0.recordID, $0.field) < ($1.model, $1.recordID, $1.field) }
    }

    /// Every failure as it happens.
    public var failureReports: AsyncStream<DecryptionFailure> { reports.stream() }

    // MARK: Keys

    /// Puts `keys` in memory. ``TideClient``'s set-up, unlock, passphrase change and rotation do
    /// it; a process handed the unlocked keys by a key agent (`tide`) calls it itself. The
    /// previous value is dropped, not wiped: a passphrase change or a rotation shares its data
    /// keys with the new one, and each ``SecretKey`` wipes itself when its last reference goes.
    public func install(_ keys: UnlockedKeys) {
        state.withLock { state in
            state.keys = keys
            state.cipher = FieldCipher(keys: keys.ring)
        }
    }

    /// The keys in memory (to hand to a key agent), or `locked`.
    public func unlockedKeys() throws(EncryptionError) -> UnlockedKeys {
        guard let keys = state.withLock({ $0.keys }) else { throw .locked }
        return keys
    }

    /// Wipes the data keys and the wrapping key from memory (sign-out, `tide keys lock`) and
    /// forgets the failures noted in memory (they name the user's records).
    public func lock() {
        let keys = state.withLock { state in
            defer {
                state.keys = nil
                state.cipher = nil
                state.failures = [:]
            }
            return state.keys
        }
        keys?.wipe()
    }

    /// Forgets recorded failures (before values are fetched again after an unlock).
    func clearFailures() {
        state.withLock { $0.failures = [:] }
    }

    func setFailureSink(_ sink: (@Sendable (DecryptionFailure) -> Void)?) {
        self.sink.withLock { $0 = sink }
    }

    private func cipher() throws(EncryptionError) -> FieldCipher {
        guard let cipher = state.withLock({ $0.cipher }) else { throw .locked }
        return cipher
    }

    // MARK: FieldTransform

    public func outgoing(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) throws -> JSONValue {
        let cipher = try cipher()
        do {
            return try cipher.encrypt(value: value, model: model.name, id: recordID, field: path)
        } catch .unsupportedValue {
            throw EncryptionError.unsupportedValue("\(model.name).\(path)")
        } catch {
            throw EncryptionError.locked
        }
    }

    public func incoming(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) -> JSONValue {
        let key = FailureKey(model: model.name, recordID: recordID, field: path)
        let (cipher, hadFailure) = state.withLock { ($0.cipher, $0.failures[key] != nil) }
        let (plain, error) = cipher?.decrypt(value: value, model: model.name, id: recordID, field: path) ?? (.null, .locked)
        if let error {
            let failure = DecryptionFailure(model: model.name, recordID: recordID, field: path, reason: error.reason)
            state.withLock { $0.failures[key] = failure }
            reports.yield(failure)
            sink.withLock { $0 }?(failure)
        } else if hadFailure {
            _ = state.withLock { $0.failures.removeValue(forKey: key) }
        }
        return plain
    }

    public func companionInputs(for fields: [String: JSONValue], model: ModelType, recordID: String) throws -> [String: JSONValue] {
        var inputs: [String: JSONValue] = [:]
        for field in model.fields where field.isEncrypted && field.hasBlindIndex {
            guard let value = fields[field.name] else { continue }
            let name = Field.blindIndexFieldName(for: field.name)
            switch value {
            case .null: inputs[name] = .null  // the value is cleared: so is its index
            case .string(let text):
                do { inputs[name] = .string(try cipher().blindIndex(of: text, model: model.name, field: field.name)) } catch { throw EncryptionError.locked }
            default: throw EncryptionError.unsupportedValue("\(model.name).\(field.name)")
            }
        }
        return inputs
    }

    /// `{field: {eq: v}}` on a blind-indexed field becomes `{fieldBlindIndex: {in: [H₁(v), H₂(v), …]}}`
    /// (one index per key version held), `ne` becomes `notIn`, `in`/`notIn` take the indexes of
    /// every value; `attributeExists` stays on the field. Any other comparison of an encrypted
    /// field cannot be evaluated by the server and throws.
    public func serverFilter(_ filter: FilterExpression, model: ModelType) throws -> FilterExpression {
        switch filter {
        case .and(let parts): return .and(try parts.map { try serverFilter($0, model: model) })
        case .or(let parts): return .or(try parts.map { try serverFilter($0, model: model) })
        case .not(let part): return .not(try serverFilter(part, model: model))
        case .field(let name, let predicate):
            guard let field = model.field(named: name), field.isEncrypted else { return filter }
            if case .attributeExists = predicate { return filter }
            let what = "\(model.name).\(name)"
            guard field.hasBlindIndex else {
                throw EncryptionError.unsupportedFilter("\(what) is @encrypted without a blind index: the server can only test whether it is set (attributeExists)")
            }
            let companion = Field.blindIndexFieldName(for: name)
            switch predicate {
            // The index is null exactly when the value is (a write that clears one clears both).
            case .eq(.null): return .field(companion, .eq(.null))
            case .ne(.null): return .field(companion, .ne(.null))
            case .eq(let value): return .field(companion, .in(try indexes([value], model: model.name, field: name)))
            case .ne(let value): return .field(companion, .notIn(try indexes([value], model: model.name, field: name)))
            case .in(let values): return .field(companion, .in(try indexes(values, model: model.name, field: name)))
            case .notIn(let values): return .field(companion, .notIn(try indexes(values, model: model.name, field: name)))
            default:
                throw EncryptionError.unsupportedFilter("\(what) is @encrypted: the server can compare it only for equality (eq, ne, in, notIn) or test whether it is set")
            }
        }
    }

    /// The blind indexes of `values` under every key version.
    private func indexes(_ values: [JSONValue], model: String, field: String) throws -> [JSONValue] {
        let cipher = try cipher()
        var indexes: [JSONValue] = []
        for value in values {
            guard case .string(let text) = value else {
                throw EncryptionError.unsupportedFilter("\(model).\(field) is compared with strings only, got \(value.jsonString)")
            }
            do {
                indexes += try cipher.blindIndexes(of: text, model: model, field: field).map(JSONValue.string)
            } catch {
                throw EncryptionError.locked
            }
        }
        return indexes
    }
}

/// A field value that arrived and could not be decrypted: it reads as null (docs/ENCRYPTION.md
/// lists the reasons: another user's or an unknown key, a ciphertext moved to another record or
/// field, altered bytes, keys still locked).
public struct DecryptionFailure: Sendable, Hashable, CustomStringConvertible {
    public let model: String
    public let recordID: String
    /// The field's dotted path in the record (`body`, `address.street`).
    public let field: String
    /// One line saying why (never the value).
    public let reason: String

    public init(model: String, recordID: String, field: String, reason: String) {
        self.model = model
        self.recordID = recordID
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(model) \(recordID) \(field): \(reason)" }
}
