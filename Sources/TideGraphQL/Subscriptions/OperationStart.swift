/// What a graphql-transport-ws `subscribe` message starts, as ``GraphQLEngine/prepare(_:context:)``
/// decides it.
public enum OperationStart: Sendable {
    /// A subscription: render each change-feed event with ``EventSubscription/payload(for:)``.
    case stream(EventSubscription)
    /// A query or mutation: run it with ``GraphQLEngine/execute(_:context:)`` (one result).
    case single
    /// Refused before anything ran (parse, validation, variables, arguments, access): the
    /// GraphQL errors as a JSON array, the payload of an `error` message.
    case rejected(errors: [UInt8])
}
