import Testing
import TideModel

@Suite struct AccessPolicyTests {
    static let alice = Principal.user(UserIdentity(id: "u-alice", username: "alice", groups: ["team-a"]))
    static let bob = Principal.user(UserIdentity(id: "u-bob", username: "bob", groups: []))
    static let admin = Principal.user(UserIdentity(id: "u-carol", username: "carol", groups: ["admin"]))
    static let key = Principal.apiKey(id: "k1")

    static func model(_ rules: [AuthRule], fields extra: [Field] = []) -> ModelType {
        let base = [
            Field(name: "id", type: FieldType(base: .scalar(.id), isRequired: true)),
            Field(name: "owner", type: FieldType(base: .scalar(.string))),
            Field(name: "editors", type: FieldType(base: .scalar(.string), isList: true)),
            Field(name: "team", type: FieldType(base: .scalar(.string))),
            Field(name: "teams", type: FieldType(base: .scalar(.string), isList: true)),
        ]
        return ModelType(name: "Doc", pluralName: "Docs", fields: base + extra, authRules: rules)
    }

    func covers(_ rules: [AuthRule], _ operation: AuthRule.Operation, _ principal: Principal, _ record: [String: JSONValue]) -> Bool {
        AccessPolicy(model: Self.model(rules)).decision(operation, for: principal).covers(record)
    }

    @Test func ownerMatchesUsernameOrUserID() {
        let rules = [AuthRule(allow: .owner, ownerField: "owner")]
        #expect(covers(rules, .read, Self.alice, ["owner": "alice"]))
        #expect(covers(rules, .read, Self.alice, ["owner": "u-alice"]))
        #expect(covers(rules, .read, Self.alice, ["owner": "u-alice::alice"]))
        #expect(!covers(rules, .read, Self.alice, ["owner": "bob"]))
        #expect(!covers(rules, .read, Self.alice, [:]))
        #expect(AccessPolicy(model: Self.model(rules)).decision(.read, for: .anonymous) == .none)
        #expect(AccessPolicy(model: Self.model(rules)).decision(.read, for: Self.key) == .none)
    }

    @Test func listOwnerFieldMeansSeveralOwners() {
        let rules = [AuthRule(allow: .owner, ownerField: "editors")]
        #expect(covers(rules, .update, Self.bob, ["editors": ["alice", "bob"]]))
        #expect(!covers(rules, .update, Self.bob, ["editors": ["alice"]]))
        // A list field is matched by element, never by substring.
        #expect(!covers(rules, .update, Self.bob, ["editors": ["bobby"]]))
    }

    @Test func staticAndDynamicGroups() {
        let admins = [AuthRule(allow: .groups, groups: ["admin"])]
        #expect(AccessPolicy(model: Self.model(admins)).decision(.delete, for: Self.admin) == .all)
        #expect(AccessPolicy(model: Self.model(admins)).decision(.delete, for: Self.alice) == .none)
        let single = [AuthRule(allow: .groups, groupsField: "team")]
        #expect(covers(single, .read, Self.alice, ["team": "team-a"]))
        #expect(!covers(single, .read, Self.alice, ["team": "team-ab"]))
        #expect(AccessPolicy(model: Self.model(single)).decision(.read, for: Self.bob) == .none)  // no groups at all
        let list = [AuthRule(allow: .groups, groupsField: "teams")]
        #expect(covers(list, .read, Self.alice, ["teams": ["x", "team-a"]]))
        #expect(!covers(list, .read, Self.alice, ["teams": ["x"]]))
    }

    @Test func privatePublicAndOperationSubsets() {
        let rules = [
            AuthRule(allow: .private, operations: [.read]),
            AuthRule(allow: .public, operations: [.create]),
        ]
        let policy = AccessPolicy(model: Self.model(rules))
        #expect(policy.decision(.read, for: Self.bob) == .all)
        #expect(policy.decision(.update, for: Self.bob) == .none)
        #expect(policy.decision(.create, for: Self.key) == .all)
        #expect(policy.decision(.read, for: Self.key) == .none)
        #expect(policy.decision(.read, for: .anonymous) == .none)
        #expect(AccessPolicy(model: Self.model([])).decision(.read, for: Self.admin) == .none)  // deny by default
    }

    @Test func rulesAreOred() {
        let rules = [AuthRule(allow: .owner, ownerField: "owner"), AuthRule(allow: .groups, groupsField: "team")]
        #expect(covers(rules, .read, Self.alice, ["owner": "bob", "team": "team-a"]))
        #expect(covers(rules, .read, Self.alice, ["owner": "alice", "team": "x"]))
        #expect(!covers(rules, .read, Self.alice, ["owner": "bob", "team": "x"]))
    }

    @Test func fieldRulesReplaceModelRules() {
        let secret = Field(
            name: "secret", type: FieldType(base: .scalar(.string)), authRules: [AuthRule(allow: .owner, ownerField: "owner")])
        let policy = AccessPolicy(model: Self.model([AuthRule(allow: .private)], fields: [secret]))
        #expect(policy.fieldsWithRules == ["secret"])
        #expect(policy.fieldDecision("team", .read, for: Self.bob) == .all)
        #expect(!policy.fieldDecision("secret", .read, for: Self.bob).covers(["owner": "alice"]))
        #expect(policy.fieldDecision("secret", .read, for: Self.alice).covers(["owner": "alice"]))
    }

