import Foundation
import Testing
import TideClient
import TideCrypto
import TideModel
import TideTestSupport

/// End-to-end encrypted fields (ARCHITECTURE §9.3) through a real server and real clients with
/// TideCrypto's keys: two devices of one user, another user, the server's bytes scanned for the
/// plaintext afterwards.
@Suite(.sharedServer()) struct EncryptedFieldsTests {
    static let passphrase = "correct horse battery"

    /// A device whose encryptor derives keys cheaply (the Argon2id cost is not under test).
    static func device(_ server: ServerProcess, sibling of: Device? = nil, _ configure: @escaping @Sendable (inout TideClient.Configuration) -> Void = { _ in })
        async throws -> Device
    {
        let setUp: @Sendable (inout TideClient.Configuration) -> Void = { configuration in
            configuration.fieldTransform = FieldEncryptor(keyDerivation: .forTesting)
            configure(&configuration)
        }
        if let of { return try await of.sibling(server, configure: setUp) }
        return try await Device.signIn(server, configure: setUp)
    }

    @Test func theSecondDeviceReadsAfterUnlockAndTheServerNeverSeesThePlaintext() async throws {
        let server = try SharedServer.server()
        let phone = try await Self.device(server)
        let laptop = try await Self.device(server, sibling: phone)
        defer { Task { await phone.close(); await laptop.close() } }
        let secret = "ward-4-bed-2-\(UUID().uuidString)"
        let email = "ann-\(UUID().uuidString)@example.com"
        let noteID = "note-\(phone.username)"
        try await phone.client.setUpEncryption(passphrase: Self.passphrase)
        try await phone.client.save("Note", ["id": .string(noteID), "title": "visit", "body": .string(secret)])
        try await phone.client.save("Task", ["id": .string("task-\(phone.username)"), "title": "t", "status": "TODO", "assigneeEmail": .string(email)])
        let sent = try await phone.client.syncNow()
        #expect(sent.sent == 2 && sent.parked == 0)
        #expect(try await phone.client.get("Note", id: noteID)?["body"] == .string(secret), "the local store keeps plaintext")

        // Synced while locked: the value reads as null, with the reason recorded.
        _ = try await laptop.client.syncNow()
        let locked = try #require(try await laptop.client.get("Note", id: noteID))
        #expect(locked["title"] == "visit" && locked["body"] == nil)
        let failures = try await laptop.client.decryptionFailures()
        #expect(failures.contains { $0.model == "Note" && $0.recordID == noteID && $0.field == "body" && $0.reason.contains("locked") })

        // A wrong passphrase: a clear error, and nothing changes.
        await #expect(throws: TideClientError.encryption("wrong passphrase: the keys stay locked and nothing was changed")) {
            try await laptop.client.unlockEncryption(passphrase: "not the passphrase")
        }
        #expect(!laptop.client.isEncryptionUnlocked)
        #expect(try await laptop.client.get("Note", id: noteID)?["body"] == nil)

        try await laptop.client.unlockEncryption(passphrase: Self.passphrase)
        #expect(try await laptop.client.get("Note", id: noteID)?["body"] == .string(secret), "fetched again once unlocked")
        #expect(try await laptop.client.get("Task", id: "task-\(phone.username)")?["assigneeEmail"] == .string(email))
        #expect(try await laptop.client.decryptionFailures().isEmpty)

        // The laptop writes too; the phone reads it.
        try await laptop.client.save("Note", ["id": .string(noteID), "body": .string(secret + "-edited")])
        #expect(try await laptop.client.syncNow().sent == 1)
        _ = try await phone.client.syncNow()
        #expect(try await phone.client.get("Note", id: noteID)?["body"] == .string(secret + "-edited"))

        let stored = try await phone.graphQL(server).data(#"{ getNote(id: "\#(noteID)") { body } }"#)
        #expect(stored["getNote"]?["body"]?.stringValue?.hasPrefix("tw1:") == true)
        try await Self.expectAbsent([secret, email], from: server)
    }

    @Test func anotherUserGetsNullAndAReasonEvenWhenAnAdminRuleLetsThemRead() async throws {
        let server = try SharedServer.server()
        let owner = try await Self.device(server)
        let adminName = "admin\(UUID().uuidString.prefix(8).lowercased())"
        let added = try await runTidewater(
            ["users", "add", adminName, "--group", "admin", "--password-stdin", "--data", server.dataDirectory.path], input: testPassword + "\n")
        #expect(added.status == 0, "\(added.stderr)")
        let admin = try await Device.signIn(server, as: adminName, newUser: false) { $0.fieldTransform = FieldEncryptor(keyDerivation: .forTesting) }
        defer { Task { await owner.close(); await admin.close() } }
        let secret = "diagnosis-\(UUID().uuidString)"
        let noteID = "private-\(owner.username)"
        try await owner.client.setUpEncryption(passphrase: Self.passphrase)
        try await admin.client.setUpEncryption(passphrase: "the admin's own passphrase")
        try await owner.client.save("Note", ["id": .string(noteID), "title": "mine", "body": .string(secret)])
        _ = try await owner.client.syncNow()

        _ = try await admin.client.syncNow()
        let seen = try #require(try await admin.client.get("Note", id: noteID), "the admin rule lets the admin read the record")
        #expect(seen["title"] == "mine" && seen["body"] == nil)
        let failure = try #require(try await admin.client.decryptionFailures().first { $0.recordID == noteID })
        #expect(failure.field == "body" && failure.reason.contains("wrong key"))
        try await Self.expectAbsent([secret], from: server)
    }

    @Test func aCiphertextMovedToAnotherRecordOrFieldOrAlteredReadsAsNull() async throws {
        let server = try SharedServer.server()
        let device = try await Self.device(server)
        defer { Task { await device.close() } }
        try await device.client.setUpEncryption(passphrase: Self.passphrase)
        let (a, b, t) = ("a-\(device.username)", "b-\(device.username)", "t-\(device.username)")
        try await device.client.save("Note", ["id": .string(a), "title": "a", "body": "first secret"])
        try await device.client.save("Note", ["id": .string(b), "title": "b", "body": "second secret"])
        try await device.client.save("Task", ["id": .string(t), "title": "t", "status": "TODO", "assigneeEmail": "x@example.com"])
        _ = try await device.client.syncNow()

        let direct = try await device.graphQL(server)
        let read = try await direct.data(#"{ a: getNote(id: "\#(a)") { body _version } b: getNote(id: "\#(b)") { _version } t: getTask(id: "\#(t)") { _version } }"#)
        let sealed = try #require(read["a"]?["body"]?.stringValue)
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 10] = bytes[bytes.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let tampered = String(decoding: bytes, as: UTF8.self)
        let update = "mutation U($n: UpdateNoteInput!) { updateNote(input: $n) { id } }"
        _ = try await direct.data(update, variables: ["n": ["id": .string(b), "_version": read["b"]!["_version"]!, "body": .string(sealed)]])
        _ = try await direct.data(update, variables: ["n": ["id": .string(a), "_version": read["a"]!["_version"]!, "body": .string(tampered)]])
        _ = try await direct.data(
            "mutation U($t: UpdateTaskInput!) { updateTask(input: $t) { id } }",
            variables: ["t": ["id": .string(t), "_version": read["t"]!["_version"]!, "assigneeEmail": .string(sealed)]])

        _ = try await device.client.syncNow()
        for (model, id, field) in [("Note", b, "body"), ("Note", a, "body"), ("Task", t, "assigneeEmail")] {
            let record = try #require(try await device.client.get(model, id: id))
            #expect(record[field] == nil, "\(model) \(id).\(field) reads as null")
        }
        let failures = try await device.client.decryptionFailures()
        #expect(Set(failures.map(\.recordID)) == [a, b, t])
        #expect(failures.allSatisfy { $0.reason.contains("copied from another record or field, or altered") })
    }

    @Test func aPassphraseChangeKeepsEveryValueReadableWithoutRewritingAny() async throws {
        let server = try SharedServer.server()
        let phone = try await Self.device(server)
        defer { Task { await phone.close() } }
        try await phone.client.setUpEncryption(passphrase: Self.passphrase)
        let noteID = "kept-\(phone.username)"
        try await phone.client.save("Note", ["id": .string(noteID), "title": "t", "body": "kept secret"])
        _ = try await phone.client.syncNow()
        let direct = try await phone.graphQL(server)
        let before = try await direct.data(#"{ getNote(id: "\#(noteID)") { body _version } }"#)

        await #expect(throws: TideClientError.encryption("wrong passphrase: the keys stay locked and nothing was changed")) {
            try await phone.client.changeEncryptionPassphrase(from: "a wrong passphrase", to: "the new passphrase")
        }
        try await phone.client.changeEncryptionPassphrase(from: Self.passphrase, to: "the new passphrase")
        #expect(try await direct.data(#"{ getNote(id: "\#(noteID)") { body _version } }"#) == before, "no record was rewritten")

        let laptop = try await Self.device(server, sibling: phone)
        defer { Task { await laptop.close() } }
        await #expect(throws: TideClientError.self) { try await laptop.client.unlockEncryption(passphrase: Self.passphrase) }
        try await laptop.client.unlockEncryption(passphrase: "the new passphrase")
        _ = try await laptop.client.syncNow()
        #expect(try await laptop.client.get("Note", id: noteID)?["body"] == "kept secret")
        await #expect(throws: TideClientError.self) { try await laptop.client.setUpEncryption(passphrase: "a second set of keys") }
    }

    @Test func rotationKeepsOldValuesReadableAndReencryptionMovesThemToTheNewKey() async throws {
        let server = try SharedServer.server()
        let phone = try await Self.device(server)
        defer { Task { await phone.close() } }
        try await phone.client.setUpEncryption(passphrase: Self.passphrase)
        let (old, new) = ("old-\(phone.username)", "new-\(phone.username)")
        try await phone.client.save("Note", ["id": .string(old), "title": "t", "body": "written under key 1"])
        _ = try await phone.client.syncNow()
        #expect(try await phone.client.rotateEncryptionKey() == 0)
        try await phone.client.save("Note", ["id": .string(new), "title": "t", "body": "written under key 2"])
        _ = try await phone.client.syncNow()

        let direct = try await phone.graphQL(server)
        func keyIDs() async throws -> [UInt32] {
            let data = try await direct.data(#"{ a: getNote(id: "\#(old)") { body } b: getNote(id: "\#(new)") { body } }"#)
            return try ["a", "b"].map { name in
                let text = try #require(data[name]?["body"]?.stringValue)
                return try #require(FieldEnvelope(parsing: text)).keyId
            }
        }
        #expect(try await keyIDs() == [1, 2])
        let laptop = try await Self.device(server, sibling: phone)
        defer { Task { await laptop.close() } }
        try await laptop.client.unlockEncryption(passphrase: Self.passphrase)
        _ = try await laptop.client.syncNow()
        #expect(try await laptop.client.get("Note", id: old)?["body"] == "written under key 1")
        #expect(try await laptop.client.get("Note", id: new)?["body"] == "written under key 2")

        #expect(try await phone.client.rotateEncryptionKey(reencrypt: true) >= 2)
        #expect(try await phone.client.syncNow().parked == 0)
        #expect(try await keyIDs() == [3, 3])
        // The laptop holds keys 1 and 2 only: unlocking again brings key 3.
        _ = try await laptop.client.syncNow()
        #expect(try await laptop.client.get("Note", id: old)?["body"] == nil)
        try await laptop.client.unlockEncryption(passphrase: Self.passphrase)
        #expect(try await laptop.client.get("Note", id: old)?["body"] == "written under key 1")

        // Locked: nothing encrypted leaves; the write parks with the reason.
        laptop.client.lockEncryption()
        try await laptop.client.save("Note", ["id": .string(old), "body": "while locked"])
        #expect(try await laptop.client.syncNow().parked == 1)
        #expect(try await laptop.client.outbox().first?.reason?.contains("locked") == true)
    }

    @Test func equalityOnABlindIndexedFieldFindsExactlyTheMatchesOnTheServer() async throws {
        let server = try SharedServer.server()
        let phone = try await Self.device(server)
        defer { Task { await phone.close() } }
        try await phone.client.setUpEncryption(passphrase: Self.passphrase)
        let ann = "ann-\(phone.username)@example.com"
        func task(_ id: String, _ email: String) async throws {
            try await phone.client.save("Task", ["id": .string("\(id)-\(phone.username)"), "title": "t", "status": "TODO", "assigneeEmail": .string(email)])
        }
        try await task("t1", ann)
        try await task("t2", "bob@example.com")
        try await task("t3", ann.uppercased())
        _ = try await phone.client.syncNow()
        try await phone.client.rotateEncryptionKey()
        try await task("t4", ann)
        _ = try await phone.client.syncNow()
        let expected = ["t1-\(phone.username)", "t4-\(phone.username)"]

        // A sync predicate goes to the server as the blind index under both key versions.
        let laptop = try await Self.device(server, sibling: phone) { $0.syncPredicates["Task"] = ["assigneeEmail": ["eq": .string(ann)]] }
        defer { Task { await laptop.close() } }
        try await laptop.client.unlockEncryption(passphrase: Self.passphrase)
        _ = try await laptop.client.syncNow()
        #expect(try await laptop.client.query("Task").map(\.id).sorted() == expected)

        // The same filter, rewritten, in a request of the app's own and in a subscription filter.
        let filter = try phone.client.serverFilter("Task", ["assigneeEmail": ["eq": .string(ann)]])
        #expect(filter["assigneeEmailBlindIndex"]?["in"]?.arrayValue?.count == 2)
        let direct = try await phone.graphQL(server)
        let listed = try await direct.data(
            "query L($f: ModelTaskFilterInput) { listTasks(filter: $f, limit: 1000) { items { id } } }", variables: ["f": filter])
        #expect(listed["listTasks"]?["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue }.sorted() == expected)

        let token = try await HTTPClient().signIn(server.baseURL, username: phone.username)
        let socket = try await GraphQLSocket.connect(server)
        defer { Task { await socket.close() } }
        try await socket.initialize(["Authorization": "Bearer \(token)"])
        try await socket.subscribe(
            "s", "subscription S($f: ModelSubscriptionTaskFilterInput) { onCreateTask(filter: $f) { id } }", variables: ["f": filter])
        _ = try await socket.execute("barrier", "{ __typename }")
        try await task("t5", "bob@example.com")
        try await task("t6", ann)
        _ = try await phone.client.syncNow()
        let event = try await socket.nextEvent("s")
        #expect(event["data"]?["onCreateTask"]?["id"] == .string("t6-\(phone.username)"))
        let extra = try? await socket.next(timeout: .seconds(1))
        #expect(extra == nil, "no event for bob's task: \(extra?.jsonString ?? "")")

        #expect(throws: TideClientError.self) { _ = try phone.client.serverFilter("Note", ["body": ["eq": "x"]]) }
    }

    @Test func aLiveDeviceDecryptsSubscriptionEvents() async throws {
        let server = try SharedServer.server()
        let phone = try await Self.device(server)
        let laptop = try await Self.device(server, sibling: phone)
        defer { Task { await phone.close(); await laptop.close() } }
        try await phone.client.setUpEncryption(passphrase: Self.passphrase)
        try await laptop.client.unlockEncryption(passphrase: Self.passphrase)
        let seen = StatusLog(laptop.client.statusUpdates)
        try laptop.client.startLiveSync()
        try await eventually("live") { seen.all.contains(.live) }
        let noteID = "live-\(phone.username)"
        try await phone.client.save("Note", ["id": .string(noteID), "title": "t", "body": "sent live"])
        _ = try await phone.client.syncNow()
        try await eventually("the event reached the laptop, decrypted") {
            try await laptop.client.get("Note", id: noteID)?["body"] == "sent live"
        }
        // The laptop's own write goes out encrypted and comes back through its answer.
        try await laptop.client.save("Note", ["id": .string(noteID), "body": "answered live"])
        try await eventually("sent") { try await laptop.client.outbox().isEmpty }
        #expect(try await laptop.client.get("Note", id: noteID)?["body"] == "answered live")
        _ = try await phone.client.syncNow()
        #expect(try await phone.client.get("Note", id: noteID)?["body"] == "answered live")
        #expect(try await laptop.client.decryptionFailures().isEmpty)
    }

    /// Every file of the server's data folder (databases, WAL, feed, search, notifications), its
    /// log and `/metrics`: none holds any of `secrets`.
    static func expectAbsent(_ secrets: [String], from server: ServerProcess) async throws {
        var haystacks: [(String, Data)] = [("the server log", Data(server.readStderr().utf8))]
        let metrics = try await HTTPClient().send("GET", server.baseURL.appendingPathComponent("metrics"))
        haystacks.append(("/metrics", Data(metrics.text.utf8)))
        let files = FileManager.default.enumerator(at: server.dataDirectory, includingPropertiesForKeys: [.isRegularFileKey])
        var scanned = 0
        while let url = files?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, let data = FileManager.default.contents(atPath: url.path)
            else { continue }
            haystacks.append((url.lastPathComponent, data))
            scanned += 1
        }
        #expect(scanned >= 2, "the data folder holds the databases")
        for secret in secrets {
            for (name, bytes) in haystacks {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) holds a plaintext value")
            }
        }
    }
}

