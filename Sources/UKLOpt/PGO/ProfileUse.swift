internal import CLLVMBridge
import Foundation

/// How an image build uses PGO.
public enum PGOMode: Sendable, Equatable {
    /// Count every block and indirect-call target (a training image).
    case instrument
    /// Optimize with the profile at this path; a stale one is refused unless allowed.
    case use(profile: String, allowStale: Bool)
}

/// What PGO did in one build: how big the instrumentation was, or how well
/// the profile matched the module.
public struct PGOReport: Codable, Sendable, Equatable {
    public var mode: String
    public var profile: String?
    /// Instrumented functions and counters (instrument), or the profile's
    /// records: matched, with changed control flow, and not in the module (use).
    public var functions: Int
    public var counters: Int?
    public var matched: Int?
    public var mismatched: Int?
    public var missing: Int?
    /// Indirect calls the LTO pipeline promoted to guarded direct calls
    /// (which it may then inline), most frequent first.
    public var promoted: [Promotion]?

    /// One promoted call site: in `caller`, the target `callee`, taken
    /// `count` of the site's `total` calls in training.
    public struct Promotion: Codable, Sendable, Equatable {
        public var caller: String
        public var callee: String
        public var count: UInt64
        public var total: UInt64
        /// Whether the call is in the application's own code.
        public var inApplication: Bool

        enum CodingKeys: String, CodingKey {
            case caller, callee, count, total
            case inApplication = "in_application"
        }
    }

    init(instrumented layout: ProfileLayout) {
        mode = "instrument"
        functions = layout.functions.count
        counters = layout.counterCount
    }

    init(profile: String, functions: Int, matched: Int, mismatched: Int, missing: Int) {
        mode = "use"
        self.profile = profile
        self.functions = functions
        self.matched = matched
        self.mismatched = mismatched
        self.missing = missing
    }

    /// Whether records did not apply.
    public var isStale: Bool { (mismatched ?? 0) + (missing ?? 0) > 0 }
}

/// PGO use over the combined module: LLVM's PGOInstrumentationUse sets
/// branch weights, entry counts, the profile summary and indirect-call
/// value profiles, which the LTO pipeline then acts on (inlining hot calls,
/// block placement, indirect-call promotion).
enum ProfileUse {
    static func apply(
        _ profile: String, to module: borrowing Module, machine: TargetMachine, allowStale: Bool
    ) throws -> PGOReport {
        let records = try Profile.read(profile)
        var matched: UInt64 = 0
        var mismatched: UInt64 = 0
        var missing: UInt64 = 0
        ukl_pgo_use(module.handle, machine.ref, profile, &matched, &mismatched, &missing)
        if let error = module.context.takeErrors().first {
            throw UKLError.input(file: profile, reason: error)
        }
        let report = PGOReport(
            profile: profile, functions: records.count, matched: Int(matched), mismatched: Int(mismatched),
            missing: Int(missing))
        if report.isStale && !allowStale {
            throw UKLError.input(file: profile, reason: staleness(report) + "; train it again, or pass --allow-stale")
        }
        return report
    }

    /// Runs the LTO pipeline and collects the remarks of LLVM's indirect-call
    /// promotion (pgo-icall-prom).
    static func runReportingPromotions(
        _ module: borrowing Module, pipeline: String, machine: TargetMachine, options: LLVMPassBuilderOptionsRef,
        isApplication: @escaping (String) -> Bool
    ) -> (LLVMErrorRef?, [PGOReport.Promotion]) {
        final class Sink {
            var promotions: [PGOReport.Promotion] = []
            let isApplication: (String) -> Bool
            init(_ isApplication: @escaping (String) -> Bool) { self.isApplication = isApplication }
        }
        let sink = Sink(isApplication)
        let error = ukl_run_passes_with_remarks(
            module.handle, pipeline, machine.ref, options, "pgo-icall-prom",
            { context, function, arguments in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                var values: [String: String] = [:]
                for line in String(cString: arguments!).split(separator: "\n") {
                    guard let equals = line.firstIndex(of: "=") else { continue }
                    values[String(line[..<equals])] = String(line[line.index(after: equals)...])
                }
                let caller = String(cString: function!)
                sink.promotions.append(
                    .init(
                        caller: caller, callee: values["DirectCallee"] ?? "?",
                        count: UInt64(values["Count"] ?? "") ?? 0, total: UInt64(values["TotalCount"] ?? "") ?? 0,
                        inApplication: sink.isApplication(caller)))
            }, Unmanaged.passUnretained(sink).toOpaque())
        let promotions = sink.promotions.sorted { ($0.count, $1.caller, $1.callee) > ($1.count, $0.caller, $0.callee) }
        return (error, promotions)
    }

    /// "stale: 3 of 2110 functions changed their control flow, 1 is not in the module".
    static func staleness(_ report: PGOReport) -> String {
        "stale: \(report.mismatched ?? 0) of \(report.functions) functions changed their control flow, "
            + "\(report.missing ?? 0) \((report.missing ?? 0) == 1 ? "is" : "are") not in the module "
            + "(changed source, another application or kernel)"
    }
}
