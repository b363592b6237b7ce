import Testing
import TideModel

@Suite struct JSONTests {
    @Test func parsesEveryKind() throws {
        let value = try JSONParser.parse(#"{"a": [1, -2.5, 3e2, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "big": 9007199254740993}"#)
        #expect(value["a"] == [1, -2.5, 300.0, true, false, nil])
        #expect(value["s"] == .string("x\"\\/\né😀"))
        #expect(value["big"] == .int(9_007_199_254_740_993), "integers stay exact")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\u{01}\"", "tru", "[1] 2", "\"\\ud800\"", "{\"a\":1,}",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
    }

    @Test func previewsAreShortHoweverLargeTheValue() {
        #expect(String(repeating: "x", count: 1000).preview(limit: 8) == "xxxxxxxx…")
        #expect("é🙂é".preview(limit: 5) == "é…", "cut on a character boundary, within the byte limit")
        #expect("short".preview(limit: 8) == "short")
        let deep = (0..<1000).reduce(JSONValue.string(String(repeating: "y", count: 10_000))) { inner, _ in .array([inner]) }
        let wide = JSONValue.array(Array(repeating: 1, count: 100_000))
        for value in [deep, wide] {
            #expect(value.preview.utf8.count <= JSONValue.previewLimit + "…".utf8.count)
            #expect(value.preview.hasSuffix("…"))
        }
        #expect((["a": [1, "b"]] as JSONValue).preview == #"{"a":[1,"b"]}"#)
    }

    @Test func writesAndRoundTrips() throws {
        let value: JSONValue = ["b": [1, 2.5, "x\n\u{1}"], "a": nil, "c": ["d": true]]
        #expect(value.jsonString == #"{"a":null,"b":[1,2.5,"x\n\u0001"],"c":{"d":true}}"#)
        #expect(try JSONParser.parse(value.jsonString) == value)
        #expect(JSONValue.double(2).jsonString == "2.0", "a Float stays a float on the wire")
    }
}