    @Test func ownersCannotHandRecordsAwayButOtherRulesCan() {
        let rules = [AuthRule(allow: .owner, ownerField: "owner"), AuthRule(allow: .groups, groups: ["admin"])]
        let policy = AccessPolicy(model: Self.model(rules))
        let stored: [String: JSONValue] = ["owner": "alice"]
        #expect(policy.updateDecision(input: ["team": "x"], for: Self.alice).covers(stored))
        #expect(policy.updateDecision(input: ["owner": "alice"], for: Self.alice).covers(stored))
        #expect(!policy.updateDecision(input: ["owner": "bob"], for: Self.alice).covers(stored))
        #expect(!policy.updateDecision(input: ["owner": nil], for: Self.alice).covers(stored))
        #expect(policy.updateDecision(input: ["owner": "bob"], for: Self.admin) == .all)
    }

    @Test func createAssignsTheCallerAsOwner() {
        let rules = [AuthRule(allow: .owner, ownerField: "owner"), AuthRule(allow: .owner, ownerField: "editors")]
        let policy = AccessPolicy(model: Self.model(rules))
        let values = policy.assigningOwner(["team": "x"], for: Self.alice)
        #expect(values["owner"] == "u-alice", "the owner field stores the user id")
        #expect(values["editors"] == ["u-alice"])
        #expect(policy.assigningOwner(["owner": "bob"], for: Self.alice)["owner"] == "bob")  // checked by the create rule
        #expect(policy.assigningOwner([:], for: Self.key) == [:])
        // The caller's other names are stored as the id; others' names stay as written.
        #expect(policy.assigningOwner(["owner": "alice"], for: Self.alice)["owner"] == "u-alice")
        #expect(policy.assigningOwner(["owner": "u-alice::alice"], for: Self.alice)["owner"] == "u-alice")
        #expect(policy.assigningOwner(["editors": ["alice", "bob"]], for: Self.alice)["editors"] == ["u-alice", "bob"])
    }

    @Test func guardedFiltersCannotObserveHiddenFields() {
        let secret = Field(
            name: "secret", type: FieldType(base: .scalar(.string)), authRules: [AuthRule(allow: .owner, ownerField: "owner")])
        let policy = AccessPolicy(model: Self.model([AuthRule(allow: .private)], fields: [secret]))
        let hidden: [String: JSONValue] = ["owner": "alice", "secret": "s3cret"]
        for input: JSONValue in [
            ["secret": ["beginsWith": "s"]], ["secret": ["beginsWith": "x"]], ["secret": ["attributeExists": false]],
            ["not": ["secret": ["eq": "s3cret"]]], ["not": ["secret": ["eq": "other"]]],
        ] {
            let filter = try! FilterExpression(input: input)
            // For bob the answer is the same whatever the secret is: the value stays hidden.
            let guarded = policy.guarding(filter, for: Self.bob)
            let withOther = FilterEvaluator.matches(guarded, ["owner": "alice", "secret": "other"])
            #expect(FilterEvaluator.matches(guarded, hidden) == withOther, "\(input)")
            // The owner filters on their own secret as usual.
            #expect(FilterEvaluator.matches(policy.guarding(filter, for: Self.alice), hidden) == FilterEvaluator.matches(filter, hidden))
        }
    }
}

extension AccessPolicyTests {
    /// A field-level owner rule protects its owner field too: nobody takes over the field by
    /// rewriting the owner, even where the model lets everyone update.
    @Test func fieldOwnerRulesProtectTheirOwnerField() {
        let secret = Field(
            name: "secret", type: FieldType(base: .scalar(.string)), authRules: [AuthRule(allow: .owner, ownerField: "owner")])
        let policy = AccessPolicy(model: Self.model([AuthRule(allow: .private)], fields: [secret]))
        let stored: [String: JSONValue] = ["owner": "alice", "secret": "s"]
        #expect(policy.protectedFields(touchedBy: ["owner": "bob"]) == ["secret"])
        #expect(policy.protectedFields(touchedBy: ["team": "x"]) == [])
        #expect(!policy.fieldUpdateDecision("secret", input: ["owner": "bob"], for: Self.bob).covers(stored))
        #expect(!policy.fieldUpdateDecision("secret", input: ["owner": "bob"], for: Self.alice).covers(stored))
        #expect(policy.fieldUpdateDecision("secret", input: ["secret": "t"], for: Self.alice).covers(stored))
        #expect(policy.assigningOwner([:], for: Self.alice)["owner"] == "u-alice")
    }
}

extension AccessPolicyTests {
    /// `public` with `provider: iam` (Amplify's unauthenticated role) admits guests; plain
    /// `public` only API keys; neither admits signed-in users, who need `private`.
    @Test func guestsOnlyWithIAMProvider() {
        let guests = AccessPolicy(model: Self.model([AuthRule(allow: .public, provider: "iam")]))
        #expect(guests.decision(.read, for: .anonymous) == .all)
        #expect(guests.decision(.read, for: Self.key) == .all)
        #expect(guests.decision(.read, for: Self.bob) == .none)
        let keys = AccessPolicy(model: Self.model([AuthRule(allow: .public)]))
        #expect(keys.decision(.read, for: .anonymous) == .none)
        #expect(keys.decision(.read, for: Self.key) == .all)
    }
}
