import Foundation
import Testing
@testable import UKLOpt

/// `ukl-opt lto` on a real kernel tree: Debian's Linux 6.1 built with clang-19
/// full LTO by scripts/kernel-build.sh (cached outside the repo). The README's
/// test command builds it and sets UKL_KERNEL_BUILD; in CI the test must run.
@Suite(.serialized) struct KernelLTOTests {
    static let kernel = ProcessInfo.processInfo.environment["UKL_KERNEL_BUILD"]

    @Test func kernelTreeIsAvailableInCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(Self.kernel != nil, "CI must run the kernel tests: set UKL_KERNEL_BUILD (scripts/test.sh does)")
        }
    }

    @Test(.enabled(if: kernel != nil, "UKL_KERNEL_BUILD is not set"), .timeLimit(.minutes(15)))
    func ltoOutputLinksIntoABzImageThatBoots() throws {
        let kernel = try #require(Self.kernel)
        let dir = try Fixtures.scratch()
        let object = dir.appendingPathComponent("vmlinux.o").path
        let reportPath = dir.appendingPathComponent("lto.json").path
        let app = try Fixtures.bitcode("kernel_calls.c")

        let lto = try Fixtures.ukl("lto", "--kernel", kernel, app, "-o", object, "--report", reportPath)
        #expect(lto.status == 0, "\(lto.stderr)")
        let report = try JSONDecoder().decode(LTO.Report.self, from: Data(contentsOf: URL(fileURLWithPath: reportPath)))
        #expect(report.kernelModules > 700)
        #expect(report.libraryModules > 0, "lib.a members are pulled in as needed")
        #expect(report.appToKernelCalls == 1)
        #expect(report.inlined == 1)
        #expect(report.inlinedCallees == ["jiffies_to_msecs"])

        let symbols = try Fixtures.run("llvm-nm-19", ["--defined-only", object])
        #expect(symbols.stdout.contains(" T ukl_app_main\n"))
        #expect(symbols.stdout.contains(" T start_kernel\n"))
        #expect(!symbols.stdout.contains(" T main\n"))

        let scripts = Fixtures.root.appendingPathComponent("scripts")
        let bzImage = dir.appendingPathComponent("bzImage").path
        let relink = try Fixtures.run(scripts.appendingPathComponent("relink-bzimage.sh").path, [kernel, object, bzImage])
        #expect(relink.status == 0, "\(relink.stderr)")

        let initramfs = dir.appendingPathComponent("init.cpio").path
        let initSource = scripts.appendingPathComponent("initramfs/init.c").path
        let pack = try Fixtures.run(scripts.appendingPathComponent("make-initramfs.sh").path, [kernel, initSource, initramfs])
        #expect(pack.status == 0, "\(pack.stderr)")

        let boot = try Fixtures.run(scripts.appendingPathComponent("boot-qemu.sh").path, [bzImage, initramfs, "120"])
        #expect(boot.status == 0, "\(boot.stderr)")
        #expect(boot.stdout.contains("ukl-boot-ok"), "\(boot.stdout.suffix(2000))")
    }
}
