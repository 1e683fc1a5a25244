import CLLVMBridge
import Foundation
import Testing

@testable import UKLOpt

/// Profile-guided rebuilds: the instrumentation the tool lowers itself, the
/// profile it writes, stale profiles, and (in a guest) a profile from a
/// real run used for a rebuild that prints what the plain build prints.
@Suite struct PGOTests {
    /// A program with a loop, a branch, an indirect call, a variable-size
    /// copy (a memory-operation site) and early code that must stay
    /// uninstrumented, as the kernel's .head.text.
    static func source(changed: Bool = false) -> String {
        """
        static int twice(int x) { return 2 * x; }
        static int thrice(int x) { return 3 * x; }
        int (*volatile pick)(int) = twice;
        char buffer[64], copy[64];
        volatile int size = 10;
        __attribute__((noinline)) int helper(int x) { return x + 1; }
        __attribute__((section(".head.text"))) int early(int x) { return helper(x); }
        \(changed ? "" : "__attribute__((noinline)) int gone(int x) { return x ^ 5; }")
        __attribute__((noinline)) int work(int n) {
            int sum = 0;
            for (int i = 0; i < n; i++)
                sum += \(changed ? "i > 3 ? pick(i) : i" : "pick(i)");
            __builtin_memcpy(copy, buffer, size);
            return sum;
        }
        int main(void) { return work(100) + early(1)\(changed ? "" : " + gone(2)"); }
        """
    }

    /// One directory for every compile: a static function's PGO name
    /// carries its source file's path.
    static let directory = try! Fixtures.scratch()

    static func module(changed: Bool = false) throws -> Module {
        let name = changed ? "changed" : "pgo"
        let input = directory.appendingPathComponent("\(name).c").path
        try source(changed: changed).write(toFile: input, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("\(name).bc").path
        // Both as pgo.c, as one file before and after an edit.
        let result = try Fixtures.run(
            Toolchain.clang, Fixtures.appFlags + ["-c", "-emit-llvm", input, "-o", output],
            in: directory.path)
        guard result.status == 0 else { throw Fixtures.FixtureError(message: result.stderr) }
        let module = try Module.load(output)
        LLVMSetSourceFileName(module.handle, "pgo.c", 5)
        return module
    }

    static func machine(for module: borrowing Module) throws -> TargetMachine {
        try TargetMachine(triple: module.triple)
    }

    /// The intrinsics become loads and stores of one counter array and
    /// calls of the value routine; the early code and what it calls get none.
    @Test func instrumentationIsLoweredIntoTwoArrays() throws {
        let module = try Self.module()
        let layout = try Instrumentation.instrument(module, machine: try Self.machine(for: module), start: "main")
        let ir = module.text
        #expect(!ir.contains("llvm.instrprof"), "intrinsics left")
        #expect(!ir.contains("__profn_") && !ir.contains("__llvm_profile_raw_version"))
        #expect(ir.contains("@__ukl_pgo_counters = global [\(layout.counterCount) x i64] zeroinitializer"))
        #expect(ir.contains("@__ukl_pgo_values = global [\(layout.siteCount * layout.slotsPerSite) x [2 x i64]]"))
        #expect(ir.contains("call void @__ukl_pgo_value("))
        let names = layout.functions.map(\.name)
        #expect(names.contains("main") && names.contains("work"))
        #expect(!names.contains("early") && !names.contains("helper"), "early code instrumented: \(names)")
        let work = try #require(layout.functions.first { $0.name == "work" })
        #expect(work.sites == 1, "\(work)")
        #expect(work.memopSites == 1, "\(work)")
        #expect(work.counters > 1, "\(work)")
        #expect(layout.counterCount == layout.functions.reduce(0) { $0 + $1.counters })
        // A static function's PGO name carries its file.
        #expect(layout.localNames["twice"]?.hasSuffix(";twice") == true)
        // Zeroed where the application starts, before anything counts.
        let main = module.function(named: "main")
        let first = main?.instructions.first?.calledValue.flatMap { Function($0) }
        #expect(first?.name.hasPrefix("llvm.memset") == true)
    }

    /// Writes a profile as if `work` had run 100 times with `twice` as the
    /// target of every indirect call.
    static func writeProfile(to path: String) throws -> ProfileLayout {
        let module = try Self.module()
        let layout = try Instrumentation.instrument(module, machine: try Self.machine(for: module), start: "main")
        let counters = [UInt64](repeating: 100, count: layout.counterCount)
        var slots = [UInt64](repeating: 0, count: layout.siteCount * layout.slotsPerSite * 2)
        let work = try #require(layout.functions.first { $0.name == "work" })
        slots[work.firstSite * layout.slotsPerSite * 2] = 0x1000
        slots[work.firstSite * layout.slotsPerSite * 2 + 1] = 100
        try Profile.write(
            layout: layout, counters: counters, slots: slots, symbols: [0x1000: "twice"], to: path)
        return layout
    }

    /// llvm-profdata-19 reads what the tool writes, values included, and so does the tool.
    @Test func llvmProfdataReadsTheProfile() throws {
        let path = try Fixtures.scratch().appendingPathComponent("p.profdata").path
        let layout = try Self.writeProfile(to: path)
        let shown = try Fixtures.run("llvm-profdata-19", ["show", "--all-functions", "--ic-targets", path])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("Instrumentation level: IR"))
        #expect(shown.stdout.contains("work:"))
        let twice = try #require(layout.localNames["twice"])
        #expect(shown.stdout.contains("\(twice),        100 ]"), "\(shown.stdout)")
        let records = try Profile.read(path)
        #expect(Set(records.map(\.name)) == Set(layout.functions.map(\.name)))
        #expect(records.first { $0.name == "work" }?.indirectCalls == 100)
    }

