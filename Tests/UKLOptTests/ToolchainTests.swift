import Testing

@testable import UKLOpt

/// One LLVM: the library ukl-opt links and the tools it runs are the same
/// major version, the one `Toolchain` names.
struct ToolchainTests {
    @Test func theLinkedLLVMAndTheToolsAreOneVersion() throws {
        #expect(Toolchain.linkedMajor == Toolchain.major)
        let version = try Fixtures.run(Toolchain.clang, ["--version"])
        #expect(version.stdout.contains("clang version \(Toolchain.major)."), "\(version.stdout)")
    }
}
