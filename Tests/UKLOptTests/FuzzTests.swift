import Foundation
import Testing

@testable import UKLOpt

/// Mutation fuzzing of every parser the project writes itself: the contract,
/// the syscall table, asm constraints and statements, the guest's measurement
/// lines, ar archives and the cc driver's command line. Inputs come from
/// valid seeds by deterministic mutations (a fixed PRNG seed), so a failure
/// repeats; a parser may reject an input, never trap. UKL_FUZZ_ITERATIONS sets
/// the budget per target (default 3000).
@Suite struct FuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["UKL_FUZZ_ITERATIONS"] ?? "") ?? 3000

    /// SplitMix64: small, fast and the same everywhere.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    /// Bytes parsers care about: digits, signs, separators, quotes, brackets.
    static let interesting = Array("0123456789-+/ \n\t,{}[]\":=~*&%!<>#$".utf8) + [0, 0x7F, 0xFF]

    static func mutate(_ input: [UInt8], seeds: [[UInt8]], random: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) {
            let at = random.below(bytes.count + 1)
            switch random.below(7) {
            case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1 << random.below(8))
            case 1 where !bytes.isEmpty:
                bytes[min(at, bytes.count - 1)] = interesting[random.below(interesting.count)]
            case 2: bytes.insert(interesting[random.below(interesting.count)], at: at)
            case 3 where !bytes.isEmpty:
                bytes.removeSubrange(min(at, bytes.count - 1)..<min(bytes.count, at + 1 + random.below(16)))
            case 4 where !bytes.isEmpty:
                let start = random.below(bytes.count)
                let chunk = bytes[start..<min(bytes.count, start + 1 + random.below(32))]
                bytes.insert(contentsOf: chunk, at: at)
            case 5: bytes = Array(bytes.prefix(at))
            default:
                let other = seeds[random.below(seeds.count)]
                bytes = Array(bytes.prefix(at)) + other.suffix(max(0, other.count - random.below(other.count + 1)))
            }
        }
        return bytes
    }

    /// Runs `body` on the seeds and `iterations` mutations of them; returns how many inputs were tried.
    @discardableResult
    static func fuzz(_ name: String, seeds: [[UInt8]], _ body: ([UInt8]) -> Void) -> Int {
        var random = Random(state: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        var corpus = seeds
        for seed in seeds { body(seed) }
        for _ in 0..<iterations {
            let input = mutate(corpus[random.below(corpus.count)], seeds: seeds, random: &random)
            body(input)
            if corpus.count < 256 && random.below(8) == 0 { corpus.append(input) }
        }
        print("fuzz: \(name): \(seeds.count + iterations) inputs")
        return seeds.count + iterations
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func contract() throws {
        let seed = try Data(contentsOf: DataDirectory.file("kernel-shortcuts/contract.json"))
        Self.fuzz("contract", seeds: [Array(seed)]) { _ = try? Contract(json: Data($0), file: "fuzz") }
    }

    @Test func syscallTable() throws {
        let seed = try String(contentsOf: DataDirectory.file("kernel-shortcuts/syscall_64.txt"), encoding: .utf8)
        let lines = seed.split(separator: "\n")
        let seeds = [Array(seed.utf8), Array(lines.prefix(20).joined(separator: "\n").utf8)]
        Self.fuzz("syscall table", seeds: seeds) { _ = try? SyscallTable(parsing: Self.text($0), file: "fuzz") }
    }

    @Test func asmConstraintsAndStatements() {
        let seeds = [
            "={ax},{ax},{di},{si},{dx},{r10},{r8},{r9},~{rcx},~{r11},~{memory},~{dirflag},~{fpsr},~{flags}",
            "=a,0,D,S,d,~{rcx},~{r11}", "=&r,*m,{r10d},{r9b}", "1: syscall # comment\n\tsyscall; nop",
            "movq $$ukl_entry_SYSCALL_64, %rcx\n\tcall *%rcx",
        ].map { Array($0.utf8) }
        Self.fuzz("asm constraints", seeds: seeds) { bytes in
            let text = Self.text(bytes)
            let constraints = AsmConstraints(text)
            _ = constraints.argument(in: "ax")
            _ = asmExecutesSyscall(text)
            _ = asmReplacingSyscall(text, with: "call *%rcx")
        }
    }

    @Test func measurementLines() {
        let seeds = ["getppid 198\nwrite 690\nread 698\n", "echo 15219", "a 1\nb -2\n"].map { Array($0.utf8) }
        Self.fuzz("measurement lines", seeds: seeds) { _ = Guest.measurements(in: Self.text($0)) }
    }

    @Test func transitionReports() {
        let total = TransitionsTests.line("total", ["syscall": 1862, "swapgs": 9026])
        let op = TransitionsTests.line("op 1 windows 200 mode 198", ["syscall": 1, "sysret": 1])
        let seeds = [total, total + "\n" + op].map { Array($0.utf8) }
        Self.fuzz("transition reports", seeds: seeds) { bytes in
            _ = Transitions(report: Self.text(bytes))?.byOperation(output: "getppid 207\n")
        }
    }

    @Test func archives() throws {
        let dir = try Fixtures.scratch()
        let object = dir.appendingPathComponent("a.o").path
        try Data("int f(void) { return 1; }\n".utf8).write(to: dir.appendingPathComponent("f.c"))
        _ = try Fixtures.run(
            Toolchain.clang, ["-c", "-emit-llvm", dir.appendingPathComponent("f.c").path, "-o", object])
        let archive = dir.appendingPathComponent("libf.a").path
        _ = try Fixtures.run(Toolchain.tool("llvm-ar"), ["rcs", archive, object])
        let longName = dir.appendingPathComponent("a-member-with-a-long-name.o").path
        try FileManager.default.copyItem(atPath: object, toPath: longName)
        let long = dir.appendingPathComponent("liblong.a").path
        _ = try Fixtures.run("ar", ["rc", long, longName, object])
        let seeds = try [archive, long].map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        // Thin archives name files: let their members resolve nowhere.
        Self.fuzz("ar archives", seeds: seeds) {
            _ = try? Archive.members(in: Data($0), path: "/nonexistent-fuzz/lib.a")
        }
    }

    @Test func ccCommandLines() {
        let seeds = [
            "-O2 -c main.c -o main.o", "main.o util.o -L. -lcheck -lm -Wl,--gc-sections -o app.bc",
            "-E -MD -MF x.d -I include -D X=1 x.c", "-fPIC -c x.c", "-mcmodel=large x.o -o y",
        ].map { Array($0.utf8) }
        Self.fuzz("cc command lines", seeds: seeds) { bytes in
            let arguments = Self.text(bytes).split(separator: " ").map(String.init)
            _ = try? CompilerDriver(arguments: arguments)
        }
    }
}
