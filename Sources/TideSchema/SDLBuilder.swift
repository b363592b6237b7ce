import TideModel

/// Assembles the generated SDL's definitions (see `SDLGenerator`).
struct SDLBuilder {
    let schema: AppSchema
    /// Adds the notification operations and their types (ARCHITECTURE §10.2).
    let notifications: Bool
    private var output: [SDLDeclaration] = []
    /// Shared definitions requested so far; emitted once, at the end, in a fixed order.
    private var shared: Set<String> = []
    /// Enums whose `Model<Enum>ListInput` is used.
    private var enumListInputs: Set<String> = []

    init(schema: AppSchema, notifications: Bool = false) {
        self.schema = schema
        self.notifications = notifications
    }

    mutating func build() -> [SDLDeclaration] {
        for scalar in Scalar.allCases where scalar.isCustom {
            emit(scalar.rawValue, SDLText.scalar(scalar.rawValue, description: GeneratedInputs.scalarDescriptions[scalar] ?? scalar.rawValue))
        }
        for enumType in schema.enums {
            emit(enumType.name, SDLText.enumeration(enumType.name, enumType.values), origin: enumType.name, declared: true)
        }
        for embedded in schema.embeddedTypes {
            let fields = embedded.fields.map { SDLField($0.name, $0.type.description) }
            emit(embedded.name, SDLText.object(embedded.name, fields), origin: embedded.name, declared: true)
        }
        for model in schema.models { emitOutputTypes(model) }
        if notifications {
            for declaration in NotificationSDL.declarations { emit(declaration.name, declaration.text) }
        }
        emitRootTypes()
        for model in schema.models { emitInputs(model) }
        for embedded in schema.embeddedTypes {
            let fields = embedded.fields.map { SDLField($0.name, Self.inputType($0.type)) }
            emit("\(embedded.name)Input", SDLText.input("\(embedded.name)Input", fields), origin: embedded.name)
        }
        for enumType in schema.enums {
            emit("Model\(enumType.name)Input", GeneratedInputs.enumInput(enumType.name), origin: enumType.name)
            if enumListInputs.contains(enumType.name) {
                emit("Model\(enumType.name)ListInput", GeneratedInputs.enumListInput(enumType.name), origin: enumType.name)
            }
        }
        emitShared()
        return output
    }

    private mutating func emit(_ name: String, _ text: String, origin: String? = nil, declared: Bool = false) {
        output.append(SDLDeclaration(name: name, origin: origin, isDeclared: declared, text: text))
    }

    // MARK: - Output types

    private mutating func emitOutputTypes(_ model: ModelType) {
        let names = ModelNames(model)
        var fields = model.fields.map { SDLField($0.name, $0.type.description) }
        fields += timestampFields(model).map { SDLField($0, "AWSDateTime!") }
        fields += [
            SDLField("_version", "Int!"), SDLField("_deleted", "Boolean"), SDLField("_lastChangedAt", "AWSTimestamp!"),
        ]
        emit(model.name, SDLText.object(model.name, fields), origin: model.name, declared: true)

        if hasConnectionQueries(model) {
            emit(
                names.connection,
                SDLText.object(
                    names.connection,
                    [
                        SDLField("items", "[\(model.name)]!"), SDLField("nextToken", "String"),
                        SDLField("startedAt", "AWSTimestamp"),
                    ]),
                origin: model.name)
        }
        if model.searchableFields != nil {
            emit(
                names.searchableConnection,
                SDLText.object(
                    names.searchableConnection,
                    [
                        SDLField("items", "[\(model.name)]!"), SDLField("nextToken", "String"), SDLField("total", "Int"),
                        SDLField("aggregateItems", "[SearchableAggregateResult]!"),
                    ]),
                origin: model.name)
        }
    }

    private func timestampFields(_ model: ModelType) -> [String] {
        [model.createdAtField, model.updatedAtField].compactMap { $0 }
    }

    private func hasConnectionQueries(_ model: ModelType) -> Bool {
        model.operations.list || model.operations.sync || model.indexes.contains { $0.queryField != nil }
    }

    // MARK: - Root types

