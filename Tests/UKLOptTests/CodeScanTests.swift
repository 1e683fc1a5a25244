import Foundation
import Testing

@testable import UKLOpt

/// The disassembly backstop, on an object assembled by clang-19.
@Suite struct CodeScanTests {
    @Test func findsEveryUserModeEntryAndNothingElse() throws {
        let dir = try Fixtures.scratch()
        let object = dir.appendingPathComponent("entries.o").path
        let assembled = try Fixtures.run(
            Toolchain.clang, ["-c", Fixtures.directory.appendingPathComponent("entries.s").path, "-o", object])
        #expect(assembled.status == 0, "\(assembled.stderr)")
        let findings = try CodeScan.userEntries(
            inObject: try Data(contentsOf: URL(fileURLWithPath: object)), name: object)
        #expect(
            findings.map(\.description) == [
                "'syscall' at uses_syscall+0x5",
                "'int $0x80' at uses_int80+0x0",
                "'sysenter' at uses_sysenter+0x1",
            ])
    }

    @Test func onlyTheApplicationsSymbolsAreRead() throws {
        let dir = try Fixtures.scratch()
        let object = dir.appendingPathComponent("entries.o").path
        _ = try Fixtures.run(
            Toolchain.clang, ["-c", Fixtures.directory.appendingPathComponent("entries.s").path, "-o", object])
        let findings = try CodeScan.userEntries(
            inObject: try Data(contentsOf: URL(fileURLWithPath: object)), name: object,
            isApplication: { $0 == "uses_int80" })
        #expect(findings.map(\.function) == ["uses_int80"])
    }

    @Test func aFileThatIsNotAnObjectIsAnInputError() throws {
        #expect(throws: UKLError.self) {
            try CodeScan.userEntries(inObject: Data("not an object".utf8), name: "junk.o")
        }
    }
}
