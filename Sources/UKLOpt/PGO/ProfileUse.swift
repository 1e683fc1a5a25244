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

    /// "stale: 3 of 2110 functions changed their control flow, 1 is not in the module".
    static func staleness(_ report: PGOReport) -> String {
        "stale: \(report.mismatched ?? 0) of \(report.functions) functions changed their control flow, "
            + "\(report.missing ?? 0) \((report.missing ?? 0) == 1 ? "is" : "are") not in the module "
            + "(another level, kernel or source)"
    }
}
