import Foundation
import Testing

@testable import UKLOpt

/// Bad input is one line naming the file and the cause, exit status 1, and no
/// output file left behind.
@Suite struct DiagnosticsTests {
    func expectRejected(
        _ input: String, saying reason: String, level: String = "base",
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let output = try Fixtures.scratch().appendingPathComponent("out.bc").path
        let result = try Fixtures.ukl("apply", "--level", level, input, "-o", output)
        #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "not one line: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("ukl-opt: error: \(input): "), sourceLocation: sourceLocation)
        #expect(result.stderr.contains(reason), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: output), "partial output left", sourceLocation: sourceLocation)
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: (output as NSString).deletingLastPathComponent)
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)", sourceLocation: sourceLocation)
    }

    func file(_ name: String, _ contents: Data) throws -> String {
        let path = try Fixtures.scratch().appendingPathComponent(name).path
        try contents.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func missingFile() throws {
        try expectRejected("/nonexistent/app.bc", saying: "no such file")
    }

    @Test func notIR() throws {
        let elf = try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))
        try expectRejected(try file("true.bc", elf), saying: "not LLVM bitcode or textual IR")
    }

    @Test func emptyRandomDirectoryAndBareHeader() throws {
        try expectRejected(try file("empty.bc", Data()), saying: "not LLVM bitcode or textual IR")
        try expectRejected(
            try file("random.bc", Data((0..<256).map { UInt8(($0 * 151 + 7) % 256) })),
            saying: "not LLVM bitcode or textual IR")
        try expectRejected(try file("header.bc", Data([0x42, 0x43, 0xC0, 0xDE])), saying: "malformed bitcode")
        let directory = try Fixtures.scratch().appendingPathComponent("dir.bc").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try expectRejected(directory, saying: "is a directory")
    }

    /// A run that fails leaves an existing output as it was; an output in a
    /// directory that does not exist is one line naming it.
    @Test func outputsAreNeverClobberedOrHalfWritten() throws {
        let dir = try Fixtures.scratch()
        let existing = dir.appendingPathComponent("existing.bc").path
        try "keep".write(toFile: existing, atomically: true, encoding: .utf8)
        let bad = try file("bad.bc", Data("\u{1}\u{2}".utf8))
        let failed = try Fixtures.ukl("apply", "--level", "base", bad, "-o", existing)
        #expect(failed.status == 1)
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep")
        let nowhere = try Fixtures.ukl(
            "apply", "--level", "base", try Fixtures.bitcode("raw_syscalls.c"),
            "-o", "/nonexistent/dir/out.bc")
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr == "ukl-opt: error: /nonexistent/dir/out.bc: cannot write: No such file or directory\n")
    }

    @Test func truncatedBitcode() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.bitcode("raw_syscalls.c")))
        try expectRejected(try file("cut.bc", good.prefix(good.count / 2)), saying: "malformed bitcode")
    }

    @Test func bitcodeFromANewerLLVMIsNamedAsSuch() throws {
        // The Swift toolchain's own clang is LLVM 21.
        let newer = try Fixtures.bitcode("raw_syscalls.c", compiler: Fixtures.swiftToolchainClang)
        try expectRejected(newer, saying: "newer than this tool's LLVM 19; compile it with clang-19")
    }

    @Test func inputThatDoesNotVerify() throws {
        let ir = """
            define i64 @f(i64 %a) {
            entry:
              br label %next
            next:
              %x = add i64 %y, 1
              %y = add i64 %x, %a
              ret i64 %x
            }
            """
        try expectRejected(try file("broken.ll", Data(ir.utf8)), saying: "does not verify")
    }

    @Test func redZoneIsRefusedWithTheFlagToAdd() throws {
        let flags = Fixtures.appFlags.filter { $0 != "-mno-red-zone" }
        let input = try Fixtures.bitcode("raw_syscalls.c", flags: flags)
        try expectRejected(input, saying: "may use the red zone; compile with -mno-red-zone")
    }

    @Test func linuxLevelRewritesNothing() throws {
        let result = try Fixtures.ukl(
            "apply", "--level", "linux", try Fixtures.bitcode("raw_syscalls.c"), "-o", "/dev/null")
        #expect(result.status == 1)
        #expect(
            result.stderr == "ukl-opt: error: --level linux: rewrites nothing; choose base, bypass, nss or shortcut\n")
    }

    /// Only bitcode has a magic number; text IR is for LLVM's parser to judge,
    /// whatever its first character.
    @Test(arguments: ["%pair = type { i64, i64 }\n", "$c = comdat any\n", "\tdeclare void @f()\n"])
    func textIRMayStartWithAnything(ir: String) throws {
        let path = try file("start.ll", Data(ir.utf8))
        let result = try Fixtures.ukl("inspect", path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("0 syscall sites"))
    }

    @Test func anUnknownLevelIsBadInputBeforeAnyWork() throws {
        let result = try Fixtures.ukl("compare", "--levels", "linux,bse", "--quiet")
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "ukl-opt: error: --levels: unknown level 'bse' (have: linux, base, bypass, nss, shortcut)\n")
    }

    /// A command line ArgumentParser rejects is bad input too: one line, exit 1.
    @Test(arguments: [
        ["apply", "--level", "bse", "app.bc", "-o", "out.bc"],
        ["build", "--level", "bse", "--app", "hello", "-o", "image"],
        ["run", "--level", "bse", "--app", "hello"],
    ])
    func anUnknownLevelOptionIsOneLine(arguments: [String]) throws {
        let result = try Fixtures.ukl(arguments)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("ukl-opt: error: ") && result.stderr.contains("'bse'"), "\(result.stderr)")
        #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr)")
    }

    @Test func conflictingOptionsAreRefusedBeforeAnyWork() throws {
        let result = try Fixtures.ukl(
            "lto", "--kernel", "/nonexistent", "--passes", "lto", "--pipeline", "default<O2>", "-o", "/dev/null")
        #expect(result.status == 1)
        #expect(result.stderr == "ukl-opt: error: --passes lto: conflicts with --pipeline: give one or the other\n")
    }

    @Test func textIRWorksLikeBitcode() throws {
        let dir = try Fixtures.scratch()
        let text = dir.appendingPathComponent("app.ll").path
        let result = try Fixtures.ukl(
            "apply", "--level", "nss", try Fixtures.bitcode("raw_syscalls.c"), "-S", "-o", text)
        #expect(result.status == 0)
        let again = try Fixtures.ukl("inspect", text)
        #expect(again.status == 0)
        #expect(again.stdout.contains("0 syscall sites"))
    }
}

