import Dispatch
import TideCrypto
import TideModel

/// The key life cycle of end-to-end encrypted fields (ARCHITECTURE §9.3, docs/ENCRYPTION.md),
/// for a client configured with a ``FieldEncryptor`` as its `fieldTransform`. The data keys are
/// held in memory only (by the encryptor) and wiped at sign-out and by ``lockEncryption()``;
/// the server keeps them wrapped under the user's passphrase. A lost passphrase means the
/// encrypted values are lost: nobody can unwrap the keys without it.
///
/// ```swift
/// try await client.setUpEncryption(passphrase: passphrase)        // first device
/// try await laptop.unlockEncryption(passphrase: passphrase)       // every other device, after sign-in
/// try await client.changeEncryptionPassphrase(from: passphrase, to: newPassphrase)
/// try await client.rotateEncryptionKey(reencrypt: true)
/// ```
extension TideClient {
    /// Makes the user's first data key, wraps it under `passphrase` and stores the envelope on
    /// the server; the keys stay unlocked. Fails (nothing changed) when the account has keys.
    public func setUpEncryption(passphrase: String) async throws(TideClientError) {
        let (encryptor, space) = try encryptionParts()
        let api = envelopes(space)
        if try await api.fetch() != nil { throw Self.alreadySetUp }
        let parameters = encryptor.keyDerivation
        let keys = try await Self.deriving { () throws(KeyEnvelopeError) in try KeyEnvelope.create(passphrase: passphrase, parameters: parameters) }
        do {
            _ = try await api.store(keys.envelope, expectedVersion: 0)
        } catch {
            keys.wipe()
            switch error {
            case .conflict: throw Self.alreadySetUp
            case .other(let failure): throw failure
            }
        }
        encryptor.install(keys)
    }

    /// Unwraps the user's keys from the server's envelope with `passphrase` (another device, or
    /// after a sign-out). A wrong passphrase is `encryption("wrong passphrase…")` and changes
    /// nothing. Values that arrived while the keys were locked are then fetched again.
    public func unlockEncryption(passphrase: String) async throws(TideClientError) {
        let (encryptor, space) = try encryptionParts()
        guard let stored = try await envelopes(space).fetch() else { throw Self.notSetUp }
        let envelope = stored.envelope
        let keys = try await Self.deriving { () throws(KeyEnvelopeError) in try envelope.unlock(passphrase: passphrase) }
        encryptor.install(keys)
        await refetchUndecryptable(space)
    }

    /// Wraps the same data keys under `newPassphrase` (after checking `oldPassphrase`): no
    /// encrypted value is rewritten. Fails, changing nothing, when another device changed the
    /// keys meanwhile (the server's version moved).
    public func changeEncryptionPassphrase(from oldPassphrase: String, to newPassphrase: String) async throws(TideClientError) {
        let (encryptor, space) = try encryptionParts()
        let api = envelopes(space)
        guard let stored = try await api.fetch() else { throw Self.notSetUp }
        let envelope = stored.envelope
        let parameters = encryptor.keyDerivation
        let changed = try await Self.deriving { () throws(KeyEnvelopeError) in
            let opened = try envelope.unlock(passphrase: oldPassphrase)
            return try opened.changingPassphrase(to: newPassphrase, parameters: parameters)
        }
        try await store(changed.envelope, api, expectedVersion: stored.version)
        encryptor.install(changed)
    }

    /// Adds a new data key version; new values are encrypted (and blind-indexed) with it, older
    /// values stay readable with theirs. With `reencrypt`, every local record holding encrypted
    /// values queues an update that sends them again under the new key (through the outbox, as
    /// any write). Returns the number of records queued. The keys must be unlocked.
    @discardableResult
    public func rotateEncryptionKey(reencrypt: Bool = false) async throws(TideClientError) -> Int {
        let (encryptor, space) = try encryptionParts()
        let current: UnlockedKeys
        do { current = try encryptor.unlockedKeys() } catch { throw .encryption(error.description) }
        let api = envelopes(space)
        guard let stored = try await api.fetch() else { throw Self.notSetUp }
        guard stored.envelope == current.envelope else {
            throw .encryption("the encryption keys were changed on another device: unlock them again, then rotate")
        }
        let rotated: UnlockedKeys
        do { rotated = try current.rotating() } catch { throw Self.clientError(error) }
        try await store(rotated.envelope, api, expectedVersion: stored.version)
        encryptor.install(rotated)
        guard reencrypt else { return 0 }
        var queued = 0
        for model in space.schema.models { queued += try await space.store.queueReencryption(model: model.name) }
        if queued > 0 { space.outboxWakeup.signal() }
        return queued
    }

