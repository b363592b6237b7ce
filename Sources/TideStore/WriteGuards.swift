import TideModel

/// The checks an update or delete must pass against the stored record, evaluated atomically
/// inside the write transaction in this order: `authorization` (else `forbidden`),
/// `expectedVersion` (else `versionConflict`, or a merge, see `conflictStrategy`), `condition`
/// (else `conditionFailed`).
public struct WriteGuards: Sendable, Hashable {
    /// The `_version` the caller last read; nil skips the check.
    public var expectedVersion: Int64?
    /// The client's `condition` input.
    public var condition: FilterExpression?
    /// The `@auth` requirement on the stored record (from `AccessPolicy`); nil: unrestricted.
    public var authorization: FilterExpression?
    /// What a stale `expectedVersion` does to an update: `.optimisticConcurrency` (the default)
    /// throws `versionConflict`; `.automerge` merges the update into the stored record with the
    /// model's `AutoMerge` rules, after `authorization` and `condition` held on that record.
    /// A delete has nothing to merge: a stale delete always throws `versionConflict`.
    public var conflictStrategy: ConflictStrategy

    public init(
        expectedVersion: Int64? = nil, condition: FilterExpression? = nil, authorization: FilterExpression? = nil,
        conflictStrategy: ConflictStrategy = .optimisticConcurrency
    ) {
        self.expectedVersion = expectedVersion
        self.condition = condition
        self.authorization = authorization
        self.conflictStrategy = conflictStrategy
    }
}
