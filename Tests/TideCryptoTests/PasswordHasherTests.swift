import Testing
import TideCrypto

@Suite struct PasswordHasherTests {
    let hasher = PasswordHasher.forTesting

    @Test func hashThenVerifyRoundTrips() throws {
        let hash = try hasher.hash("correct horse battery")
        #expect(hash.hasPrefix("$argon2id$v=19$"))
        #expect(hasher.verify("correct horse battery", against: hash))
    }

    @Test func wrongPasswordIsRejected() throws {
        let hash = try hasher.hash("correct horse battery")
        #expect(!hasher.verify("correct horse batterY", against: hash))
        #expect(!hasher.verify("", against: hash))
    }

    @Test func malformedHashIsRejected() {
        #expect(!hasher.verify("whatever1", against: ""))
        #expect(!hasher.verify("whatever1", against: "$argon2id$v=19$m=8,t=1,p=1$garbage"))
        #expect(!hasher.verify("whatever1", against: String(repeating: "x", count: 500)))
    }

    @Test func lengthLimitsAreEnforced() {
        #expect(throws: PasswordError.tooShort(minimum: 8)) { try hasher.hash("short") }
        // The minimum counts characters as users see them, not UTF-8 bytes (7 × "é" = 14 bytes).
        #expect(throws: PasswordError.tooShort(minimum: 8)) { try hasher.hash(String(repeating: "é", count: 7)) }
        #expect(throws: PasswordError.tooLong) {
            try hasher.hash(String(repeating: "a", count: PasswordHasher.maximumByteLength + 1))
        }
        #expect(!hasher.verify(String(repeating: "a", count: PasswordHasher.maximumByteLength + 1), against: "x"))
    }

    @Test func saltsDiffer() throws {
        let first = try hasher.hash("same password")
        let second = try hasher.hash("same password")
        #expect(first != second)
        #expect(hasher.verify("same password", against: first))
        #expect(hasher.verify("same password", against: second))
    }

    @Test func needsRehashTracksParameters() throws {
        let hash = try hasher.hash("correct horse battery")
        #expect(!hasher.needsRehash(hash))
        let stronger = PasswordHasher(opsLimit: hasher.opsLimit + 1, memLimit: hasher.memLimit * 2, minimumLength: 8)
        #expect(stronger.needsRehash(hash))
        // Old hashes still verify under new parameters; after rehashing the flag clears.
        #expect(stronger.verify("correct horse battery", against: hash))
        let upgraded = try stronger.hash("correct horse battery")
        #expect(!stronger.needsRehash(upgraded))
        #expect(hasher.needsRehash(upgraded))
        #expect(hasher.needsRehash("not a hash"))
    }

    @Test func interactiveUsesLibsodiumInteractiveLimits() throws {
        let hash = try PasswordHasher.interactive.hash("correct horse battery")
        #expect(hash.contains("m=65536,t=2,p=1"))
        #expect(PasswordHasher.interactive.verify("correct horse battery", against: hash))
        #expect(!PasswordHasher.interactive.needsRehash(hash))
    }

    /// The dummy check exists to spend Argon2id's time on unknown users; it must never pass.
    /// (Its cost is not asserted here: timing belongs in benchmarks, not tests.)
    @Test func dummyVerificationNeverSucceeds() {
        #expect(PasswordHasher.forTesting.verifyDummy("correct horse battery") == false)
        #expect(PasswordHasher.forTesting.verifyDummy("") == false)
    }
}