    private mutating func emitRootTypes() {
        var queries: [SDLField] = []
        var mutations: [SDLField] = []
        var subscriptions: [SDLField] = []
        let operations = schema.generatedOperations + (notifications ? GeneratedOperation.notificationOperations : [])
        for operation in operations {
            let field: SDLField
            if case .notification(let notification) = operation.kind {
                field = NotificationSDL.rootField(notification)
            } else if let model = schema.model(named: operation.model) {
                field = rootField(operation, model: model)
            } else {
                continue
            }
            switch operation.rootType {
            case "Query": queries.append(field)
            case "Mutation": mutations.append(field)
            default: subscriptions.append(field)
            }
        }
        if !queries.isEmpty { emit("Query", SDLText.object("Query", queries)) }
        if !mutations.isEmpty { emit("Mutation", SDLText.object("Mutation", mutations)) }
        if !subscriptions.isEmpty { emit("Subscription", SDLText.object("Subscription", subscriptions)) }
    }

    private mutating func rootField(_ operation: GeneratedOperation, model: ModelType) -> SDLField {
        let names = ModelNames(model)
        let x = model.name
        let xs = model.pluralName
        let page: [(name: String, type: String)] = [("limit", "Int"), ("nextToken", "String")]
        switch operation.kind {
        case .get:
            return SDLField(
                operation.fieldName, x, arguments: [("id", "ID!")],
                description: "Fetches one \(x) by id; null when there is none or it was deleted.")
        case .list:
            return SDLField(
                operation.fieldName, names.connection, arguments: [("filter", names.filterInput)] + page,
                description: "Lists \(xs), filtered and paginated; deleted ones are left out.")
        case .sync:
            return SDLField(
                operation.fieldName, names.connection,
                arguments: [("filter", names.filterInput)] + page + [("lastSync", "AWSTimestamp")],
                description:
                    "Delta sync: the \(xs) changed since lastSync (epoch milliseconds), deleted ones included; without lastSync, all of them.")
        case .indexQuery(let indexName):
            let index = model.indexes.first { $0.name == indexName }
            var arguments: [(name: String, type: String)] = []
            if let index {
                let hashType = model.field(named: index.field)?.type.base.name ?? "String"
                arguments.append((index.field, "\(hashType)!"))
                if let sortArgument = ModelNames.sortKeyArgument(index), let sortType = sortKeyConditionType(index, model: model) {
                    arguments.append((sortArgument, sortType))
                }
            }
            shared.insert("ModelSortDirection")
            arguments += [("sortDirection", "ModelSortDirection"), ("filter", names.filterInput)] + page
            let sortNote = index.map { $0.sortKeyFields.isEmpty ? "" : " in \($0.sortKeyFields.joined(separator: ", ")) order" } ?? ""
            return SDLField(
                operation.fieldName, names.connection, arguments: arguments,
                description: "Lists the \(xs) with a given \(index?.field ?? "key") (index \(indexName))\(sortNote).")
        case .search:
            return SDLField(
                operation.fieldName, names.searchableConnection,
                arguments: [("filter", names.searchableFilterInput), ("sort", "[\(names.searchableSortInput)]")] + page
                    + [("from", "Int"), ("aggregates", "[\(names.searchableAggregationInput)]"), ("minSeq", "Int")],
                description:
                    "Full-text search over \(xs) (BM25 relevance order for match* filters without sort). minSeq: wait (bounded) until the index has applied this change-feed position, e.g. a mutation's extensions.seq.")
        case .create:
            return SDLField(
                operation.fieldName, x, arguments: [("input", "\(names.createInput)!"), ("condition", names.conditionInput)],
                description: "Creates a \(x).")
        case .update:
            return SDLField(
                operation.fieldName, x, arguments: [("input", "\(names.updateInput)!"), ("condition", names.conditionInput)],
                description: "Updates a \(x); send the _version you last saw.")
        case .delete:
            return SDLField(
                operation.fieldName, x, arguments: [("input", "\(names.deleteInput)!"), ("condition", names.conditionInput)],
                description: "Deletes a \(x), leaving a tombstone for delta sync; send the _version you last saw.")
        case .notification(let notification):
            return NotificationSDL.rootField(notification)
        case .onCreate, .onUpdate, .onDelete:
            let event = operation.kind == .onCreate ? "created" : operation.kind == .onUpdate ? "updated" : "deleted"
            return SDLField(
                operation.fieldName, x, arguments: [("filter", names.subscriptionFilterInput)] + ownerArguments(model),
                description: "Each \(x) \(event) that matches the filter and that the caller may read.")
        }
    }

