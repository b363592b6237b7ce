import Foundation
import Testing
import TideFilterPolicy
import TideModel

/// One row of Fixtures/filter-policies/conformance.json.
struct ConformanceCase: CustomTestStringConvertible, Sendable {
    var name: String
    var policy: JSONValue
    var matches: [JSONValue]
    var doesNotMatch: [JSONValue]
    var combinations: Int?
    var refused: (reason: String, at: String)?

    var testDescription: String { name }

    static let all: [ConformanceCase] = {
        let file = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/filter-policies/conformance.json")
        let document = try! JSONParser.parse(Array(try! Data(contentsOf: file)))
        return document["cases"]!.arrayValue!.map { row in
            ConformanceCase(
                name: row["name"]!.stringValue!,
                policy: row["policy"]!,
                matches: row["matches"]?.arrayValue ?? [],
                doesNotMatch: row["doesNotMatch"]?.arrayValue ?? [],
                combinations: row["combinations"]?.intValue.map(Int.init),
                refused: row["refused"].map { ($0.stringValue!, row["at"]!.stringValue!) })
        }
    }()
}

@Test func theTableCoversEveryOperatorAndLimit() {
    let text = ConformanceCase.all.map(\.policy.jsonString).joined()
    for op in ["\"prefix\"", "\"suffix\"", "\"equals-ignore-case\"", "\"anything-but\"", "\"numeric\"", "\"exists\"", "\"cidr\"", "\"$or\""] {
        #expect(text.contains(op), "no case uses \(op)")
    }
    #expect(ConformanceCase.all.filter { $0.refused != nil }.count >= 20)
    #expect(ConformanceCase.all.contains { $0.combinations == 150 })
}

@Test(arguments: ConformanceCase.all)
func conformance(_ row: ConformanceCase) {
    do {
        let policy = try FilterPolicy(row.policy)
        if let refused = row.refused {
            Issue.record("accepted; expected a refusal at \(refused.at): \(refused.reason)")
            return
        }
        for event in row.matches {
            #expect(policy.matches(event), "should match \(event.jsonString)")
        }
        for event in row.doesNotMatch {
            #expect(!policy.matches(event), "should not match \(event.jsonString)")
        }
        if let combinations = row.combinations {
            #expect(policy.combinations == combinations)
        }
    } catch {
        guard let refused = row.refused else {
            Issue.record("refused: \(error)")
            return
        }
        #expect(error.reason.contains(refused.reason), "\(error)")
        #expect(error.locationText == refused.at, "\(error)")
    }
}

@Test func aPolicyLargerThan256KBIsRefused() {
    let big = String(repeating: "x", count: 256 * 1024)
    #expect(throws: FilterPolicyError.self) { try FilterPolicy(["a": [.string(big)]]) }
    let fits = String(repeating: "x", count: 200 * 1024)
    #expect((try? FilterPolicy(["a": [.string(fits)]])) != nil)
}

@Test func keyPathsNameEveryTestedKeyAndWhereItIsWritten() throws {
    let policy = try FilterPolicy([
        "op": ["create"],
        "new": ["$or": [["status": ["open"]], ["priority": [1]]]],
    ])
    let paths = policy.keyPaths.map { ($0.keys.joined(separator: "."), $0.location.map(\.description).joined(separator: "/")) }
    #expect(paths.map(\.0).sorted() == ["new.priority", "new.status", "op"])
    #expect(paths.contains { $0 == ("new.status", "new/$or/[0]/status") })
}
