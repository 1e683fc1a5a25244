import Foundation

/// The optimization tiers, in order; each includes the ones before it.
public enum Level: String, CaseIterable, Codable, Sendable {
    case linux, base, bypass, nss, shortcut

    /// Tiers whose application runs linked into the kernel.
    public var isUKL: Bool { self != .linux }
}

/// How a tier rewrites syscall sites, as read from `kernel-shortcuts/contract.json`.
public struct TierRule: Equatable, Sendable {
    public enum Call: String, Sendable {
        /// Call the syscall entry, keeping the syscall register convention.
        case entry
        /// Call a C function per syscall (constant numbers) or a dispatcher.
        case direct
    }

    public var call: Call
    /// Symbol for a constant-number site; `{entry}` stands for the syscall's entry name.
    public var constant: String?
    /// Symbol for a site whose number is not constant.
    public var dynamic: String?
    /// Syscall name to the symbol that replaces it (the TCP shortcuts).
    public var shortcuts: [String: String]
    /// Syscalls that keep the entry even at a direct tier: they read or
    /// rewrite the register frame (sigreturn, fork, exec) or never return.
    public var fullEntry: Set<String> = []

    /// The symbol a constant-number call to `syscall` goes to.
    public func symbol(for syscall: Syscall) -> String? {
        if let shortcut = shortcuts[syscall.name] { return shortcut }
        return constant?.replacingOccurrences(of: "{entry}", with: syscall.entry)
    }
}

/// The contract between rewritten applications and the UKL kernel.
public struct Contract: Sendable {
    /// The function-call variant of the 64-bit syscall entry (syscall register convention).
    public var entry: String
    /// libc-style wrappers taking the number first (`long syscall(long, ...)`).
    public var wrappers: Set<String>
    /// libc's accessor for errno, used when a wrapper call is rewritten.
    public var errnoLocation: String
    /// The application's possible entry points (first defined wins), the
    /// symbol the kernel calls, and the prefix its other symbols get.
    public var appEntries: [String]
    public var appEntrySymbol: String
    public var appPrefix: String
    public var tiers: [Level: TierRule]

    /// The first level whose rewritten sites call `symbol`, if the contract names it.
    public func level(calling symbol: String) -> Level? {
        Level.allCases.first { level in
            guard let rule = tiers[level] else { return false }
            let constantPrefix = rule.constant?.components(separatedBy: "{entry}").first ?? ""
            return symbol == entry || symbol == rule.dynamic || rule.shortcuts.values.contains(symbol)
                || (!constantPrefix.isEmpty && symbol.hasPrefix(constantPrefix))
        }
    }

    public static func load() throws -> Contract {
        let url = try DataDirectory.file("kernel-shortcuts/contract.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw UKLError.tool("cannot read \(url.path)")
        }
        return try Contract(json: data, file: url.path)
    }

    init(json: Data, file: String) throws {
        struct Raw: Decodable {
            struct App: Decodable {
                let entries: [String]
                let entrySymbol: String
                let prefix: String
            }
            struct Tier: Decodable {
                let call: String?
                let extends: String?
                let constant: String?
                let dynamic: String?
                let shortcuts: [String: String]?
                let fullEntry: [String]?
            }
            let entry: String
            let wrappers: [String]
            let errnoLocation: String
            let app: App
            let tiers: [String: Tier]
        }
        let raw: Raw
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            raw = try decoder.decode(Raw.self, from: json)
        } catch {
            throw UKLError.input(file: file, reason: "not a valid contract: \(error)")
        }
        func resolve(_ name: String, depth: Int = 0) throws -> TierRule {
            guard let tier = raw.tiers[name], depth < 8 else {
                throw UKLError.input(file: file, reason: "tier '\(name)' is not defined")
            }
            var rule =
                try tier.extends.map { try resolve($0, depth: depth + 1) }
                ?? TierRule(call: .entry, constant: nil, dynamic: nil, shortcuts: [:])
            if let call = tier.call {
                guard let parsed = TierRule.Call(rawValue: call) else {
                    throw UKLError.input(file: file, reason: "tier '\(name)': call must be 'entry' or 'direct'")
                }
                rule.call = parsed
            }
            rule.constant = tier.constant ?? rule.constant
            rule.dynamic = tier.dynamic ?? rule.dynamic
            rule.shortcuts.merge(tier.shortcuts ?? [:]) { _, new in new }
            rule.fullEntry.formUnion(tier.fullEntry ?? [])
            if rule.call == .direct, rule.constant == nil || rule.dynamic == nil {
                throw UKLError.input(
                    file: file, reason: "tier '\(name)' calls directly but lacks 'constant' or 'dynamic'")
            }
            return rule
        }
        var tiers: [Level: TierRule] = [:]
        for level in Level.allCases where level.isUKL {
            tiers[level] = try resolve(level.rawValue)
        }
        entry = raw.entry
        wrappers = Set(raw.wrappers)
        errnoLocation = raw.errnoLocation
        appEntries = raw.app.entries
        appEntrySymbol = raw.app.entrySymbol
        appPrefix = raw.app.prefix
        self.tiers = tiers
    }
}
