import TideModel

/// Who a request or a socket counts against, for the rate limits and the per-caller connection
/// limit: the one definition, used for `/graphql`, `/auth/*` and WebSocket operations alike.
///
/// | caller | key |
/// | --- | --- |
/// | a signed-in user | `user:<id>` (every device of the user shares the budget) |
/// | an API key | `apikey:<id>` |
/// | no credentials | `ip:<client address>` (``ClientAddress``: the peer, or the proxy's `X-Forwarded-For`) |
///
/// `/auth/*` (sign-up, login, refresh) is limited per address whatever credentials a request
/// carries: its callers are not signed in yet, and login throttling must not be escaped by
/// sending someone's token along.
enum CallerKey {
    static func of(_ principal: Principal, clientAddress: String) -> String {
        principal == .anonymous ? "ip:" + clientAddress : principal.actor
    }
}