    /// Wipes the data keys from memory: encrypted values are no longer sent (writes park) and
    /// arriving ones read as null until the keys are unlocked again. Sign-out does it too.
    public func lockEncryption() {
        (configuration.fieldTransform as? FieldEncryptor)?.lock()
    }

    /// Whether the data keys are in memory.
    public var isEncryptionUnlocked: Bool { (configuration.fieldTransform as? FieldEncryptor)?.isUnlocked ?? false }

    /// The values that arrived and did not decrypt (they read as null), as the local store
    /// recorded them, by model, record and field. Unlocking fetches them again.
    public func decryptionFailures() async throws(TideClientError) -> [DecryptionFailure] {
        let space = try space()
        space.decryptionFailures?.flush()
        return try await space.store.decryptionFailures()
    }

    /// An Amplify filter input as the server must see it: equality on a blind-indexed encrypted
    /// field rewritten to the blind index under every key version (for a subscription filter or
    /// a request the app sends itself).
    public func serverFilter(_ model: String, _ filter: JSONValue) throws(TideClientError) -> JSONValue {
        let space = try space()
        let checked = try QueryFilter(filter, model: model, schema: space.schema)
        do {
            return FilterInput.encode(try space.transform.serverFilter(checked.expression, model: try space.schema.model(model).model))
        } catch let error as TideClientError {
            throw error
        } catch {
            throw .invalidQuery("\(error)")
        }
    }

    // MARK: - Internals

    private static let alreadySetUp = TideClientError.encryption(
        "this account already has encryption keys: unlock them with the passphrase instead (tide keys unlock)")
    private static let notSetUp = TideClientError.encryption("this account has no encryption keys yet: set them up first (tide keys init)")

    private func encryptionParts() throws(TideClientError) -> (FieldEncryptor, UserSpace) {
        guard let encryptor = configuration.fieldTransform as? FieldEncryptor else {
            throw .invalidArgument("end-to-end encryption needs a FieldEncryptor as the configuration's fieldTransform")
        }
        return (encryptor, try space())
    }

    private func envelopes(_ space: UserSpace) -> KeyEnvelopeAPI {
        KeyEnvelopeAPI(http: HTTPTransport(baseURL: configuration.server), tokens: space.tokens)
    }

    private func store(_ envelope: KeyEnvelope, _ api: KeyEnvelopeAPI, expectedVersion: Int64) async throws(TideClientError) {
        do {
            _ = try await api.store(envelope, expectedVersion: expectedVersion)
        } catch {
            switch error {
            case .conflict:
                throw .encryption("the encryption keys were changed on another device meanwhile: nothing was changed; try again")
            case .other(let failure): throw failure
            }
        }
    }

    /// Records whose values did not decrypt are removed locally and their models pulled again
    /// (a base sync), now through unlocked keys. Best effort: when the server cannot be reached,
    /// the next sync is the base sync.
    private func refetchUndecryptable(_ space: UserSpace) async {
        space.decryptionFailures?.flush()
        guard let failures = try? await space.store.decryptionFailures(), !failures.isEmpty else { return }
        (configuration.fieldTransform as? FieldEncryptor)?.clearFailures()
        for name in Set(failures.map(\.model)).sorted() {
            guard (try? await space.store.forgetUndecryptable(model: name)) != nil, isLinkEnabled,
                let model = space.syncedModels.first(where: { $0.name == name })
            else { continue }
            do {
                _ = try await space.modelSync(model, reportChanges: space.changes.hasListeners).run(onChanges: { changes in
                    for change in changes { space.changes.yield(change) }
                })
            } catch {
                configuration.logger.info("values that did not decrypt will be fetched at the next sync", metadata: ["model": "\(name)"])
            }
        }
    }

    /// Runs an Argon2id derivation (a third of a second, blocking) off the cooperative pool.
    private static func deriving<T: Sendable>(
        _ body: @escaping @Sendable () throws(KeyEnvelopeError) -> T
    ) async throws(TideClientError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, KeyEnvelopeError>, Never>) in
            DispatchQueue.global().async { continuation.resume(returning: Result(catching: body)) }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw clientError(error)
        }
    }

    private static func clientError(_ error: KeyEnvelopeError) -> TideClientError {
        switch error {
        case .wrongPassphrase: .encryption("wrong passphrase: the keys stay locked and nothing was changed")
        case .passphraseTooShort, .passphraseTooLong: .invalidArgument(error.description)
        default: .encryption(error.description)
        }
    }
}
