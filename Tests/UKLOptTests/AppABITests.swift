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
        let prepared = try LTO.prepareApps([app], context: Context(), contract: try Contract.load())
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
        let prepared = try LTO.prepareApps([app], context: Context(), contract: try Contract.load())
        #expect(prepared.text.contains("@ukl_app.memory_total = internal alias"), "\(prepared.text)")
    }

    /// A kernel without the UKL patches: a tree with a vmlinux.a of one
    /// bitcode module and the kernel's vmlinux.o command. lto names the
    /// symbol the rewritten application needs and the level, after the link
    /// and before any optimizing.
    @Test func aKernelWithoutTheUKLSymbolsIsNamed() throws {
        let tree = try Self.kernelWithoutUKL()
        let app = tree.appendingPathComponent("app.bc").path
        let applied = try Fixtures.ukl("apply", "--level", "bypass", try Fixtures.bitcode("hello_ukl.c"), "-o", app)
        try #require(applied.status == 0, "\(applied.stderr)")
        let result = try Fixtures.ukl("lto", "--quiet", "--kernel", tree.path, app, "-o", "/dev/null")
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "ukl-opt: error: \(tree.path): the kernel defines no 'ukl_bypass_write', which level bypass calls: "
                + "not built with the UKL patches (scripts/kernel-build.sh builds one)\n")
    }

    /// Kernel directories lto cannot use, each one line naming the directory
    /// and the cause: not a kernel build at all, and one built without LTO
    /// (its vmlinux.a holds ELF objects, no bitcode).
    @Test func kernelTreesThatCannotBeUsedAreNamed() throws {
        let app = try Fixtures.scratch().appendingPathComponent("app.bc").path
        let applied = try Fixtures.ukl("apply", "--level", "base", try Fixtures.bitcode("hello_ukl.c"), "-o", app)
        try #require(applied.status == 0, "\(applied.stderr)")

        let empty = try Fixtures.scratch()
        let notATree = try Fixtures.ukl("lto", "--quiet", "--kernel", empty.path, app, "-o", "/dev/null")
        #expect(notATree.status == 1)
        #expect(
            notATree.stderr
                == "ukl-opt: error: \(empty.path): not a built kernel tree (no vmlinux.a); run scripts/kernel-build.sh\n"
        )

        let withoutLTO = try Self.kernelWithoutUKL(emitLLVM: false)
        let result = try Fixtures.ukl("lto", "--quiet", "--kernel", withoutLTO.path, app, "-o", "/dev/null")
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "ukl-opt: error: vmlinux.a: no bitcode members: was the kernel built with CONFIG_LTO_CLANG_FULL?\n")
    }

    /// A tree with a vmlinux.a of one bitcode module (built with `flags`)
    /// and the kernel's vmlinux.o command: enough for lto to run through.
    static func kernelWithoutUKL(flags: [String] = Fixtures.appFlags, emitLLVM: Bool = true) throws -> URL {
        let tree = try Fixtures.scratch()
        let source = "int jiffies_to_msecs(unsigned long j) { return j; }\n"
        let member: String
        if emitLLVM {
            member = try Fixtures.bitcode("kernel.c", source: source, flags: flags)
        } else {  // an ELF object, as a kernel built without LTO has
            let file = tree.appendingPathComponent("kernel.c")
            try source.write(to: file, atomically: true, encoding: .utf8)
            member = tree.appendingPathComponent("kernel.o").path
            let compiled = try Fixtures.run(Toolchain.clang, flags + ["-c", file.path, "-o", member])
            try #require(compiled.status == 0, "\(compiled.stderr)")
        }
        let archive = try Fixtures.run(Toolchain.tool("llvm-ar"), ["rc", "vmlinux.a", member], in: tree.path)
        try #require(archive.status == 0, "\(archive.stderr)")
        try "cmd_vmlinux.o := \(Toolchain.ldLLD) -r -o vmlinux.o --whole-archive vmlinux.a --no-whole-archive ; true\n"
            .write(to: tree.appendingPathComponent(".vmlinux.o.cmd"), atomically: true, encoding: .utf8)
        return tree
    }

    /// LLVM's warnings reach the user even with --quiet, as ld.lld's do:
    /// here the module linker's about a kernel built for the kernel's own
    /// target triple, which is not clang's default the app was built with.
    @Test func llvmWarningsAreShownEvenWhenQuiet() throws {
        let tree = try Self.kernelWithoutUKL(flags: Fixtures.appFlags + ["--target=x86_64-unknown-freebsd"])
        let app = try Fixtures.bitcode("quiet.c", source: "int main(void) { return 0; }\n")
        let output = tree.appendingPathComponent("vmlinux.o").path
        let result = try Fixtures.ukl("lto", "--quiet", "--kernel", tree.path, app, "-o", output)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: output))
        #expect(
            result.stderr.contains("ukl-opt: warning: Linking two modules of different target triples"),
            "\(result.stderr)")
    }

    /// clang's default triple names a vendor (x86_64-pc-linux-gnu), the
    /// kernel's build none (x86_64-unknown-linux-gnu): one target, so lto
    /// gives the application the kernel's triple and LLVM has nothing to say.
    @Test func aTripleThatDiffersOnlyInTheVendorIsTheKernelsTarget() throws {
        #expect(LTO.sameTarget("x86_64-pc-linux-gnu", "x86_64-unknown-linux-gnu"))
        #expect(!LTO.sameTarget("x86_64-pc-linux-gnu", "x86_64-unknown-freebsd"))
        #expect(!LTO.sameTarget("x86_64-pc-linux-gnu", "i386-pc-linux-gnu"))
        let tree = try Self.kernelWithoutUKL(flags: Fixtures.appFlags + ["--target=x86_64-unknown-linux-gnu"])
        let app = try Fixtures.bitcode("vendor.c", source: "int main(void) { return 0; }\n")
        let result = try Fixtures.ukl("lto", "--quiet", "--kernel", tree.path, app, "-o", "/dev/null")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr == "")
    }

    /// A run that fails after LLVM warned still shows the warning, before
    /// the error: here the triple warning of the link, then the missing symbol.
    @Test func llvmWarningsAreShownWhenTheRunFailsLater() throws {
        let tree = try Self.kernelWithoutUKL(flags: Fixtures.appFlags + ["--target=x86_64-unknown-freebsd"])
        let app = tree.appendingPathComponent("app.bc").path
        let applied = try Fixtures.ukl("apply", "--level", "bypass", try Fixtures.bitcode("hello_ukl.c"), "-o", app)
        try #require(applied.status == 0, "\(applied.stderr)")
        let result = try Fixtures.ukl("lto", "--quiet", "--kernel", tree.path, app, "-o", "/dev/null")
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 2, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("ukl-opt: warning: Linking two modules of different target triples") == true)
        #expect(lines.last?.contains("the kernel defines no 'ukl_bypass_write'") == true, "\(result.stderr)")
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
        let app = try LTO.prepareApps([try Fixtures.bitcode("kernel_calls.c")], context: context, contract: contract)
        let text = app.text
        #expect(text.contains("define dso_local i32 @ukl_app_main()"))
        #expect(!text.contains("@main("))
        // The app's strlen would clash with the kernel's: it becomes internal and prefixed.
        #expect(text.contains("define internal i64 @ukl_app.strlen("))
        #expect(text.contains("null_pointer_is_valid"))
        #expect(LTO.kernelCalls(in: app, contract: contract) == ["jiffies_to_msecs": 1])
    }
}
