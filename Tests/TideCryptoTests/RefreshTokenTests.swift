import Testing
import TideCrypto

@Suite struct RefreshTokenTests {
    @Test func generatedTokenIsRandomAndItsHashMatches() throws {
        let (token, hash) = RefreshToken.generate()
        #expect(try #require(Base64URL.decode(token)).count == 32)
        #expect(RefreshToken.hash(token) == hash)
        #expect(hash != token)
        #expect(Base64URL.decode(hash)?.count == 32)
    }

    @Test func hashIsStableAndDiffersPerToken() {
        let tokens = (0..<50).map { _ in RefreshToken.generate() }
        #expect(Set(tokens.map(\.token)).count == 50)
        #expect(Set(tokens.map(\.hash)).count == 50)
        for (token, hash) in tokens { #expect(RefreshToken.hash(token) == hash) }
        // Known BLAKE2b-256 output, so the stored format can never change silently.
        #expect(RefreshToken.hash("abc") == Base64URL.encode(hex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")))
    }

    @Test func constantTimeEqualsComparesContents() {
        let a: [UInt8] = [1, 2, 3, 4]
        #expect(constantTimeEquals(a, [1, 2, 3, 4]))
        #expect(!constantTimeEquals(a, [1, 2, 3, 5]))
        #expect(!constantTimeEquals(a, [0, 2, 3, 4]))
        #expect(!constantTimeEquals(a, [1, 2, 3]))
        #expect(!constantTimeEquals(a, [1, 2, 3, 4, 5]))
        #expect(!constantTimeEquals(a, []))
        #expect(constantTimeEquals([], []))
    }

    private func hex(_ s: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var it = s.makeIterator()
        while let h = it.next(), let l = it.next() { bytes.append(UInt8(String([h, l]), radix: 16)!) }
        return bytes
    }
}
