import Foundation
import Testing

@testable import UKLOpt

/// `ukl-opt lto` on a real kernel tree: Debian's Linux 6.1 with our UKL patch
/// series, built with clang-19 full LTO by scripts/kernel-build.sh (cached
/// outside the repo). The README's test command builds it and sets
/// UKL_KERNEL_BUILD; in CI these tests must run.
@Suite(.serialized) struct KernelLTOTests {
    static let kernel = ProcessInfo.processInfo.environment["UKL_KERNEL_BUILD"]
    static let scripts = Fixtures.root.appendingPathComponent("scripts")

    @Test func kernelTreeIsAvailableInCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(Self.kernel != nil, "CI must run the kernel tests: set UKL_KERNEL_BUILD (scripts/test.sh does)")
        }
    }

    /// lto → relink into a bzImage → boot under QEMU with `initFile` as /init.
    func boot(
        app: String, initFile: String, in dir: URL
    ) throws -> (lto: LTO.Report, object: String, guest: Guest.Result) {
        let kernel = try #require(Self.kernel)
        let object = dir.appendingPathComponent("vmlinux.o").path
        let reportPath = dir.appendingPathComponent("lto.json").path
        let lto = try Fixtures.ukl("lto", "--quiet", "--kernel", kernel, app, "-o", object, "--report", reportPath)
        try #require(lto.status == 0, "\(lto.stderr)")
        let report = try JSONDecoder().decode(LTO.Report.self, from: Data(contentsOf: URL(fileURLWithPath: reportPath)))

        let bzImage = dir.appendingPathComponent("bzImage").path
        let relink = try Fixtures.run(
            Self.scripts.appendingPathComponent("relink-bzimage.sh").path, [kernel, object, bzImage])
        try #require(relink.status == 0, "\(relink.stderr)")
        let initramfs = dir.appendingPathComponent("initramfs.cpio").path
        let pack = try Fixtures.run(
            Self.scripts.appendingPathComponent("make-initramfs.sh").path, [kernel, initramfs, "/init=\(initFile)"])
        try #require(pack.status == 0, "\(pack.stderr)")
        // Booted exactly as the product boots images: one way to boot.
        return (report, object, try Guest.boot(dir.path, timeout: 120))
    }

    @Test(.enabled(if: kernel != nil, "UKL_KERNEL_BUILD is not set"), .integration)
    func ltoInlinesKernelCodeAndTheImageBoots() throws {
        let dir = try Fixtures.scratch()
        let initSource = Self.scripts.appendingPathComponent("initramfs/init.c").path
        let (report, object, guest) = try boot(
            app: try Fixtures.bitcode("kernel_calls.c"), initFile: initSource, in: dir)
        #expect(report.kernelModules > 700)
        #expect(report.libraryModules > 0, "lib.a members are pulled in as needed")
        #expect(report.appToKernelCalls == 1)
        #expect(report.inlined == 1)
        #expect(report.inlinedCallees == ["jiffies_to_msecs"])

        let symbols = try Fixtures.run(Toolchain.tool("llvm-nm"), ["--defined-only", object])
        #expect(symbols.stdout.contains(" T ukl_app_main\n"))
        #expect(symbols.stdout.contains(" T start_kernel\n"))
        #expect(!symbols.stdout.contains(" T main\n"))

        // An ordinary init still runs on the UKL kernel.
        // (It powers off without a UKL status line: that is its only "failure".)
        #expect(
            guest.failure?.hasPrefix("the guest stopped without reporting an exit status") == true,
            "\(guest.failure ?? "")")
        #expect(guest.console.contains("ukl-boot-ok"), "\(guest.console.suffix(2000))")
    }

    @Test(.enabled(if: kernel != nil, "UKL_KERNEL_BUILD is not set"), .integration)
    func baseTierApplicationRunsInRingZero() throws {
        let dir = try Fixtures.scratch()
        let app = try Fixtures.bitcode("hello_ukl.c")
        let base = dir.appendingPathComponent("hello.base.bc").path
        let apply = try Fixtures.ukl("apply", "--level", "base", app, "-o", base)
        try #require(apply.status == 0, "\(apply.stderr)")

        let marker = Fixtures.root.appendingPathComponent("kernel-shortcuts/ukl-init").path
        let (_, object, guest) = try boot(app: base, initFile: marker, in: dir)
        let symbols = try Fixtures.run(Toolchain.tool("llvm-nm"), ["--defined-only", object])
        #expect(symbols.stdout.contains(" T ukl_entry_SYSCALL_64\n"))

        #expect(guest.failure == nil && guest.status == 42, "\(guest.failure ?? "")")
        let lines = guest.console.split(separator: "\n").map(String.init)
        // Its data (a literal in the kernel image) and its stack (argv) reach write().
        // (The first line it writes follows SeaBIOS's terminal escapes on the console.)
        let hello = try #require(
            lines.firstIndex { $0.hasSuffix("hello from the application") },
            "\(guest.console.suffix(2000))")
        #expect(lines[hello + 1] == "/init")
        #expect(lines.contains("ukl: application exited with status 42"))
    }
}
