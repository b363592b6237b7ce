/// The limits SNS documents for filter policies ("Filter policy constraints in Amazon SNS").
public enum PolicyLimits {
    /// Keys a policy may test; in a nested (message-body) policy only leaf keys count.
    public static let maxKeys = 5
    /// The product of the number of values of each key (times its nesting depth), summed over
    /// the branches of `$or`.
    public static let maxCombinations = 150
    /// Numbers in a policy lie within ±10⁹ ...
    public static let numberMagnitude = 1_000_000_000.0
    /// ... and are compared with five digits after the decimal point.
    public static let decimalDigits = 5
    /// The policy's JSON text, 256 KB.
    public static let maxPolicyBytes = 256 * 1024

    /// A number as the comparisons see it: rounded to five decimal places.
    static func quantize(_ value: Double) -> Double {
        (value * 100_000).rounded() / 100_000
    }
}
