import Foundation

/// `inspect`'s answer: every site and a per-syscall summary.
public struct SiteReport: Codable, Sendable {
    public struct Count: Codable, Equatable, Sendable {
        public let syscall: String
        public let number: Int?
        public let sites: Int
    }

    public let file: String
    public let sites: [SyscallSite]
    public let summary: [Count]

    public init(file: String, sites: [SyscallSite]) {
        self.file = file
        self.sites = sites
        summary = Dictionary(grouping: sites, by: \.label)
            .map { Count(syscall: $0.key, number: $0.value[0].number, sites: $0.value.count) }
            .sorted { ($0.number ?? Int.max, $0.syscall) < ($1.number ?? Int.max, $1.syscall) }
    }

    public var text: String {
        let functions = Set(sites.map(\.function)).count
        var lines = [
            "\(file): \(sites.count) syscall site\(sites.count == 1 ? "" : "s") in \(functions) function\(functions == 1 ? "" : "s")"
        ]
        if sites.isEmpty { return lines[0] + "\n" }
        lines += table(
            [["function", "via", "nr", "syscall", "from"]]
                + sites.map {
                    [$0.function, $0.via.rawValue, $0.number.map(String.init) ?? "-", $0.label, $0.origin]
                })
        lines.append("")
        lines += table(
            [["syscall", "nr", "sites"]]
                + summary.map {
                    [$0.syscall, $0.number.map(String.init) ?? "-", String($0.sites)]
                })
        return lines.joined(separator: "\n") + "\n"
    }
}

extension RewriteReport {
    public var text: String {
        let order: [RewrittenSite.How] = [.entry, .direct, .shortcut, .dispatch]
        let counts = counts
        let summary = order.compactMap { how in counts[how].map { "\($0) \(how.rawValue)" } }.joined(separator: ", ")
        var lines = [
            "\(input): \(level.rawValue): rewrote \(sites.count) site\(sites.count == 1 ? "" : "s")"
                + (summary.isEmpty ? "" : " (\(summary))")
        ]
        lines += table(
            [["function", "syscall", "how", "callee", "note"]]
                + sites.map {
                    [$0.site.function, $0.site.label, $0.how.rawValue, $0.callee, $0.note ?? ""]
                })
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Columns two spaces apart, indented by two; left-aligned except the
/// columns in `right` (numbers).
func table(_ rows: [[String]], right: Set<Int> = []) -> [String] {
    guard let first = rows.first else { return [] }
    let widths = (0..<first.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        let cells = row.enumerated().map { column, cell in
            right.contains(column)
                ? String(repeating: " ", count: widths[column] - cell.count) + cell
                : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }
        return "  "
            + cells.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
}

/// JSON as the tool prints it: sorted keys, indented, newline-terminated.
public func encodeJSON<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    return data
}