    /// Amplify adds a `String` argument per owner rule that grants read to subscriptions (its
    /// clients send `owner:`); Tidewater accepts it and filters by it.
    private func ownerArguments(_ model: ModelType) -> [(name: String, type: String)] {
        var names: [String] = []
        for rule in model.authRules where rule.allow == .owner && rule.operations.contains(.read) {
            if let field = rule.ownerField, field != "filter", !names.contains(field) { names.append(field) }
        }
        return names.map { ($0, "String") }
    }

    private mutating func sortKeyConditionType(_ index: Index, model: ModelType) -> String? {
        if index.sortKeyFields.count > 1 { return ModelNames(model).compositeKeyConditionInput(index) }
        guard let field = index.sortKeyFields.first, let type = fieldType(field, in: model),
            let input = GeneratedInputs.keyConditionInput(type)
        else { return nil }
        shared.insert(input)
        return input
    }

    /// A field's type, including the managed timestamps.
    private func fieldType(_ name: String, in model: ModelType) -> FieldType? {
        if let field = model.field(named: name) { return field.type }
        if name == model.createdAtField || name == model.updatedAtField {
            return FieldType(base: .scalar(.awsDateTime), isRequired: true)
        }
        return nil
    }

    // MARK: - Inputs per model

    private mutating func emitInputs(_ model: ModelType) {
        let names = ModelNames(model)
        let ops = model.operations
        let dataFields = model.fields.filter { $0.name != "id" }
        let versionField = SDLField("_version", "Int")

        if ops.create {
            let fields = [SDLField("id", "ID")] + dataFields.map { SDLField($0.name, Self.inputType($0.type)) } + [versionField]
            emit(names.createInput, SDLText.input(names.createInput, fields), origin: model.name)
        }
        if ops.update {
            let fields =
                [SDLField("id", "ID!")]
                + dataFields.map { SDLField($0.name, Self.inputType($0.type, optional: true)) } + [versionField]
            emit(names.updateInput, SDLText.input(names.updateInput, fields), origin: model.name)
        }
        if ops.delete {
            emit(names.deleteInput, SDLText.input(names.deleteInput, [SDLField("id", "ID!"), versionField]), origin: model.name)
        }
        if hasConnectionQueries(model) {
            emit(names.filterInput, SDLText.input(names.filterInput, filterFields(model, input: names.filterInput, includeID: true)), origin: model.name)
        }
        if ops.create || ops.update || ops.delete {
            emit(
                names.conditionInput,
                SDLText.input(names.conditionInput, filterFields(model, input: names.conditionInput, includeID: false)),
                origin: model.name)
        }
        if ops.onCreate || ops.onUpdate || ops.onDelete {
            emit(names.subscriptionFilterInput, SDLText.input(names.subscriptionFilterInput, subscriptionFilterFields(model)), origin: model.name)
        }
        for index in model.indexes where index.queryField != nil && index.sortKeyFields.count > 1 {
            emitCompositeKeyInputs(index, model: model)
        }
        if model.searchableFields != nil { emitSearchInputs(model) }
    }

