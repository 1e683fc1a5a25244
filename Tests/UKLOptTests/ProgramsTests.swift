import Foundation
import Testing

@testable import UKLOpt

/// Sidecars are checked before anything is built: a file that is not a
/// static x86-64 executable is refused with one line naming it and why.
@Suite struct ProgramsTests {
    func refusal(_ path: String) -> String? {
        do {
            try Programs.checkStaticExecutable(path)
            return nil
        } catch let error as UKLError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    /// A tiny program linked by clang-19 with `options`.
    func program(_ options: String...) throws -> String {
        let dir = try Fixtures.scratch()
        let source = dir.appendingPathComponent("tiny.c")
        try "int main(void) { return 0; }\n".write(to: source, atomically: true, encoding: .utf8)
        let program = dir.appendingPathComponent("tiny").path
        let cc = try Fixtures.run(Toolchain.clang, options + ["-O2", source.path, "-o", program])
        try #require(cc.status == 0, "\(cc.stderr)")
        return program
    }

    @Test func aStaticProgramIsAccepted() throws {
        #expect(refusal(try program("-static")) == nil)
    }

    @Test func aDynamicProgramIsRefused() throws {
        let dynamic = try program("-no-pie")
        #expect(
            refusal(dynamic)
                == "\(dynamic): dynamically linked (PT_INTERP); the image has no loader: link it with -static")
        let pie = try program("-pie", "-fPIE")
        #expect(refusal(pie) == "\(pie): not a static executable (ELF type 3, not EXEC)")
    }

    @Test func otherFilesAreRefused() throws {
        let dir = try Fixtures.scratch()
        let text = dir.appendingPathComponent("notes.txt").path
        try "hello\n".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(refusal(text) == "\(text): not an ELF executable (a sidecar is a static program or a C file)")
        #expect(refusal(dir.path) == "\(dir.path): is a directory")
        #expect(refusal(dir.appendingPathComponent("missing").path)?.hasSuffix(": no such file") == true)
        #expect(Programs.sidecarName("/x/load-generator.c") == "load-generator")
        #expect(Programs.sidecarName("/x/health") == "health")
    }
}
