import Testing
import TideModel

@Suite struct FilterEvaluatorTests {
    let record: [String: JSONValue] = [
        "title": "Buy milk", "priority": 3, "score": 2.5, "done": false, "tags": ["home", "errand"], "empty": nil,
    ]

    func matches(_ input: JSONValue) throws -> Bool {
        FilterEvaluator.matches(try FilterExpression(input: input), record)
    }

    @Test(arguments: [
        // (filter, expected)
        (["title": ["eq": "Buy milk"]], true),
        (["title": ["eq": "buy milk"]], false),
        (["title": ["ne": "x"]], true),
        (["missing": ["ne": "x"]], true),
        (["missing": ["eq": nil]], true),
        (["title": ["beginsWith": "Buy"]], true),
        (["title": ["beginsWith": "milk"]], false),
        (["title": ["contains": "y m"]], true),
        (["title": ["notContains": "tea"]], true),
        (["missing": ["notContains": "tea"]], true),
        (["title": ["lt": "C"]], true),
        (["title": ["gt": "B"]], true),
        (["priority": ["between": [3, 5]]], true),
        (["priority": ["between": [4, 5]]], false),
        (["priority": ["ge": 3.0]], true),
        (["score": ["gt": 2]], true),
        (["priority": ["gt": "2"]], false),
        (["priority": ["ne": "3"]], true),
        (["done": ["eq": false]], true),
        (["tags": ["contains": "home"]], true),
        (["tags": ["contains": "hom"]], false),
        (["tags": ["notContains": "work"]], true),
        (["empty": ["attributeExists": false]], true),
        (["title": ["attributeExists": true]], true),
        (["priority": ["in": [1, 3]]], true),
        (["priority": ["notIn": [1, 3]]], false),
        (["and": [["priority": ["eq": 3]], ["done": ["eq": true]]]], false),
        (["or": [["priority": ["eq": 4]], ["done": ["eq": false]]]], true),
        (["not": ["done": ["eq": false]]], false),
        (["priority": ["gt": 1, "lt": 3]], false),
        (["and": []], true),
    ] as [(JSONValue, Bool)])
    func evaluates(_ filter: JSONValue, _ expected: Bool) throws {
        #expect(try matches(filter) == expected, "\(filter.jsonString)")
    }

    @Test func stringsCompareByUTF8Bytes() {
        // "é" (C3 A9) sorts after "z" (7A) by bytes, as SQLite's BINARY collation does.
        #expect(FilterEvaluator.compare("é", "z") == 1)
        #expect(FilterEvaluator.compare("Z", "a") == -1)
    }

    @Test(arguments: [
        ["title": "plain"] as JSONValue,
        ["title": ["between": [1]]],
        ["title": ["beginsWith": 3]],
        ["title": ["like": "x"]],
        ["and": "x"],
        "not an object",
    ])
    func rejectsMalformedFilters(_ input: JSONValue) {
        #expect(throws: FilterExpression.ParseError.self) { try FilterExpression(input: input) }
    }

    /// `and`, `or` and `not` nest at most `maxNesting` deep, in any mix: the store's SQL must
    /// stay within what SQLite's parser takes.
    @Test func boundsNestingOfAndOrNot() throws {
        func nested(_ depth: Int) -> JSONValue {
            (0..<depth).reduce(["title": ["eq": "Buy milk"]] as JSONValue) { inner, level in
                switch level % 3 {
                case 0: ["not": ["not": inner]]
                case 1: ["and": [inner]]
                default: ["or": [inner, ["done": ["eq": true]]]]
                }
            }
        }
        // 15 steps are 20 levels: 5 steps of two `not`s, 5 of `and`, 5 of `or`.
        #expect(try matches(nested(15)) == true)
        #expect(throws: FilterExpression.ParseError.self) { try FilterExpression(input: ["not": nested(15)]) }
        let error = #expect(throws: FilterExpression.ParseError.self) { try FilterExpression(input: nested(1000)) }
        #expect(error?.message == "'and', 'or' and 'not' may nest at most 20 levels deep")
    }
}
