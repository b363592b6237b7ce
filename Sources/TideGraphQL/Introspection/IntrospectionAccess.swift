import TideModel

/// Who may run introspection (`__schema`, `__type`): the schema describes every model, field and
/// argument of the API, also those a caller has no rights to.
///
/// `__typename` is not introspection: it is answered whatever the setting.
public enum IntrospectionAccess: String, Sendable, CaseIterable {
    /// Anyone, with or without credentials.
    case `public`
    /// Callers with credentials: a user's access token or an API key (as AppSync requires).
    case authenticated
    /// Nobody: the schema is published some other way (`GET /schema`, the SDL file).
    case off

    /// The error that refuses `principal`'s introspection; nil when it may run.
    func refusal(for principal: Principal) -> GraphQLFailure? {
        switch self {
        case .public:
            return nil
        case .authenticated:
            guard principal == .anonymous else { return nil }
            return .request(
                message: "Introspection requires credentials: send an access token (Authorization: Bearer …) or an API key (x-api-key).",
                code: .unauthenticated)
        case .off:
            return .request(message: "Introspection is turned off on this server.", code: .introspectionDisabled)
        }
    }
}
