import Foundation
import TideModel
import TideSchema
import TideStore

/// `searchXs` (ARCHITECTURE §10.1): the arguments turned into a ``SearchQuery`` with the
/// `@auth` rules pushed in exactly as `listXs` pushes them (read requirement AND-ed into the
/// filter, comparisons on protected fields guarded, sort keys and aggregates of protected
/// fields NULL where hidden), run by the wired ``SearchService``.
struct SearchResolver {
    let service: any SearchService
    let ranked: RankedResults
    let tokens: PageTokenCodec

    static let frozenOrder = "ranked"
    static let fieldOrder = "search"

    func resolve(
        _ operation: GeneratedOperation, arguments: [String: JSONValue], access: Authorization, limit: Int, selected: [String]
    ) throws(GraphQLErrorBody) -> OutputValue {
        let model = access.policy.model
        var query = SearchQuery(limit: limit, countTotal: selected.isEmpty || selected.contains("total"))
        var parts: [SearchFilter] = []
        if let filter = arguments["filter"], !filter.isNull { parts.append(try searchFilter(filter, access)) }
        if let requirement = try access.requirement(.read) { parts.append(.compare(requirement)) }
        query.filter = parts.isEmpty ? nil : parts.count == 1 ? parts[0] : .and(parts)
        for name in access.policy.fieldsWithRules {
            switch access.policy.fieldDecision(name, .read, for: access.principal) {
            case .all: break
            case .none: query.fieldGuards[name] = .nothing
            case .matching(let requirement): query.fieldGuards[name] = requirement
            }
        }
        if case .array(let sorts)? = arguments["sort"] {
            for case .object(let sort) in sorts {
                guard case .string(let field)? = sort["field"] else { continue }
                query.sort.append(SearchSort(field: field, descending: sort["direction"] == .string("desc")))
            }
        }
        if case .array(let aggregates)? = arguments["aggregates"] {
            for case .object(let aggregate) in aggregates {
                guard case .string(let name)? = aggregate["name"], case .string(let type)? = aggregate["type"],
                    let kind = SearchAggregate.Kind(rawValue: type), case .string(let field)? = aggregate["field"]
                else { continue }
                query.aggregates.append(SearchAggregate(name: name, kind: kind, field: field))
            }
        }
        if case .int(let from)? = arguments["from"] {
            guard from >= 0 else { throw GraphQLErrorBody(message: "from must not be negative.", code: .badUserInput) }
            query.offset = Int(from)
        }

        var frozen: (handle: String, offset: Int)?
        if case .string(let token)? = arguments["nextToken"] {
            guard query.offset == 0 else {
                throw GraphQLErrorBody(message: "Send either from or nextToken, not both.", code: .badUserInput)
            }
            guard let cursor = tokens.decode(token, operation: operation.fieldName) else {
                throw GraphQLErrorBody(message: "Invalid nextToken.", code: .badUserInput)
            }
            if cursor.order == Self.frozenOrder, case .int(let offset)? = cursor.values.first {
                frozen = (cursor.id, Int(offset))
            } else if cursor.order == Self.fieldOrder {
                query.after = SearchCursor(values: cursor.values, id: cursor.id)
            } else {
                throw GraphQLErrorBody(message: "Invalid nextToken.", code: .badUserInput)
            }
        }

        var records: [Record] = []
        var nextToken: String?
        var summary: SearchPage?
        if let frozen {
            // Walk the frozen order, topping the page up where records dropped out since.
            var offset = frozen.offset
            var remaining = 0
            repeat {
                guard let chunk = ranked.ids(frozen.handle, from: offset, count: limit - records.count) else {
                    throw GraphQLErrorBody(
                        message: "The nextToken expired (ranked results are kept for 5 minutes); search again.", code: .badUserInput)
                }
                query.ids = chunk.ids
                let page = try call(model.name, query)
                if summary == nil { summary = page }
                query.countTotal = false
                query.aggregates = []
                records += page.records
                offset += chunk.ids.count
                remaining = chunk.remaining
            } while records.count < limit && remaining > 0
            if remaining > 0 {
                nextToken = tokens.encode(
                    Cursor(order: Self.frozenOrder, values: [.int(Int64(offset))], id: frozen.handle), operation: operation.fieldName)
            }
        } else {
            let page = try call(model.name, query)
            summary = page
            records = page.records
            if let next = page.next {
                nextToken = tokens.encode(Cursor(order: Self.fieldOrder, values: next.values, id: next.id), operation: operation.fieldName)
            } else if !page.rankedRest.isEmpty {
                let handle = ranked.keep(page.rankedRest)
                nextToken = tokens.encode(Cursor(order: Self.frozenOrder, values: [.int(0)], id: handle), operation: operation.fieldName)
            }
        }
        let redaction = access.redaction()
        return .connection(
            .init(
                items: records.map(redaction.apply), nextToken: nextToken, total: summary?.total,
                aggregateItems: (summary?.aggregates ?? []).map { Self.aggregateItem($0.name, $0.result) }))
    }