    /// The same module takes every record; a changed one is refused with
    /// the counts, unless stale profiles are allowed.
    @Test func aStaleProfileIsReportedWithItsCounts() throws {
        let path = try Fixtures.scratch().appendingPathComponent("p.profdata").path
        let layout = try Self.writeProfile(to: path)

        let same = try Self.module()
        let report = try ProfileUse.apply(path, to: same, machine: try Self.machine(for: same), allowStale: false)
        #expect(report.matched == layout.functions.count && !report.isStale)
        #expect(same.text.contains("!{!\"function_entry_count\""))
        #expect(same.text.contains("!{!\"VP\", i32 0, i64 100"), "no indirect-call value profile")
        // The LTO pipeline promotes the indirect call to the one target the profile saw.
        let options = LLVMCreatePassBuilderOptions()!
        defer { LLVMDisposePassBuilderOptions(options) }
        let (error, promoted) = ProfileUse.runReportingPromotions(
            same, pipeline: "lto<O2>", machine: try Self.machine(for: same), options: options,
            isApplication: { $0 == "work" })
        #expect(error == nil)
        #expect(
            promoted == [.init(caller: "work", callee: "twice", count: 100, total: 100, inApplication: true)])

        let changed = try Self.module(changed: true)
        let machine = try Self.machine(for: changed)
        do {
            _ = try ProfileUse.apply(path, to: changed, machine: machine, allowStale: false)
            Issue.record("a stale profile was used")
        } catch let error as UKLError {
            #expect(
                error
                    == .input(
                        file: path,
                        reason: "stale: 1 of \(layout.functions.count) functions changed their control flow, "
                            + "1 is not in the module (changed source, another application or kernel); "
                            + "train it again, or pass --allow-stale"))
        }
        let allowed = try Self.module(changed: true)
        let stale = try ProfileUse.apply(path, to: allowed, machine: machine, allowStale: true)
        #expect(stale.mismatched == 1 && stale.missing == 1 && stale.matched == layout.functions.count - 2)
    }

    @Test func whatIsNoProfileIsNamed() throws {
        let path = try Fixtures.scratch().appendingPathComponent("random.profdata").path
        try Data("not a profile at all\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: UKLError.self) { try Profile.read(path) }
        do {
            _ = try Profile.read(path)
        } catch let error as UKLError {
            guard case .input(let file, let reason) = error else { throw error }
            #expect(file == path && reason.hasPrefix("not a profile LLVM 19 reads"))
        }
        #expect(throws: UKLError.input(file: "/nonexistent.profdata", reason: "no such file")) {
            try Profile.read("/nonexistent.profdata")
        }
    }

    static let enabled = ProcessInfo.processInfo.environment["UKL_KERNEL_BUILD"] != nil

    /// A profile from a real run: Tests/Fixtures/process/app.c (threads,
    /// signals, a fault, a sidecar) trained at nss; the instrumented image
    /// and the image built with the profile print what the plain one does.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func aProfileFromTheGuestRebuildsTheSameProgram() throws {
        let app = Fixtures.directory.appendingPathComponent("process/app.c").path
        let helper = Fixtures.directory.appendingPathComponent("process/helper.c").path
        let profile = try Fixtures.scratch().appendingPathComponent("process.profdata").path
        let image = ["--level", "nss", "--app", app, "--sidecar", helper]
        let plain = try Fixtures.run(Fixtures.tool, ["run", "--quiet"] + image)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.hasSuffix("done\n"))

        let trained = try Fixtures.run(Fixtures.tool, ["pgo", "train", "--quiet", "-o", profile] + image)
        #expect(trained.status == 0, "\(trained.stderr)")
        let shown = try Fixtures.run("llvm-profdata-19", ["show", "--function=ukl_app.work", "--counts", profile])
        #expect(shown.status == 0 && shown.stdout.contains("Functions shown: 1"), "\(shown.stdout)\(shown.stderr)")
        let summary = try Profile.summary(profile)
        #expect(summary.functions > 100 && summary.indirectCalls > 0)

        let optimized = try Fixtures.run(Fixtures.tool, ["run", "--quiet", "--profile", profile] + image)
        #expect(optimized.status == 0, "\(optimized.stderr)")
        #expect(optimized.stdout == plain.stdout)

        // Another application's module does not match it: its functions are
        // not there. (Another level's does: the tiers change calls, not
        // control flow, so a profile trained at nss applies at base too.)
        let other = try Fixtures.run(
            Fixtures.tool, ["run", "--quiet", "--profile", profile, "--level", "nss", "--app", "hello"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("stale: "), "\(other.stderr)")
        #expect(other.stderr.contains(" not in the module"), "\(other.stderr)")
    }

    /// The bundled profiles (profiles/syscall-bench.LEVEL.profdata) still
    /// match every UKL level's module: `compare --pgo` uses them, refusing a
    /// stale one, and each level's build with its profile prints the same
    /// ops as without. Training nss again gives the very same file: a
    /// profile is a function of the image alone.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func theBundledProfilesAreCurrentAndTrainAgainToTheSameBytes() throws {
        let work = try Fixtures.scratch()
        let json = work.appendingPathComponent("compare.json").path
        let compare = try Fixtures.run(
            Fixtures.tool, ["compare", "--quiet", "--pgo", "--levels", "base,bypass,nss,shortcut", "--json", json])
        #expect(compare.status == 0, "\(compare.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        let levels = try #require(
            (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["levels"] as? [[String: Any]])
        #expect(levels.count == 8)
        for pair in stride(from: 0, to: levels.count - 1, by: 2) {
            let plain = levels[pair]
            let pgo = levels[pair + 1]
            let level = plain["level"] as? String ?? "?"
            #expect(pgo["pgo"] as? Bool == true && pgo["level"] as? String == level)
            #expect((pgo["profile"] as? String)?.hasSuffix("profiles/syscall-bench.\(level).profdata") == true)
            let use = pgo["profile_use"] as? [String: Any]
            #expect(use?["mismatched"] as? Int == 0 && use?["missing"] as? Int == 0, "\(level): \(use ?? [:])")
            let plainOps = (plain["ops"] as? [String: Int]).map { Set($0.keys) }
            #expect(plainOps != nil && plainOps == (pgo["ops"] as? [String: Int]).map { Set($0.keys) }, "\(level)")
        }

        let bundled = Fixtures.root.appendingPathComponent("profiles/syscall-bench.nss.profdata")
        let trained = work.appendingPathComponent("nss.profdata").path
        let train = try Fixtures.run(
            Fixtures.tool, ["pgo", "train", "--quiet", "--level", "nss", "--app", "syscall-bench", "-o", trained])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(
            FileManager.default.contents(atPath: trained) == (try Data(contentsOf: bundled)),
            "a fresh nss profile differs from the bundled one: train them again (scripts/train-profiles.sh)")
    }
}
