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

    /// musl's wchar_t is 4 bytes, the kernel's 2: lto gives the hidden
    /// application the kernel's flag so the module linker accepts the pair.
    @Test func wcharSizeIsReconciled() throws {
        let app = try Fixtures.bitcode("kernel_calls.c", flags: Fixtures.appFlags.filter { $0 != "-fshort-wchar" })
        let prepared = try #require(try LTO.prepareApps([app], context: Context(), contract: try Contract.load()))
        #expect(prepared.flag("wchar_size") == 2)
    }

    /// The backstop reads machine code, not asm text: two bytes of module asm
    /// that apply cannot see are refused, with the function named.
    @Test func aHiddenSyscallIsRefusedByDisassembly() throws {
        let result = try lto(try Fixtures.bitcode("hidden_syscall.c"))
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "hidden_syscall.bc: its machine code enters the kernel from user mode: 'syscall' at sneaky+0x5"),
            "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// An alias the application defines is hidden like a function: it would
    /// clash with the kernel's namespace too.
    @Test func aliasesLeaveTheKernelNamespace() throws {
        let source =
            "int f(void) { return 1; }\nint memory_total(void) __attribute__((alias(\"f\")));\nint main(void) { return memory_total(); }\n"
        let app = try Fixtures.bitcode("alias.c", source: source)
        let prepared = try #require(try LTO.prepareApps([app], context: Context(), contract: try Contract.load()))
        #expect(prepared.text.contains("@ukl_app.memory_total = internal alias"), "\(prepared.text)")
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
        let app = try #require(
            try LTO.prepareApps([try Fixtures.bitcode("kernel_calls.c")], context: context, contract: contract))
        let text = app.text
        #expect(text.contains("define dso_local i32 @ukl_app_main()"))
        #expect(!text.contains("@main("))
        // The app's strlen would clash with the kernel's: it becomes internal and prefixed.
        #expect(text.contains("define internal i64 @ukl_app.strlen("))
        #expect(text.contains("null_pointer_is_valid"))
        #expect(LTO.kernelCalls(in: app, contract: contract) == ["jiffies_to_msecs": 1])
    }
}
