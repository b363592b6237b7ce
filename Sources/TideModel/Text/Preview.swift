extension String {
    /// The string cut to at most `limit` UTF-8 bytes, on a character boundary, with "…" when
    /// something was cut.
    ///
    /// Error messages quote what a request sent (a value, a name), and a request can be as large
    /// as the body limit: messages quote a preview instead, so that a refusal stays small and
    /// costs nothing to build.
    ///
    /// ```swift
    /// String(repeating: "x", count: 1000).preview(limit: 8)  // "xxxxxxxx…"
    /// ```
    public func preview(limit: Int) -> String {
        guard utf8.count > limit else { return self }
        var end = startIndex
        var bytes = 0
        for index in indices {
            let next = self[index].utf8.count
            if bytes + next > limit { break }
            bytes += next
            end = self.index(after: index)
        }
        return self[..<end] + "…"
    }
}

extension JSONValue {
    /// How many bytes of a value an error message quotes.
    public static let previewLimit = 120

    /// Compact JSON text cut to about ``previewLimit`` bytes, for error messages (see
    /// ``Swift/String/preview(limit:)``); building it stops soon after the limit, however large
    /// or deep the value.
    public var preview: String {
        var writer = JSONWriter()
        writer.write(self, stoppingAfter: Self.previewLimit)
        return String(decoding: writer.bytes, as: UTF8.self).preview(limit: Self.previewLimit)
    }
}