    /// `ModelXFilterInput` / `ModelXConditionInput`: the filterable fields, the timestamps, the
    /// combinators and `_deleted` (Amplify's DataStore-enabled shape; conditions leave out `id`).
    private mutating func filterFields(_ model: ModelType, input: String, includeID: Bool) -> [SDLField] {
        var fields: [SDLField] = []
        for field in model.fields where includeID || field.name != "id" {
            if field.isEncrypted {
                // Ciphertext compares as nothing useful, and a broken client would send plaintext
                // here: only presence. Equality goes through the blind index.
                shared.insert(GeneratedInputs.encryptedFilterInputName)
                fields.append(SDLField(field.name, GeneratedInputs.encryptedFilterInputName))
                continue
            }
            guard let type = GeneratedInputs.filterInput(field.type) else { continue }
            if field.type.isList, case .enumeration(let name) = field.type.base { enumListInputs.insert(name) }
            fields.append(SDLField(field.name, type))
        }
        fields += timestampFields(model).map { SDLField($0, "ModelStringInput") }
        fields += [
            SDLField("and", "[\(input)]"), SDLField("or", "[\(input)]"), SDLField("not", input),
            SDLField("_deleted", "ModelBooleanInput"),
        ]
        return fields
    }

    /// `ModelSubscriptionXFilterInput`: as Amplify, plus `not` (one evaluator serves every filter).
    private func subscriptionFilterFields(_ model: ModelType) -> [SDLField] {
        let input = ModelNames(model).subscriptionFilterInput
        var fields: [SDLField] = []
        // Encrypted fields are left out (subscription inputs have no attributeExists); their blind
        // indexes are ordinary String fields.
        for field in model.fields where !field.isEncrypted {
            guard let type = GeneratedInputs.subscriptionFilterInput(field.type) else { continue }
            fields.append(SDLField(field.name, type))
        }
        fields += timestampFields(model).map { SDLField($0, "ModelSubscriptionStringInput") }
        fields += [
            SDLField("and", "[\(input)]"), SDLField("or", "[\(input)]"), SDLField("not", input),
            SDLField("_deleted", "ModelBooleanInput"),
        ]
        return fields
    }

    /// For an index with several sort key fields, as Amplify generates them:
    /// `ModelXByYCompositeKeyConditionInput { eq le lt ge gt between beginsWith }` over
    /// `ModelXByYCompositeKeyInput { <sort fields> }` (the last field typed as its base scalar).
    private mutating func emitCompositeKeyInputs(_ index: Index, model: ModelType) {
        let names = ModelNames(model)
        let keyInput = names.compositeKeyInput(index)
        let conditionInput = names.compositeKeyConditionInput(index)
        var conditions = ["eq", "le", "lt", "ge", "gt"].map { SDLField($0, keyInput) }
        conditions += [SDLField("between", "[\(keyInput)]"), SDLField("beginsWith", keyInput)]
        emit(conditionInput, SDLText.input(conditionInput, conditions), origin: model.name)

        var keyFields: [SDLField] = []
        for (position, name) in index.sortKeyFields.enumerated() {
            guard let type = fieldType(name, in: model) else { continue }
            var typeName = type.base.name
            if position == index.sortKeyFields.count - 1, case .scalar(let scalar) = type.base,
                let family = GeneratedInputs.family(scalar)
            {
                typeName = family
            }
            keyFields.append(SDLField(name, typeName))
        }
        emit(keyInput, SDLText.input(keyInput, keyFields), origin: model.name)
    }

    /// Search filters, sorts and aggregates take every scalar field that is not `@encrypted` (as
    /// Amplify's do); the full-text operators answer only on the `@searchable(fields:)` ones.
    private mutating func emitSearchInputs(_ model: ModelType) {
        let names = ModelNames(model)
        var filterFields: [SDLField] = [SDLField("id", "SearchableIDFilterInput")]
        var sortable = ["id"]
        var aggregatable = ["id"]
        shared.insert("SearchableIDFilterInput")
        // Encrypted fields are left out: their ciphertext neither compares, sorts nor counts as
        // anything meaningful (their blind indexes are ordinary String fields).
        for field in model.fields where field.name != "id" && !field.isEncrypted {
            guard let input = GeneratedInputs.searchableFilterInput(field.type) else { continue }
            shared.insert(input)
            filterFields.append(SDLField(field.name, input))
            aggregatable.append(field.name)
            if !field.type.isList, !["true", "false", "null"].contains(field.name) { sortable.append(field.name) }
        }
        for name in timestampFields(model) {
            shared.insert("SearchableStringFilterInput")
            filterFields.append(SDLField(name, "SearchableStringFilterInput"))
            sortable.append(name)
            aggregatable.append(name)
        }
        let filter = names.searchableFilterInput
        filterFields += [SDLField("and", "[\(filter)]"), SDLField("or", "[\(filter)]"), SDLField("not", filter)]
        emit(filter, SDLText.input(filter, filterFields), origin: model.name)
        shared.insert("SearchableSortDirection")
        emit(
            names.searchableSortInput,
            SDLText.input(
                names.searchableSortInput,
                [SDLField("field", names.searchableSortableFields), SDLField("direction", "SearchableSortDirection")]),
            origin: model.name)
        emit(names.searchableSortableFields, SDLText.enumeration(names.searchableSortableFields, sortable), origin: model.name)
        shared.insert("SearchableAggregateType")
        emit(
            names.searchableAggregationInput,
            SDLText.input(
                names.searchableAggregationInput,
                [
                    SDLField("name", "String!"), SDLField("type", "SearchableAggregateType!"),
                    SDLField("field", "\(names.searchableAggregateField)!"),
                ]),
            origin: model.name)
        emit(names.searchableAggregateField, SDLText.enumeration(names.searchableAggregateField, aggregatable), origin: model.name)
    }