    private func call(_ model: String, _ query: SearchQuery) throws(GraphQLErrorBody) -> SearchPage {
        do {
            return try service.search(model: model, query: query, now: Date())
        } catch {
            throw Resolvers.map(error, model: nil)
        }
    }

    /// `{name, result}` with the result as a member of `SearchableAggregateGenericResult`.
    static func aggregateItem(_ name: String, _ result: AggregateResult) -> OutputValue {
        let value: JSONValue
        switch result {
        case .value(nil): value = .null
        case .value(let number?): value = ["__member": "SearchableAggregateScalarResult", "value": .double(number)]
        case .buckets(let buckets):
            value = [
                "__member": "SearchableAggregateBucketResult",
                "buckets": .array(buckets.map { ["key": .string($0.key), "doc_count": .int(Int64($0.count))] }),
            ]
        }
        return .json(["name": .string(name), "result": value])
    }

    // MARK: - Filters

    /// `SearchableXFilterInput` → ``SearchFilter``, guarded like list filters: a comparison or
    /// text predicate on a field the caller may not read is false where the field is hidden.
    func searchFilter(_ value: JSONValue, _ access: Authorization) throws(GraphQLErrorBody) -> SearchFilter {
        guard case .object(let object) = value else { throw bad("a filter must be an object") }
        var parts: [SearchFilter] = []
        for key in object.keys.sorted() {
            let value = object[key]!
            if value.isNull { continue }
            switch key {
            case "and", "or":
                guard case .array(let items) = value else { throw bad("'\(key)' takes a list of filters") }
                var subs: [SearchFilter] = []
                for item in items where !item.isNull { subs.append(try searchFilter(item, access)) }
                parts.append(key == "and" ? .and(subs) : .or(subs))
            case "not":
                parts.append(.not(try searchFilter(value, access)))
            default:
                guard case .object(let ops) = value else { throw bad("field '\(key)' takes an object of operators") }
                for op in ops.keys.sorted() where !(ops[op]!.isNull) {
                    parts.append(guarded(key, try predicate(key, op, ops[op]!), access))
                }
            }
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private func guarded(_ field: String, _ filter: SearchFilter, _ access: Authorization) -> SearchFilter {
        guard case .text = filter else {
            if case .compare(let expression) = filter { return .compare(access.policy.guarding(expression, for: access.principal)) }
            return filter
        }
        guard access.policy.hasOwnRules(field) else { return filter }
        switch access.policy.fieldDecision(field, .read, for: access.principal) {
        case .all: return filter
        case .none: return .compare(.nothing)
        case .matching(let requirement): return .and([.compare(requirement), filter])
        }
    }

    private func predicate(_ field: String, _ op: String, _ operand: JSONValue) throws(GraphQLErrorBody) -> SearchFilter {
        func text() throws(GraphQLErrorBody) -> String {
            guard case .string(let s) = operand else { throw bad("\(field).\(op) takes a string") }
            return s
        }
        do {
            switch op {
            case "eq": return .compare(.field(field, .eq(operand)))
            case "ne": return .compare(.field(field, .ne(operand)))
            case "gt": return .compare(.field(field, .gt(operand)))
            case "gte": return .compare(.field(field, .ge(operand)))
            case "lt": return .compare(.field(field, .lt(operand)))
            case "lte": return .compare(.field(field, .le(operand)))
            case "exists":
                guard case .bool(let exists) = operand else { throw bad("\(field).exists takes a Boolean") }
                return .compare(.field(field, .attributeExists(exists)))
            case "range":
                guard case .array(let bounds) = operand, bounds.count == 2 else { throw bad("\(field).range takes exactly two values") }
                return .compare(.field(field, .between(bounds[0], bounds[1])))
            case "match": return .text(field: field, .anyWord(try SearchText.words(try text(), operator: "\(field).match")))
            case "matchPhrase": return .text(field: field, .phrase(try SearchText.words(try text(), operator: "\(field).matchPhrase")))
            case "matchPhrasePrefix":
                return .text(field: field, .phrasePrefix(try SearchText.words(try text(), operator: "\(field).matchPhrasePrefix")))
            case "wildcard": return .text(field: field, .prefix(try SearchText.prefix(try text())))
            default: throw bad("unknown operator \(field).\(op)")
            }
        } catch let refusal as SearchText.Refusal {
            throw bad(refusal.reason)
        } catch let error as GraphQLErrorBody {
            throw error
        } catch {
            throw bad("\(error)")
        }
    }

    private func bad(_ reason: String) -> GraphQLErrorBody {
        GraphQLErrorBody(message: "Invalid filter: \(reason)", code: .badUserInput)
    }
}
