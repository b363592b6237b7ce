import Foundation

/// English plurals the way Amplify makes them: a port of the plural half of the `pluralize` npm
/// package (v8) that the Amplify transformer uses for `listXs`, `syncXs`, `searchXs` and default
/// index names. `Note` → `Notes`, `Category` → `Categories`, `Person` → `People`,
/// `Status` → `Statuses`, `Equipment` → `Equipment`.
///
/// The rules match the end of the whole name, so `BlogPerson` → `BlogPeople` and
/// `TaskCategory` → `TaskCategories`; the case of the replaced part is kept.
public enum Pluralization {
    public static func plural(_ word: String) -> String {
        let token = word.lowercased()
        if irregularPlurals.contains(token) { return restoreCase(word, token) }
        if let plural = irregularSingles[token] { return restoreCase(word, plural) }
        if token.isEmpty || uncountables.contains(token) { return word }

        // Later rules win, as in `pluralize`: the uncountable patterns were added last.
        for (pattern, replacement) in (rules + uncountablePatterns.map { ($0, "$0") }).reversed() {
            guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { continue }
            let whole = NSRange(word.startIndex..., in: word)
            guard let match = regex.firstMatch(in: word, range: whole),
                let range = Range(match.range, in: word)
            else { continue }
            var result = interpolate(replacement, match: match, in: word)
            if range.isEmpty {
                let previous = range.lowerBound == word.startIndex
                    ? "" : String(word[word.index(before: range.lowerBound)])
                result = restoreCase(previous, result)
            } else {
                result = restoreCase(String(word[range]), result)
            }
            return word.replacingCharacters(in: range, with: result)
        }
        return word
    }

    /// `$0`…`$9` in `template` replaced by the match's groups (an unmatched group is empty).
    private static func interpolate(_ template: String, match: NSTextCheckingResult, in word: String) -> String {
        var output = ""
        var characters = template.makeIterator()
        while let c = characters.next() {
            guard c == "$" else {
                output.append(c)
                continue
            }
            guard let digit = characters.next(), let index = digit.wholeNumberValue else { continue }
            if index < match.numberOfRanges, let range = Range(match.range(at: index), in: word) {
                output += word[range]
            }
        }
        return output
    }

    /// Gives `token` the case pattern of `word`: `HELLO`, `Hello` or `hello`.
    private static func restoreCase(_ word: String, _ token: String) -> String {
        if word == token { return token }
        if word == word.uppercased() { return token.uppercased() }
        if let first = word.first, String(first) == String(first).uppercased() {
            return token.prefix(1).uppercased() + token.dropFirst().lowercased()
        }
        return token.lowercased()
    }

    private static let irregularPairs: [(String, String)] = [
        ("i", "we"), ("me", "us"), ("he", "they"), ("she", "they"), ("them", "them"),
        ("myself", "ourselves"), ("yourself", "yourselves"), ("itself", "themselves"),
        ("herself", "themselves"), ("himself", "themselves"), ("themself", "themselves"),
        ("is", "are"), ("was", "were"), ("has", "have"), ("this", "these"), ("that", "those"),
        ("echo", "echoes"), ("dingo", "dingoes"), ("graffito", "graffiti"), ("volcano", "volcanoes"),
        ("tornado", "tornadoes"), ("torpedo", "torpedoes"), ("genus", "genera"), ("viscus", "viscera"),
        ("stigma", "stigmata"), ("stoma", "stomata"), ("dogma", "dogmata"), ("lemma", "lemmata"),
        ("schema", "schemata"), ("anathema", "anathemata"), ("ox", "oxen"), ("axe", "axes"),
        ("die", "dice"), ("yes", "yeses"), ("foot", "feet"), ("eave", "eaves"), ("goose", "geese"),
        ("tooth", "teeth"), ("quiz", "quizzes"), ("human", "humans"), ("proof", "proofs"),
        ("carve", "carves"), ("valve", "valves"), ("looey", "looies"), ("thief", "thieves"),
        ("groove", "grooves"), ("pickaxe", "pickaxes"), ("passerby", "passersby"),
    ]
    private static let irregularSingles: [String: String] = Dictionary(
        irregularPairs.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
    private static let irregularPlurals: Set<String> = Set(irregularPairs.map(\.1))

    /// (pattern, replacement) in `pluralize`'s order.
    private static let rules: [(String, String)] = [
        (#"s?$"#, "s"),
        (#"[^\u0000-\u007F]$"#, "$0"),
        (#"([^aeiou]ese)$"#, "$1"),
        (#"(ax|test)is$"#, "$1es"),
        (#"(alias|[^aou]us|t[lm]as|gas|ris)$"#, "$1es"),
        (#"(e[mn]u)s?$"#, "$1s"),
        (#"([^l]ias|[aeiou]las|[ejzr]as|[iu]am)$"#, "$1"),
        (#"(alumn|syllab|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat)(?:us|i)$"#, "$1i"),
        (#"(alumn|alg|vertebr)(?:a|ae)$"#, "$1ae"),
        (#"(seraph|cherub)(?:im)?$"#, "$1im"),
        (#"(her|at|gr)o$"#, "$1oes"),
        (
            #"(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi|curricul|automat|quor)(?:a|um)$"#,
            "$1a"
        ),
        (
            #"(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|hedr|automat)(?:a|on)$"#,
            "$1a"
        ),
        (#"sis$"#, "ses"),
        (#"(?:(kni|wi|li)fe|(ar|l|ea|eo|oa|hoo)f)$"#, "$1$2ves"),
        (#"([^aeiouy]|qu)y$"#, "$1ies"),
        (#"([^ch][ieo][ln])ey$"#, "$1ies"),
        (#"(x|ch|ss|sh|zz)$"#, "$1es"),
        (#"(matr|cod|mur|sil|vert|ind|append)(?:ix|ex)$"#, "$1ices"),
        (#"\b((?:tit)?m|l)(?:ice|ouse)$"#, "$1ice"),
        (#"(pe)(?:rson|ople)$"#, "$1ople"),
        (#"(child)(?:ren)?$"#, "$1ren"),
        (#"eaux$"#, "$0"),
        (#"m[ae]n$"#, "men"),
        (#"^thou$"#, "you"),
    ]

    private static let uncountables: Set<String> = [
        "adulthood", "advice", "agenda", "aid", "aircraft", "alcohol", "ammo", "analytics", "anime",
        "athletics", "audio", "bison", "blood", "bream", "buffalo", "butter", "carp", "cash", "chassis",
        "chess", "clothing", "cod", "commerce", "cooperation", "corps", "debris", "diabetes", "digestion",
        "elk", "energy", "equipment", "excretion", "expertise", "firmware", "flounder", "fun", "gallows",
        "garbage", "hardware", "headquarters", "health", "herpes", "highjinks", "homework", "housework",
        "information", "jeans", "justice", "kudos", "labour", "literature", "machinery", "mackerel",
        "mail", "media", "mews", "moose", "music", "mud", "manga", "news", "only", "personnel", "pike",
        "plankton", "pliers", "police", "pollution", "premises", "rain", "research", "rice", "salmon",
        "scissors", "series", "sewage", "shambles", "shrimp", "software", "staff", "swine", "tennis",
        "traffic", "transportation", "trout", "tuna", "wealth", "welfare", "whiting", "wildebeest",
        "wildlife", "you",
    ]

    private static let uncountablePatterns: [String] = [
        #"pok[eé]mon$"#, #"[^aeiou]ese$"#, #"deer$"#, #"fish$"#, #"measles$"#, #"o[iu]s$"#, #"pox$"#, #"sheep$"#,
    ]
}
