/// A credential read from the environment or a file. Its text never appears in descriptions or
/// logs: `"\(secret)"` prints `<secret>`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The credential itself, for the provider that sends it.
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
}
