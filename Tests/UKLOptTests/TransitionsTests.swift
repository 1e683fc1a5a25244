import Foundation
import Testing

@testable import UKLOpt

/// The transition counter (a QEMU plugin) and what ukl-opt reads from it.
@Suite struct TransitionsTests {
    static func line(_ head: String, _ values: [String: Int] = [:]) -> String {
        head + Transitions.classes.map { " \($0)=\(values[$0] ?? 0)" }.joined()
    }

    @Test func aReportIsReadWholeOrNotAtAll() throws {
        let report = [
            Self.line("total", ["syscall": 1862, "sysret": 1859]),
            Self.line("op 1 windows 200 mode 198", ["syscall": 1, "sysret": 1, "swapgs": 2]),
            Self.line("op 3 windows 200 mode 200"),
        ].joined(separator: "\n")
        let read = try #require(Transitions(report: report))
        #expect(read.total["syscall"] == 1862)
        #expect(read.ops.map(\.index) == [1, 3])
        #expect(read.ops[0].windows == 200 && read.ops[0].mode == 198)
        // Op K is the K-th measurement line; an op past the last line has no name.
        let byName = read.byOperation(output: "getppid 207\nlog line\nwrite 717\n")
        #expect(byName.keys.sorted() == ["getppid"])
        #expect(Transitions.summary(byName["getppid"]!) == "1 syscall + 1 sysret + 2 swapgs")
        #expect(Transitions.summary(read.ops[1].counts) == "0")

        for bad in [
            "", "op 1 windows 2 mode 1 syscall=1", Self.line("total") + "\n" + Self.line("total"),
            Self.line("total") + " syscall=1", Self.line("total").replacingOccurrences(of: "clac=0", with: "clac=-1"),
            Self.line("total") + "\n" + Self.line("op 0 windows 1 mode 1"),
            Self.line("total") + "\n" + Self.line("op 2 windows 1 mode 2"),
            Self.line("total") + "\n" + Self.line("op 2 windows 1 mode 1") + "\n" + Self.line("op 2 windows 1 mode 1"),
        ] {
            #expect(Transitions(report: bad) == nil, "\(bad)")
        }
    }

    @Test func theInterruptEntriesComeFromSystemMap() {
        let map = """
            ffffffff81000000 T _text
            ffffffff81a00010 T asm_exc_page_fault
            ffffffff81a00200 t asm_sysvec_apic_timer_interrupt
            ffffffff81a00300 T asm_common_interrupt
            ffffffff81a00400 D asm_exc_not_code
            ffffffff81a00500 T entry_SYSCALL_64
            """
        #expect(
            Transitions.entryPoints(systemMap: map) == ["ffffffff81a00010", "ffffffff81a00200", "ffffffff81a00300"])
    }

    struct Run: Decodable {
        let status: Int?
        let output: String
        let failure: String?
        let transitions: [String: [String: Int]]?
        let transitionTotals: [String: Int]?

        // A snake_case decoder would rewrite the class names (dictionary keys) too.
        enum CodingKeys: String, CodingKey {
            case status, output, failure, transitions
            case transitionTotals = "transition_totals"
        }
    }

    /// Exact for a fixture whose transitions are known, and invisible to
    /// the guest: the same instructions with the counter loaded and without.
    @Test(.enabled(if: GuestTests.enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func knownTransitionsAreCountedExactlyAndChangeNothing() throws {
        let app = try Fixtures.cc("transitions.c")
        func run(_ level: Level, _ extra: String...) throws -> Fixtures.Result {
            try Fixtures.ukl(
                ["run", "--quiet", "--level", level.rawValue, "--app", app, "--timeout", "240"] + extra)
        }
        for level in [Level.linux, .nss] {
            let counted = try run(level, "--json")
            #expect(counted.status == 0, "\(level): \(counted.stderr)")
            let report = try JSONDecoder().decode(Run.self, from: Data(counted.stdout.utf8))
            let plain = try run(level)
            #expect(plain.status == 0, "\(level): \(plain.stderr)")
            #expect(report.output == plain.stdout, "\(level): the counter changed what the guest executed")
            let calls = try #require(report.transitions?["calls"], "\(level): \(counted.stdout.prefix(2000))")
            let expected = level == .linux ? ["syscall": 10, "sysret": 10, "swapgs": 20] : [:]
            for name in Transitions.classes where ["syscall", "sysret", "swapgs", "iret", "mov_cr3"].contains(name) {
                #expect(calls[name] == expected[name, default: 0], "\(level) \(name): \(calls)")
            }
            #expect((report.transitionTotals?["syscall"] ?? 0) > 0, "\(level): the boot makes system calls")
        }
    }
}
