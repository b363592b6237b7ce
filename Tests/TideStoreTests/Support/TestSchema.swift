import Foundation
import TideModel

/// The app schema the store tests run on, built directly (no SDL parser).
enum TestSchema {
    static func scalar(_ s: Scalar, required: Bool = false) -> FieldType { FieldType(base: .scalar(s), isRequired: required) }

    static let priority = EnumType(name: "Priority", values: ["LOW", "MEDIUM", "HIGH"])
    static let address = EmbeddedType(
        name: "Address",
        fields: [Field(name: "city", type: scalar(.string)), Field(name: "zip", type: scalar(.string))])

    static let noteFields: [Field] = [
        Field(name: "id", type: scalar(.id, required: true)),
        Field(name: "title", type: scalar(.string, required: true)),
        Field(name: "body", type: scalar(.string)),
        Field(name: "rank", type: scalar(.int)),
        Field(name: "score", type: scalar(.float)),
        Field(name: "done", type: scalar(.boolean)),
        Field(name: "tags", type: FieldType(base: .scalar(.string), isList: true)),
        Field(name: "level", type: FieldType(base: .enumeration("Priority"))),
        Field(name: "address", type: FieldType(base: .embedded("Address"))),
        Field(name: "expiresAt", type: scalar(.awsTimestamp)),
        Field(name: "owner", type: scalar(.string)),
    ]

    static let note = ModelType(
        name: "Note", pluralName: "Notes", fields: noteFields,
        indexes: [Index(name: "byOwner", field: "owner", sortKeyFields: ["rank"], queryField: "notesByOwner")],
        ttlField: "expiresAt")

    static let comment = ModelType(
        name: "Comment", pluralName: "Comments",
        fields: [
            Field(name: "id", type: scalar(.id, required: true)),
            Field(name: "postId", type: scalar(.id, required: true)),
            Field(name: "body", type: scalar(.string)),
            Field(name: "votes", type: scalar(.int)),
        ],
        indexes: [Index(name: "byPost", field: "postId", sortKeyFields: ["createdAt"], queryField: "commentsByPost")])

    static let schema = AppSchema(models: [note, comment], enums: [priority], embeddedTypes: [address])
}

/// A fresh folder under the system temp directory, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tidewater-store-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
