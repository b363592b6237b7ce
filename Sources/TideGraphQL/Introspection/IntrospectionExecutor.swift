import Foundation
import GraphQL
import OrderedCollections
import TideModel

/// Answers introspection operations (`__schema`, `__type`) with GraphQLSwift's executor over
/// the generated schema. The answer depends only on the document and its variables, so it is
/// cached: tools that poll the schema cost one execution per distinct request.
struct IntrospectionExecutor: Sendable {
    let schema: GraphQLSchema
    let cache: DocumentCache<[UInt8]>

    init(schema: GraphQLSchema) {
        self.schema = schema
        self.cache = DocumentCache(capacity: 64)
    }

    func execute(query: String, operationName: String?, variables: [String: JSONValue]) async -> [UInt8] {
        let key = "\(operationName ?? "")\u{0}\(JSONValue.object(variables).jsonString)\u{0}\(query)"
        if let cached = cache.value(for: key) { return cached }
        var body: [UInt8]
        do {
            let result = try await graphql(
                schema: schema, request: query, variableValues: variables.mapValues(Self.map),
                operationName: operationName)
            body = Array(try GraphQLJSONEncoder().encode(result))
        } catch {
            var w = JSONWriter()
            w.raw("{\"errors\":[")
            GraphQLErrorBody(message: "Introspection failed.", code: .internalError).write(to: &w)
            w.raw("]}")
            body = w.bytes
        }
        cache.insert(body, for: key)
        return body
    }

    static func map(_ value: JSONValue) -> Map {
        switch value {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .number(Number(Int(i)))
        case .double(let d): .number(Number(d))
        case .string(let s): .string(s)
        case .array(let a): .array(a.map(map))
        case .object(let o): .dictionary(OrderedDictionary(uniqueKeysWithValues: o.sorted { $0.key < $1.key }.map { ($0.key, map($0.value)) }))
        }
    }
}
