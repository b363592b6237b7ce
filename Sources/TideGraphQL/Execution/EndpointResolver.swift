import Logging
import TideModel
import TideSchema
import TideStore

/// The notification operations (ARCHITECTURE §10.2) over an ``EndpointDirectory``: each acts
/// for the signed-in user, on that user's endpoints and opt-outs only.
struct EndpointResolver: Sendable {
    let directory: any EndpointDirectory
    let logger: Logger

    func resolve(
        _ operation: NotificationOperation, arguments: [String: JSONValue], principal: Principal
    ) throws(GraphQLErrorBody) -> Resolution {
        guard let user = principal.user else {
            throw GraphQLErrorBody(
                message: "\(operation.rawValue) acts for a signed-in user: send a user's access token.", code: .unauthenticated)
        }
        switch operation {
        case .registerEndpoint:
            guard case .object(let input)? = arguments["input"] else {
                throw GraphQLErrorBody(message: "input is required.", code: .badUserInput)
            }
            let registration = EndpointRegistration(
                channel: input["channel"]?.stringValue ?? "", address: input["address"]?.stringValue ?? "",
                platform: input["platform"]?.stringValue, timeZone: input["timeZone"]?.stringValue)
            let endpoint = try call { () throws(EndpointDirectoryError) in try directory.register(registration, userId: user.id) }
            return Resolution(.json(Self.object(endpoint)))
        case .removeEndpoint:
            let id = arguments["id"]?.stringValue ?? ""
            let endpoint = try call { () throws(EndpointDirectoryError) in try directory.remove(id: id, userId: user.id) }
            return Resolution(.json(Self.object(endpoint)))
        case .myEndpoints:
            let endpoints = try call { () throws(EndpointDirectoryError) in try directory.endpoints(userId: user.id) }
            return Resolution(.json(.array(endpoints.map(Self.object))))
        case .setNotificationOptOut:
            try call { () throws(EndpointDirectoryError) in
                try directory.setOptOut(
                    userId: user.id, channel: arguments["channel"]?.stringValue ?? "", topic: arguments["topic"]?.stringValue,
                    optedOut: arguments["optedOut"] == .bool(true))
            }
            return Resolution(.json(.bool(true)))
        }
    }

    private func call<T>(_ body: () throws(EndpointDirectoryError) -> T) throws(GraphQLErrorBody) -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .invalidInput(let field, let reason):
                throw GraphQLErrorBody(
                    message: "Invalid \(field): \(reason).", code: .badUserInput, extensions: [("field", .string(field))])
            case .notFound(let id):
                throw GraphQLErrorBody(message: "No endpoint with id \"\(id)\".", code: .notFound)
            case .limitExceeded(let reason):
                throw GraphQLErrorBody(message: reason, code: .limitExceeded)
            case .storage(let reason):
                // Details stay in the log; the client only learns that it was our fault.
                logger.error("notification store failure", metadata: ["error": "\(reason)"])
                throw GraphQLErrorBody(message: "Internal server error.", code: .internalError)
            }
        }
    }

    /// The GraphQL `Endpoint`.
    static func object(_ endpoint: RegisteredEndpoint) -> JSONValue {
        .object([
            "id": .string(endpoint.id), "channel": .string(endpoint.channel), "address": .string(endpoint.address),
            "platform": endpoint.platform.map(JSONValue.string) ?? .null,
            "timeZone": endpoint.timeZone.map(JSONValue.string) ?? .null, "enabled": .bool(endpoint.enabled),
            "disabledReason": endpoint.disabledReason.map(JSONValue.string) ?? .null,
            "createdAt": .string(Timestamps.iso8601(milliseconds: endpoint.createdAt)),
        ])
    }
}
