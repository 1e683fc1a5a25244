import Foundation

/// `ukl-opt compare`: one application built, booted and measured at each
/// level, in one run, against the same kernel build.
public struct Comparison: Codable, Sendable {
    /// What one level gave.
    public struct Entry: Codable, Sendable {
        public var level: Level
        /// Built with a profile (compare --pgo): the row beside the level's plain one.
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
        /// With pgo: the profile, how its records matched, and the
        /// instrumented image's own figures when it was trained in this run.
        public var profile: String?
        public var profileUse: PGOReport?
        public var instrumentedOps: [String: Int]?

        /// The level, and "+pgo" for a row built with a profile.
        public var label: String { level.rawValue + (pgo ? "+pgo" : "") }

        enum CodingKeys: String, CodingKey {
            case level, pgo, ops, status, output, failure, inlined, transitions, profile
            case profileUse = "profile_use"
            case instrumentedOps = "instrumented_ops"
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
    /// With `pgo`, each UKL level also gets a row built with a profile: the
    /// bundled one (profiles/APP.LEVEL.profdata) unless `train`, else one
    /// trained now on the level's instrumented image (cached by that image).
    public static func run(
        levels: [Level], app spec: String, timeout: Double = 300, pgo: Bool = false, train: Bool = false,
        allowStale: Bool = false, progress: @escaping (String) -> Void = { _ in }
    ) throws -> Comparison {
        var entries: [Entry] = []
        // A bundled workload brings what loads and measures it (Redis: redis-benchmark).
        let sidecars = try Workload.named(spec)?.compareSidecars.map { try DataDirectory.file($0).path } ?? []
        // Built once, before any boot needs it (minutes the first time: QEMU's source package).
        _ = try Transitions.plugin(progress: { progress("transition counter: \($0)") })
        let app = AppBuilder.name(of: spec)
        let builds = levels.flatMap { level in
            [(level, false)] + (pgo && level != .linux ? [(level, true)] : [])
        }
        for (index, (level, withProfile)) in builds.enumerated() {
            let step = "[\(index + 1)/\(builds.count)] "
            var profile: String?
            var instrumentedOps: [String: Int]?
            if withProfile {
                let bundled = try DataDirectory.file("profiles/\(app).\(level.rawValue).profdata").path
                if !train && FileManager.default.fileExists(atPath: bundled) {
                    profile = bundled
                } else {
                    let trained = try Self.train(
                        level: level, app: spec, sidecars: sidecars, timeout: timeout,
                        progress: { progress(step + $0) })
                    profile = trained.profile
                    instrumentedOps = trained.ops
                }
            }
            let (directory, image, _) = try ImageBuilder.cachedImage(
                level: level, app: spec, sidecars: sidecars,
                pgo: profile.map { .use(profile: $0, allowStale: allowStale) }, progress: { progress(step + $0) })
            let label = level.rawValue + (withProfile ? "+pgo" : "")
            progress(step + "\(label): booting under QEMU (icount)")
            let result = try Guest.boot(directory, timeout: timeout, countTransitions: true)
            progress(
                step + "\(label): "
                    + (result.failure == nil
                        ? "exit status \(result.status ?? -1), \(result.emulatorSeconds) s emulator wall time"
                        : "failed"))
            entries.append(
                Entry(
                    level: level, pgo: withProfile, ops: result.ops ?? [:], imageBytes: image.imageBytes,
                    sitesRewritten: image.sitesRewritten, sitesByOrigin: image.sitesByOrigin,
                    inlined: image.inlined,
                    buildSeconds: image.buildSeconds, emulatorSeconds: result.emulatorSeconds,
                    status: result.status, output: result.output,
                    failure: result.failure ?? result.signal.map { "the application was killed by signal \($0)" },
                    transitions: result.transitions?.byOperation(output: result.output) ?? [:],
                    transitionTotals: result.transitions?.total ?? [:], profile: profile, profileUse: image.pgo,
                    instrumentedOps: instrumentedOps))
        }
        return Comparison(app: app, levels: entries)
    }

    /// A profile of `app` at `level`: its instrumented image built (or
    /// reused) and booted, the profile kept in the cache beside it. Returns
    /// the instrumented run's figures too when it booted now.
    static func train(
        level: Level, app spec: String, sidecars: [String], timeout: Double, progress: @escaping (String) -> Void
    ) throws -> (profile: String, ops: [String: Int]?) {
        let (directory, _, _) = try ImageBuilder.cachedImage(
            level: level, app: spec, sidecars: sidecars, pgo: .instrument, progress: progress)
        let profile = try Cache.directory("profiles").appendingPathComponent(
            URL(fileURLWithPath: directory).lastPathComponent + ".profdata"
        ).path
        if FileManager.default.fileExists(atPath: profile) {
            progress("\(level.rawValue): profile unchanged, reusing \(profile)")
            return (profile, nil)
        }
        progress("\(level.rawValue): booting the instrumented image to train the profile")
        let collection = try ProfileCollector.collect(image: directory, timeout: timeout, to: profile)
        return (profile, collection.run.ops)
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