/// A program ukl-opt runs that fails is named, with its status and last
/// lines, and is not passed off as ukl-opt's own internal error.
@Suite struct CommandFailureTests {
    @Test func aFailingProgramIsNamedWithItsLastLines() throws {
        do {
            try Shell.run("sh", ["-c", "echo first >&2; echo 'the real reason' >&2; exit 7"])
            Issue.record("no error")
        } catch let error as UKLError {
            #expect(error == .command(program: "sh", status: 7, tail: "first\nthe real reason"))
            #expect(error.description == "sh failed (exit status 7); its last lines:\nfirst\nthe real reason")
            #expect(!error.description.contains("internal error"))
            #expect(error.exitCode == 2)
        }
    }

    /// The one runner ends a program that runs past its time limit, and says so.
    @Test func aProgramPastItsTimeLimitIsEndedAndNamed() throws {
        let started = Date()
        do {
            try Shell.run("sh", ["-c", "echo waiting >&2; exec sleep 30"], timeout: 1)
            Issue.record("no error")
        } catch let error as UKLError {
            #expect(
                error.description.hasPrefix("sh failed (exit status 15); its last lines:\nwaiting\n")
                    && error.description.hasSuffix("(stopped: it did not finish within 1 s)"), "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// A program deaf to SIGTERM is killed after the grace period.
    @Test func aProgramThatIgnoresSIGTERMIsKilled() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "trap '' TERM; while :; do :; done"]
        let ending = try Shell.Running(process).wait(timeout: 0.5)
        #expect(ending == .timedOut)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
    }
}
