import Testing
import TideModel

@Suite struct AutoMergeTests {
    static func type(_ base: BaseType, list: Bool = false, required: Bool = false) -> FieldType {
        FieldType(base: base, isList: list, isRequired: required)
    }

    static let image = EmbeddedType(
        name: "Image",
        fields: [
            Field(name: "url", type: type(.scalar(.awsURL), required: true)),
            Field(name: "alt", type: type(.scalar(.string))),
            Field(name: "size", type: type(.embedded("Size"))),
            Field(name: "credits", type: type(.scalar(.string), list: true)),
        ])
    static let size = EmbeddedType(
        name: "Size", fields: [Field(name: "width", type: type(.scalar(.int))), Field(name: "height", type: type(.scalar(.int)))])
    static let checklistItem = EmbeddedType(
        name: "ChecklistItem",
        fields: [Field(name: "text", type: type(.scalar(.string))), Field(name: "done", type: type(.scalar(.boolean)))])

    static let task = ModelType(
        name: "Task", pluralName: "Tasks",
        fields: [
            Field(name: "id", type: type(.scalar(.id), required: true)),
            Field(name: "title", type: type(.scalar(.string), required: true)),
            Field(name: "priority", type: type(.scalar(.int))),
            Field(name: "status", type: type(.enumeration("TaskStatus"))),
            Field(name: "settings", type: type(.scalar(.awsJSON))),
            Field(name: "labels", type: type(.scalar(.string), list: true), isSet: true),
            Field(name: "notes", type: type(.scalar(.string), list: true)),
            Field(name: "checklist", type: type(.embedded("ChecklistItem"), list: true)),
            Field(name: "cover", type: type(.embedded("Image"))),
        ])
    static let merger = AutoMerge(
        model: task,
        schema: AppSchema(
            models: [task], enums: [EnumType(name: "TaskStatus", values: ["TODO", "DONE"])],
            embeddedTypes: [image, size, checklistItem]))

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let server: [String: JSONValue]
        let incoming: [String: JSONValue]
        let values: [String: JSONValue]
        let dropped: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "conflicting scalar keeps the server value", server: ["title": "server"], incoming: ["title": "client"],
             values: ["title": "server"], dropped: ["title"]),
        Case(name: "equal values are no conflict", server: ["title": "same", "priority": 2], incoming: ["title": "same", "priority": 2],
             values: ["title": "same", "priority": 2], dropped: []),
        Case(name: "a field null on the server takes the incoming value", server: ["title": "t", "priority": nil],
             incoming: ["priority": 3], values: ["priority": 3], dropped: []),
        Case(name: "a field absent on the server takes the incoming value", server: ["title": "t"],
             incoming: ["priority": 3, "labels": ["a"]], values: ["priority": 3, "labels": ["a"]], dropped: []),
        Case(name: "a list is concatenated, duplicates kept", server: ["notes": ["a", "b"]], incoming: ["notes": ["b", "c"]],
             values: ["notes": ["a", "b", "b", "c"]], dropped: []),
        Case(name: "an equal list is not doubled", server: ["notes": ["a", "b"]], incoming: ["notes": ["a", "b"]],
             values: ["notes": ["a", "b"]], dropped: []),
        Case(name: "a @set list gets a union in server order", server: ["labels": ["x", "y"]],
             incoming: ["labels": ["z", "y", "z", "w"]], values: ["labels": ["x", "y", "z", "w"]], dropped: []),
        Case(name: "a list of embedded objects is concatenated",
             server: ["checklist": [["text": "buy", "done": true]]],
             incoming: ["checklist": [["text": "buy", "done": false], ["text": "cook", "done": false]]],
             values: ["checklist": [["text": "buy", "done": true], ["text": "buy", "done": false], ["text": "cook", "done": false]]],
             dropped: []),
        Case(name: "an embedded object recurses field by field",
             server: ["cover": ["url": "https://a/1.png", "alt": "old", "credits": ["ann"]]],
             incoming: ["cover": ["url": "https://a/2.png", "alt": "old", "credits": ["bob"], "size": ["width": 4]]],
             values: ["cover": ["url": "https://a/1.png", "alt": "old", "credits": ["ann", "bob"], "size": ["width": 4]]],
             dropped: ["cover.url"]),
        Case(name: "nested embedded objects recurse again",
             server: ["cover": ["url": "u", "size": ["width": 1, "height": 2]]],
             incoming: ["cover": ["size": ["width": 9, "height": nil]]],
             values: ["cover": ["url": "u", "size": ["width": 1, "height": 2]]],
             dropped: ["cover.size.width", "cover.size.height"]),
        Case(name: "an explicit null over a server value is a conflicting scalar", server: ["priority": 5, "notes": ["a"]],
             incoming: ["priority": nil, "notes": nil], values: ["priority": 5, "notes": ["a"]], dropped: ["priority", "notes"]),
        Case(name: "an explicit null over a server embedded object is dropped", server: ["cover": ["url": "u"]],
             incoming: ["cover": nil], values: ["cover": ["url": "u"]], dropped: ["cover"]),
        Case(name: "enums are scalars", server: ["status": "TODO"], incoming: ["status": "DONE"],
             values: ["status": "TODO"], dropped: ["status"]),
        Case(name: "AWSJSON is a scalar, not a map", server: ["settings": "{\"a\":1}"], incoming: ["settings": "{\"b\":2}"],
             values: ["settings": "{\"a\":1}"], dropped: ["settings"]),
        Case(name: "dropped paths follow declaration order",
             server: ["title": "t", "priority": 1, "status": "TODO"],
             incoming: ["status": "DONE", "title": "u", "priority": 2],
             values: ["title": "t", "priority": 1, "status": "TODO"], dropped: ["title", "priority", "status"]),
        Case(name: "an undeclared field is treated as a scalar", server: ["title": "t"], incoming: ["extra": 1],
             values: ["extra": 1], dropped: []),
        Case(name: "fields the update does not send are not in the result", server: ["title": "t", "priority": 1],
             incoming: ["labels": ["a"]], values: ["labels": ["a"]], dropped: []),
    ]

    @Test(arguments: cases) func merges(_ example: Case) {
        let result = Self.merger.merge(server: example.server, incoming: example.incoming)
        #expect(result.values == example.values)
        #expect(result.dropped == example.dropped)
    }

    @Test func mergingTwiceIsStable() {
        // A client retrying the same stale update must not grow a set.
        let once = Self.merger.merge(server: ["labels": ["a"]], incoming: ["labels": ["b"]])
        let twice = Self.merger.merge(server: once.values, incoming: ["labels": ["b"]])
        #expect(twice.values == ["labels": ["a", "b"]])
    }
}
