import Foundation

/// `ukl-opt compare`: one application built, booted and measured at each
/// level, in one run, against the same kernel build.
public struct Comparison: Codable, Sendable {
    /// What one level gave.
    public struct Entry: Codable, Sendable {
        public var level: Level
        /// Profile-guided optimization (not implemented yet: always false).
        public var pgo: Bool
        /// Per-op cost in icount ticks (guest TSC under -icount shift=0: retired instructions).
        public var ops: [String: Int]
        public var imageBytes: Int
        public var sitesRewritten: Int
        /// Rewritten sites by origin: app, runtime, libc, libc-asm (see `ukl-opt cc`).
        public var sitesByOrigin: [String: Int]
        /// App-to-kernel calls that LTO inlined.
        public var inlined: Int
        public var buildSeconds: Double
        /// Host wall time of the QEMU run: emulator time, not guest time.
        public var emulatorSeconds: Double
        public var status: Int?
        public var output: String
        public var failure: String?
        /// Per op (those the workload marks): privileged and mode-switching
        /// instructions executed in its most common repetition, by class.
        public var transitions: [String: [String: Int]] = [:]
        /// The same over the whole boot.
        public var transitionTotals: [String: Int] = [:]

        enum CodingKeys: String, CodingKey {
            case level, pgo, ops, status, output, failure, inlined, transitions
            case transitionTotals = "transition_totals"
            case imageBytes = "image_bytes"
            case sitesRewritten = "sites_rewritten"
            case sitesByOrigin = "sites_by_origin"
            case buildSeconds = "build_seconds"
            case emulatorSeconds = "emulator_seconds"
        }
    }

    public var app: String
    /// The unit of `ops`.
    public var unit = "icount ticks"
    public var levels: [Entry]

    /// Builds (or reuses) each level's image and boots it. A level whose
    /// guest fails is recorded with its failure; the others still run.
    public static func run(
        levels: [Level], app spec: String, timeout: Double = 300,
        progress: @escaping (String) -> Void = { _ in }
    ) throws -> Comparison {
        var entries: [Entry] = []
        // A bundled workload brings what loads and measures it (Redis: redis-benchmark).
        let sidecars = try Workload.named(spec)?.compareSidecars.map { try DataDirectory.file($0).path } ?? []
        // Built once, before any boot needs it (minutes the first time: QEMU's source package).
        _ = try Transitions.plugin(progress: { progress("transition counter: \($0)") })
        for (index, level) in levels.enumerated() {
            let step = "[\(index + 1)/\(levels.count)] "
            let (directory, image, _) = try ImageBuilder.cachedImage(
                level: level, app: spec, sidecars: sidecars, progress: { progress(step + $0) })
            progress(step + "\(level.rawValue): booting under QEMU (icount)")
            let result = try Guest.boot(directory, timeout: timeout, countTransitions: true)
            progress(
                step + "\(level.rawValue): "
                    + (result.failure == nil
                        ? "exit status \(result.status ?? -1), \(result.emulatorSeconds) s emulator wall time"
                        : "failed"))
            entries.append(
                Entry(
                    level: level, pgo: false, ops: result.ops ?? [:], imageBytes: image.imageBytes,
                    sitesRewritten: image.sitesRewritten, sitesByOrigin: image.sitesByOrigin,
                    inlined: image.inlined,
                    buildSeconds: image.buildSeconds, emulatorSeconds: result.emulatorSeconds,
                    status: result.status, output: result.output,
                    failure: result.failure ?? result.signal.map { "the application was killed by signal \($0)" },
                    transitions: result.transitions?.byOperation(output: result.output) ?? [:],
                    transitionTotals: result.transitions?.total ?? [:]))
        }
        return Comparison(app: AppBuilder.name(of: spec), levels: entries)
    }

    /// Levels whose guest failed or whose application exited non-zero.
    public var failures: [Entry] {
        levels.filter { $0.failure != nil || $0.status != 0 }
    }

    /// The ops in the order the application printed them, first level first.
    public var opNames: [String] {
        var names: [String] = []
        for entry in levels {
            for (name, _) in Guest.measurements(in: entry.output) ?? [] where !names.contains(name) {
                names.append(name)
            }
        }
        return names
    }

    /// How to read a measurement, by the suffix of its name; a name without
    /// one of these suffixes is icount ticks per op (syscall-bench's).
    public struct MetricKind: Sendable {
        public let suffix: String
        public let meaning: String
        public let higherIsBetter: Bool
    }

    public static let metricKinds = [
        MetricKind(suffix: ".rps", meaning: "requests per guest second", higherIsBetter: true),
        MetricKind(suffix: ".p50_us", meaning: "median latency, guest microseconds", higherIsBetter: false),
        MetricKind(suffix: ".p99_us", meaning: "99th percentile latency, guest microseconds", higherIsBetter: false),
        MetricKind(
            suffix: ".server_ticks", meaning: "the server's CPU time per request, guest ns (instructions)",
            higherIsBetter: false),
    ]

    public static func kind(of op: String) -> MetricKind? {
        metricKinds.first { op.hasSuffix($0.suffix) }
    }

    /// `entry`'s ticks for `op` over linux's, when both were measured.
    public func ratio(_ op: String, _ entry: Entry) -> Double? {
        guard let linux = levels.first(where: { $0.level == .linux })?.ops[op], linux > 0,
            let ticks = entry.ops[op]
        else { return nil }
        return Double(ticks) / Double(linux)
    }
}
