import Foundation
import Testing

@testable import TideNotificationProviders

@Test func dotStuffingDoublesLeadingDotsAndEndsTheData() {
    let stuffed = String(decoding: MIMEMessage.dotStuffed(".a\r\nb\r\n..c\r\n"), as: UTF8.self)
    #expect(stuffed == "..a\r\nb\r\n...c\r\n.\r\n")
    #expect(String(decoding: MIMEMessage.dotStuffed("no newline"), as: UTF8.self) == "no newline\r\n.\r\n")
}

@Test func quotedPrintableKeepsLinesShortAndEncodesWhatMustBe() {
    let encoded = QuotedPrintable.encode("a=b ü \n" + String(repeating: "x", count: 100))
    let lines = encoded.components(separatedBy: "\r\n")
    #expect(lines[0] == "a=3Db =C3=BC=20")
    #expect(lines.allSatisfy { $0.count <= 76 })
    #expect(lines.dropFirst().joined().replacingOccurrences(of: "=", with: "") == String(repeating: "x", count: 100))
}

@Test func nonASCIISubjectsAreEncodedWords() {
    #expect(MIMEMessage.encodedWord("Hello") == "Hello")
    #expect(MIMEMessage.encodedWord("Grüße") == "=?UTF-8?B?R3LDvMOfZQ==?=")
}