/// What `FieldEncryptor` makes of filters and blind indexes, without a server.
@Suite struct FieldEncryptorFilterTests {
    let schema: ClientSchema
    let task: ModelType
    let note: ModelType

    init() throws {
        let path = ServerProcess.packageRoot.appendingPathComponent("Schema/example.graphql").path
        schema = try ClientSchema(sdl: try String(contentsOfFile: path, encoding: .utf8))
        task = try #require(schema.app.models.first { $0.name == "Task" })
        note = try #require(schema.app.models.first { $0.name == "Note" })
    }

    @Test func equalityOnABlindIndexedFieldBecomesTheIndexUnderEveryKeyVersion() throws {
        let encryptor = FieldEncryptor(keyDerivation: .forTesting)
        #expect(throws: FieldEncryptor.EncryptionError.locked) {
            _ = try encryptor.serverFilter(.field("assigneeEmail", .eq("a")), model: task)
        }
        let keys = try KeyEnvelope.create(passphrase: "a passphrase", parameters: .forTesting).rotating()
        encryptor.install(keys)
        let cipher = FieldCipher(keys: keys.ring)
        func h(_ values: String...) throws -> [JSONValue] {
            try values.flatMap { try cipher.blindIndexes(of: $0, model: "Task", field: "assigneeEmail").map(JSONValue.string) }
        }
        #expect(try h("a").count == 2, "one index per key version")
        let filter: FilterExpression = .and([
            .field("assigneeEmail", .eq("a")), .field("title", .eq("t")), .not(.field("assigneeEmail", .ne("b"))),
            .or([.field("assigneeEmail", .in(["a", "b"])), .field("assigneeEmail", .notIn(["c"]))]),
            .field("assigneeEmail", .attributeExists(true)), .field("assigneeEmail", .eq(.null)),
        ])
        #expect(try encryptor.serverFilter(filter, model: task) == .and([
            .field("assigneeEmailBlindIndex", .in(try h("a"))), .field("title", .eq("t")),
            .not(.field("assigneeEmailBlindIndex", .notIn(try h("b")))),
            .or([.field("assigneeEmailBlindIndex", .in(try h("a", "b"))), .field("assigneeEmailBlindIndex", .notIn(try h("c")))]),
            .field("assigneeEmail", .attributeExists(true)), .field("assigneeEmailBlindIndex", .eq(.null)),
        ]))
        for refused: FilterExpression in [.field("assigneeEmail", .beginsWith("a")), .field("assigneeEmail", .contains("a"))] {
            #expect(throws: FieldEncryptor.EncryptionError.self) { _ = try encryptor.serverFilter(refused, model: task) }
        }
        #expect(throws: FieldEncryptor.EncryptionError.self, "no blind index: equality cannot be sent") {
            _ = try encryptor.serverFilter(.field("body", .eq("x")), model: note)
        }
        #expect(try encryptor.serverFilter(.field("body", .attributeExists(false)), model: note) == .field("body", .attributeExists(false)))
    }

    @Test func aWriteCarriesTheIndexUnderTheNewestKeyAndClearingTheValueClearsIt() throws {
        let encryptor = FieldEncryptor(keyDerivation: .forTesting)
        let keys = try KeyEnvelope.create(passphrase: "a passphrase", parameters: .forTesting).rotating()
        encryptor.install(keys)
        let cipher = FieldCipher(keys: keys.ring)
        let sent = try encryptor.companionInputs(for: ["assigneeEmail": "Ann@example.com", "title": "t"], model: task, recordID: "r1")
        #expect(sent == ["assigneeEmailBlindIndex": .string(try cipher.blindIndex(of: "Ann@example.com", model: "Task", field: "assigneeEmail", keyId: 2))])
        #expect(try encryptor.companionInputs(for: ["assigneeEmail": .null], model: task, recordID: "r1") == ["assigneeEmailBlindIndex": .null])
        #expect(try encryptor.companionInputs(for: ["title": "t"], model: task, recordID: "r1").isEmpty)

        let field = try #require(note.field(named: "body"))
        let sealed = try encryptor.outgoing("a secret", field: field, path: "body", model: note, recordID: "n1")
        #expect(encryptor.incoming(sealed, field: field, path: "body", model: note, recordID: "n1") == "a secret")
        #expect(encryptor.incoming(sealed, field: field, path: "body", model: note, recordID: "n2") == .null, "bound to its record")
        #expect(encryptor.failures == [DecryptionFailure(model: "Note", recordID: "n2", field: "body", reason: FieldCryptoError.authenticationFailed.reason)])
        encryptor.lock()
        #expect(keys.ring.isWiped, "locking wipes the data keys")
        #expect(encryptor.failures.isEmpty, "and forgets the failures, which name the user's records")
        #expect(throws: FieldEncryptor.EncryptionError.locked) { _ = try encryptor.outgoing("x", field: field, path: "body", model: note, recordID: "n1") }
    }
}
