import TideModel

/// The checks an update or delete must pass against the stored record, evaluated atomically
/// inside the write transaction in this order: `authorization` (else `forbidden`),
/// `expectedVersion` (else `versionConflict`), `condition` (else `conditionFailed`).
public struct WriteGuards: Sendable, Hashable {
    /// The `_version` the caller last read; nil skips the check.
    public var expectedVersion: Int64?
    /// The client's `condition` input.
    public var condition: FilterExpression?
    /// The `@auth` requirement on the stored record (from `AccessPolicy`); nil: unrestricted.
    public var authorization: FilterExpression?

    public init(expectedVersion: Int64? = nil, condition: FilterExpression? = nil, authorization: FilterExpression? = nil) {
        self.expectedVersion = expectedVersion
        self.condition = condition
        self.authorization = authorization
    }
}
