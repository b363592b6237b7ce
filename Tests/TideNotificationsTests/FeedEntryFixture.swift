import TideModel
import TideStore

enum FeedEntryFixture {
    static func entry(operation: FeedEntry.Operation, reason: String?) -> FeedEntry {
        FeedEntry(
            seq: 1, model: "Comment", id: "c1", operation: operation, version: 2,
            oldImage: operation == .insert ? nil : ["content": "before"],
            newImage: ["content": "after"], actor: reason == "ttl" ? "system:ttl" : "u1", timestamp: 5, reason: reason)
    }
}
