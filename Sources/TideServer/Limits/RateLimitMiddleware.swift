import Hummingbird

/// Limits requests per client address before the route does any work (login throttling on
/// `/auth/*`): over the limit, 429 with `Retry-After`.
struct RateLimitMiddleware: RouterMiddleware {
    let limiter: RateLimiter
    let trustProxy: Bool
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: TidewaterRequestContext,
        next: (Request, TidewaterRequestContext) async throws -> Response
    ) async throws -> Response {
        if let wait = limiter.acquire("ip:" + context.clientAddress(request, trustProxy: trustProxy)) {
            metrics.recordRateLimited(route: "auth")
            return ProblemResponse.make(
                .tooManyRequests, detail: "Too many requests from this address; retry later.",
                headers: [.retryAfter: Self.retryAfter(wait)])
        }
        return try await next(request, context)
    }

    /// Whole seconds, rounded up, at least 1 (RFC 9110 delay-seconds).
    static func retryAfter(_ wait: Duration) -> String {
        let (seconds, attoseconds) = wait.components
        return String(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }
}
