import Foundation
import Testing
@testable import UKLOpt

/// `lto` checks an application before any kernel work and names the clang
/// option that fixes it, instead of passing LLVM's linker message through.
@Suite struct AppABITests {
    func lto(_ app: String) throws -> Fixtures.Result {
        try Fixtures.ukl("lto", "--quiet", "--kernel", "/nonexistent-kernel", app, "-o", "/dev/null")
    }

    @Test(arguments: [
        ("-fshort-wchar", "module flag 'wchar_size' is 4, the kernel needs 2"),
        ("-mcmodel=kernel", "module flag 'Code Model' is absent, the kernel needs 2"),
        ("-fno-pic", "module flag 'PIC Level' is 2, the kernel needs absent"),
        ("-mno-red-zone", "may use the red zone"),
    ])
    func missingFlagIsNamed(flag: String, message: String) throws {
        var flags = Fixtures.appFlags.filter { $0 != flag }
        if flag == "-fno-pic" { flags.append("-fPIC") }
        let app = try Fixtures.bitcode("kernel_calls.c", flags: flags)
        let result = try lto(app)
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains("compile with \(flag)"), "\(result.stderr)")
    }

    @Test func syscallInstructionsAreRefused() throws {
        let result = try lto(try Fixtures.bitcode("raw_syscalls.c"))
        #expect(result.status == 1)
        #expect(result.stderr.contains("syscall site(s) left"))
        #expect(result.stderr.contains("ukl-opt apply"))
    }

    @Test func aCleanAppGetsAsFarAsTheKernel() throws {
        let result = try lto(try Fixtures.bitcode("kernel_calls.c"))
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent-kernel: not a built kernel tree"), "\(result.stderr)")
    }

    @Test func appSymbolsLeaveTheKernelNamespace() throws {
        let context = Context()
        let contract = try Contract.load()
        let app = try #require(try LTO.prepareApps([try Fixtures.bitcode("kernel_calls.c")], context: context, contract: contract))
        let text = app.text
        #expect(text.contains("define dso_local i32 @ukl_app_main()"))
        #expect(!text.contains("@main("))
        // The app's strlen would clash with the kernel's: it becomes internal and prefixed.
        #expect(text.contains("define internal i64 @ukl_app.strlen("))
        #expect(text.contains("null_pointer_is_valid"))
        #expect(LTO.kernelCalls(in: app, contract: contract) == ["jiffies_to_msecs": 1])
    }
}
