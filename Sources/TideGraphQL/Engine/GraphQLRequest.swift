import TideModel

/// A GraphQL-over-HTTP request after the transport has decoded it.
public struct GraphQLRequest: Sendable {
    public var query: String
    public var operationName: String?
    public var variables: [String: JSONValue]

    public init(query: String, operationName: String? = nil, variables: [String: JSONValue] = [:]) {
        self.query = query
        self.operationName = operationName
        self.variables = variables
    }

    public enum DecodingError: Error, Sendable, Equatable {
        case malformedJSON(String)
        case invalidShape(String)
    }

    /// Decodes a `POST` body: `{"query": …, "operationName": …, "variables": {…}}`.
    public init(jsonBody bytes: some Collection<UInt8>) throws(DecodingError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw .malformedJSON(error.description)
        }
        guard case .object(let object) = value else { throw .invalidShape("the request body must be a JSON object") }
        try self.init(parameters: object)
    }

    /// Decodes the request parameters from a JSON object (POST body) or query-string values
    /// already parsed into JSON (`variables` given as a JSON string in a GET URL).
    public init(parameters object: [String: JSONValue]) throws(DecodingError) {
        guard case .string(let query)? = object["query"] else {
            throw .invalidShape("the request must contain a \"query\" string")
        }
        var operationName: String?
        switch object["operationName"] {
        case nil, .null?: operationName = nil
        case .string(let name)?: operationName = name
        default: throw .invalidShape("\"operationName\" must be a string")
        }
        var variables: [String: JSONValue] = [:]
        switch object["variables"] {
        case nil, .null?: break
        case .object(let v)?: variables = v
        default: throw .invalidShape("\"variables\" must be an object")
        }
        self.init(query: query, operationName: operationName, variables: variables)
    }
}

/// The caller of a request, as the transport established it.
public struct ExecutionContext: Sendable {
    /// Whose rights the `@auth` rules check; also the change-feed actor of writes.
    public var principal: Principal
    /// `GET` requests may only run queries (GraphQL over HTTP).
    public var allowsMutations: Bool

    public init(principal: Principal = .anonymous, allowsMutations: Bool = true) {
        self.principal = principal
        self.allowsMutations = allowsMutations
    }
}

/// The serialized response and what the transport needs to pick a status code.
public struct GraphQLResponse: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Execution ran (data present, possibly with field errors).
        case executed(hadErrors: Bool)
        /// Parse, validation or variable errors: no execution happened.
        case requestError
        /// A mutation sent with GET.
        case mutationNotAllowed
    }

    /// `{"data": …, "errors": […]}` as JSON bytes.
    public var body: [UInt8]
    public var outcome: Outcome
    /// A low-cardinality label for metrics: the root field(s), or `invalid`/`introspection`.
    public var operationLabel: String
}
