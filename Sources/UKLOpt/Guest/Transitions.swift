import Foundation

/// What instruction counts cannot see: how often the guest executed each
/// privileged or mode-switching instruction (syscall, sysret, swapgs, iret,
/// a CR3 write, ...), counted exactly by a QEMU TCG plugin
/// (qemu-plugin/transitions.c) that changes nothing the guest executes.
///
/// A workload marks each operation's repetitions (`nopl 0x554b4cKK(%rax,%rax,1)`
/// opens a window for operation K, K = 0 closes it); K is the position of the
/// operation's `name value` line among those it prints, from 1. Per operation
/// the counts are those of its most common window.
public struct Transitions: Codable, Sendable, Equatable {
    /// The classes, in the plugin's order (the table shows them in this order).
    public static let classes = [
        "syscall", "sysret", "sysenter", "sysexit", "swapgs", "iret", "int", "delivered", "mov_cr3", "mov_cr",
        "wrmsr", "rdmsr", "lfence", "mfence", "verw", "cli", "sti", "popf", "stac", "clac",
    ]

    /// Over the whole run, boot included.
    public var total: [String: Int]
    /// Per marked operation.
    public var ops: [Op]

    public struct Op: Codable, Sendable, Equatable {
        /// The operation's position among the measurement lines, from 1.
        public var index: Int
        /// Windows seen, and how many had the counts below.
        public var windows: Int
        public var mode: Int
        public var counts: [String: Int]
    }

    /// Reads the plugin's report; nil when it is not one (each line is
    /// `total CLASS=N ...` or `op K windows N mode M CLASS=N ...`, with
    /// every class).
    public init?(report: String) {
        var total: [String: Int]?
        var ops: [Op] = []
        for line in report.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let kind = fields.first else { return nil }
            switch kind {
            case "total" where total == nil:
                guard let counts = Self.counts(fields.dropFirst()) else { return nil }
                total = counts
            case "op":
                guard fields.count > 6, fields[2] == "windows", fields[4] == "mode",
                    let index = Int(fields[1]), (1...255).contains(index), let windows = Int(fields[3]),
                    let mode = Int(fields[5]), (1...max(windows, 1)).contains(mode),
                    !ops.contains(where: { $0.index == index }),
                    let counts = Self.counts(fields.dropFirst(6))
                else { return nil }
                ops.append(Op(index: index, windows: windows, mode: mode, counts: counts))
            default:
                return nil
            }
        }
        guard let total else { return nil }
        self.total = total
        self.ops = ops
    }

    /// `CLASS=N` for every class, each once.
    private static func counts(_ fields: ArraySlice<Substring>) -> [String: Int]? {
        var counts: [String: Int] = [:]
        for field in fields {
            let pair = field.split(separator: "=", omittingEmptySubsequences: false)
            guard pair.count == 2, let value = Int(pair[1]), value >= 0, classes.contains(String(pair[0])),
                counts.updateValue(value, forKey: String(pair[0])) == nil
            else { return nil }
        }
        return counts.count == classes.count ? counts : nil
    }

    /// Each marked operation's counts, by the name of the measurement line
    /// at its position in `output`.
    public func byOperation(output: String) -> [String: [String: Int]] {
        let names = Guest.measurements(in: output)?.map(\.name) ?? []
        var result: [String: [String: Int]] = [:]
        for op in ops where op.index <= names.count {
            result[names[op.index - 1]] = op.counts
        }
        return result
    }

    /// `1 syscall + 1 sysret + 2 swapgs`, in class order, or `0`.
    public static func summary(_ counts: [String: Int]) -> String {
        let parts = classes.compactMap { name in counts[name].flatMap { $0 > 0 ? "\($0) \(name)" : nil } }
        return parts.isEmpty ? "0" : parts.joined(separator: " + ")
    }

    /// The plugin, built with the installed QEMU's header and cached.
    static func plugin(progress: @escaping (String) -> Void = { _ in }) throws -> URL {
        try BuildScript.run("scripts/qemu-plugin-build.sh", progress: progress)
            .appendingPathComponent("transitions.so")
    }

    /// The kernel's interrupt and exception entry points in a System.map:
    /// each execution of one is an event delivered through the IDT.
    static func entryPoints(systemMap: String) -> [String] {
        systemMap.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[1] == "T" || fields[1] == "t" else { return nil }
            let name = fields[2]
            let entry =
                name.hasPrefix("asm_exc_") || name.hasPrefix("asm_sysvec_") || name == "asm_common_interrupt"
                || name == "asm_spurious_interrupt"
            return entry ? String(fields[0]) : nil
        }
    }
}
