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

    @Test func aDeferredListIsLocatedWholeAndParsesAsItWouldHaveInPlace() throws {
        let text = #"""
            {"errors": [], "data": {"syncNotes": {"items": [{"id": "a", "title": "] } [ {", "tags": ["x\"]", "\\"]},
            {"id": "b", "items": [[1, {"k": "}"}]], "n": null}], "nextToken": "t1", "startedAt": 7}},
            "extensions": {"items": "not a list", "more": {"items": []}}}
            """#
        let bytes = Array(text.utf8)
        let whole = try JSONParser.parse(bytes)
        let (outline, deferred) = try JSONParser.parse(bytes, deferring: "items")

        #expect(deferred.count == 2, "both lists named items, in document order; a string named items is parsed")
        #expect(try JSONParser.parse(deferred[0]) == whole["data"]?["syncNotes"]?["items"])
        #expect(try JSONParser.parse(deferred[1]) == .array([]))
        #expect(outline["data"]?["syncNotes"]?["items"] == .null)
        #expect(outline["data"]?["syncNotes"]?["nextToken"] == "t1")
        #expect(outline["data"]?["syncNotes"]?["startedAt"] == 7)
        #expect(outline["extensions"]?["items"] == "not a list")
    }

    @Test(arguments: [
        #"{"items": [1, 2"#, #"{"items": ["]"#, #"{"items": [1]"#, #"{"items": [1]} x"#,
    ])
    func aDeferredListThatDoesNotEndIsRefused(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(Array(text.utf8), deferring: "items") }
    }

    @Test func objectsOfAListMayDifferInSize() throws {
        // Each object is sized like the one before it; the next may have more or fewer members.
        let value = try JSONParser.parse(#"[{"a": 1}, {"a": 1, "b": 2, "c": 3}, {}, {"d": [{"e": 1, "f": 2}, {"e": 3}]}]"#)
        #expect(value == [["a": 1], ["a": 1, "b": 2, "c": 3], [:], ["d": [["e": 1, "f": 2], ["e": 3]]]])
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
