import NIOCore
import NIOHTTP1
import TideModel

/// A GraphQL error as the server reports it (ARCHITECTURE §3): `extensions.code`, and for
/// `ConflictUnhandled` the current server record in `extensions.data`.
struct GraphQLFailure: Sendable, Hashable, CustomStringConvertible {
    var message: String
    var code: String?
    var data: JSONValue?
    /// The response key of the root field the error belongs to; nil for a request error.
    var rootKey: String?

    init(_ value: JSONValue) {
        message = value["message"]?.stringValue ?? value.jsonString
        code = value["extensions"]?["code"]?.stringValue
        data = value["extensions"]?["data"]
        rootKey = value["path"]?[0]?.stringValue
    }

    init(message: String, code: String?) {
        self.message = message
        self.code = code
    }

    var description: String { code.map { "\($0): \(message)" } ?? message }
}

/// A GraphQL answer: `data`, `errors` and the top-level `extensions` (`merged`, `baseSync`).
struct GraphQLResponse: Sendable {
    var data: JSONValue?
    var errors: [GraphQLFailure]
    var extensions: JSONValue?
    /// The lists a request asked to defer (``GraphQLHTTP/execute(_:variables:token:deferring:)``),
    /// still as JSON text, in document order; `null` stands in their place in `data`.
    var deferred: [ArraySlice<UInt8>] = []

    init(_ body: JSONValue, deferred: [ArraySlice<UInt8>] = []) {
        data = body["data"]
        errors = body["errors"]?.arrayValue?.map(GraphQLFailure.init) ?? []
        extensions = body["extensions"]
        self.deferred = deferred
    }

    /// The first error's code, when there are errors.
    var firstError: GraphQLFailure? { errors.first }

    /// The error of the root field answered under `key`, else the request's own error.
    func error(at key: String) -> GraphQLFailure? {
        errors.first { $0.rootKey == key } ?? errors.first { $0.rootKey == nil }
    }
}

/// `POST /graphql` with a bearer token.
struct GraphQLHTTP: Sendable {
    let http: HTTPTransport

    /// Sends `document`; with `deferring`, the lists held by fields of that name are left unparsed
    /// in ``GraphQLResponse/deferred`` (a sync page's `items`, decoded while the next page is
    /// asked for).
    func execute(
        _ document: String, variables: [String: JSONValue], token: String, deferring key: String? = nil
    ) async throws(TransportError) -> GraphQLResponse {
        let body: JSONValue = ["query": .string(document), "variables": .object(variables)]
        let reply = try await http.exchange(
            .POST, "graphql", body: body, headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/json")])
        let parsed: (value: JSONValue, deferred: [ArraySlice<UInt8>])?
        if let key {
            parsed = try? JSONParser.parse(Array(reply.body.readableBytesView), deferring: key)
        } else {
            parsed = reply.json.map { ($0, []) }
        }
        guard let parsed, case .object = parsed.value else {
            throw .rejected(status: reply.status, body: reply.text)
        }
        let response = GraphQLResponse(parsed.value, deferred: parsed.deferred)
        if reply.status != 200, response.errors.isEmpty { throw .rejected(status: reply.status, body: reply.text) }
        // A token that expired between the check and the request reads as 401 above; an
        // answer with UNAUTHENTICATED in it is the same thing.
        if let error = response.errors.first(where: { $0.code == "UNAUTHENTICATED" }) {
            throw .unauthenticated(error.message)
        }
        return response
    }
}