    // MARK: - Shared definitions

    private mutating func emitShared() {
        for family in GeneratedInputs.scalarFamilies {
            emit("Model\(family)Input", GeneratedInputs.filterScalarInput(family))
        }
        for family in GeneratedInputs.scalarFamilies {
            emit("ModelSubscription\(family)Input", GeneratedInputs.subscriptionScalarInput(family))
        }
        for family in ["String", "ID", "Int", "Float"] where shared.contains("Model\(family)KeyConditionInput") {
            emit("Model\(family)KeyConditionInput", GeneratedInputs.keyConditionInput(family: family))
        }
        if shared.contains(GeneratedInputs.encryptedFilterInputName) {
            emit(GeneratedInputs.encryptedFilterInputName, GeneratedInputs.encryptedFilterInput)
        }
        if shared.contains("ModelSortDirection") {
            emit("ModelSortDirection", SDLText.enumeration("ModelSortDirection", ["ASC", "DESC"]))
        }
        for family in GeneratedInputs.scalarFamilies where shared.contains("Searchable\(family)FilterInput") {
            emit("Searchable\(family)FilterInput", GeneratedInputs.searchableScalarInput(family))
        }
        if shared.contains("SearchableSortDirection") {
            emit("SearchableSortDirection", SDLText.enumeration("SearchableSortDirection", ["asc", "desc"]))
        }
        if shared.contains("SearchableAggregateType") {
            emit("SearchableAggregateType", SDLText.enumeration("SearchableAggregateType", ["terms", "avg", "min", "max", "sum"]))
            emit(
                "SearchableAggregateResult",
                SDLText.object(
                    "SearchableAggregateResult",
                    [SDLField("name", "String!"), SDLField("result", "SearchableAggregateGenericResult")]))
            emit("SearchableAggregateScalarResult", SDLText.object("SearchableAggregateScalarResult", [SDLField("value", "Float!")]))
            emit(
                "SearchableAggregateBucketResultItem",
                SDLText.object("SearchableAggregateBucketResultItem", [SDLField("key", "String!"), SDLField("doc_count", "Int!")]))
            emit(
                "SearchableAggregateBucketResult",
                SDLText.object("SearchableAggregateBucketResult", [SDLField("buckets", "[SearchableAggregateBucketResultItem]")]))
            emit(
                "SearchableAggregateGenericResult",
                "union SearchableAggregateGenericResult = SearchableAggregateScalarResult | SearchableAggregateBucketResult")
        }
    }

    /// A field's type in an input: embedded types become their `XInput`; `optional` drops the
    /// outer `!` (update inputs).
    static func inputType(_ type: FieldType, optional: Bool = false) -> String {
        var type = type
        if optional { type.isRequired = false }
        guard case .embedded(let name) = type.base else { return type.description }
        let item = "\(name)Input"
        if type.isList { return "[\(item)\(type.isItemRequired ? "!" : "")]\(type.isRequired ? "!" : "")" }
        return item + (type.isRequired ? "!" : "")
    }
}
