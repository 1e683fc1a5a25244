import Foundation
import Testing

@testable import UKLOpt

/// The build scripts and ukl-opt share one cache and one way to say that an
/// input, not the tool, is wrong.
@Suite struct BuildScriptTests {
    /// scripts/cache.sh's root (for a script run by hand) is Cache.root,
    /// with and without UKL_CACHE.
    @Test(arguments: [nil, "/tmp/ukl-opt-elsewhere"])
    func theScriptsFindTheCacheWhereTheToolDoes(custom: String?) throws {
        let script = Fixtures.root.appendingPathComponent("scripts/cache.sh").path
        var environment = ProcessInfo.processInfo.environment
        environment["UKL_CACHE"] = custom
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "source \"$0\"; printf %s \"$CACHE_ROOT\"", script]
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected =
            custom ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/ukl-opt").path
        #expect(printed == expected)
        if custom == nil && ProcessInfo.processInfo.environment["UKL_CACHE"] == nil {
            #expect(printed == Cache.root.path)
        }
    }

    /// "FILE: CAUSE" and exit 3 from a script is the user's input error.
    @Test func aScriptsBadInputLineBecomesAnInputError() {
        #expect(
            BuildScript.badInput("kernel-build: applying 0001.patch\n/x/0002.patch: does not apply: Hunk #1 FAILED")
                == .input(file: "/x/0002.patch", reason: "does not apply: Hunk #1 FAILED"))
        #expect(BuildScript.badInput("") == nil)
    }

    /// A patch series that does not apply to the installed source is the
    /// user's to fix: exit 1, one line naming the patch. A copy of the data
    /// directory gets a broken first patch, and the cache a small seed tree
    /// (what kernel-build.sh seeds a new key's tree from), so the script
    /// reaches the patches without unpacking the kernel.
    @Test func aPatchThatDoesNotApplyIsNamed() throws {
        let data = try Fixtures.scratch()
        for directory in ["scripts", "kernel-shortcuts", "passes", "apps"] {
            try FileManager.default.copyItem(
                at: Fixtures.root.appendingPathComponent(directory), to: data.appendingPathComponent(directory))
        }
        let patch = data.appendingPathComponent("kernel-shortcuts/patches/0000-broken.patch")
        try """
        --- a/Makefile
        +++ b/Makefile
        @@ -1,3 +1,3 @@
         VERSION = 6
        -PATCHLEVEL = 99
        +PATCHLEVEL = 100
         SUBLEVEL = 0

        """.write(to: patch, atomically: true, encoding: .utf8)
        let cache = try Fixtures.scratch()
        let seed = cache.appendingPathComponent("kernel/seed")
        try FileManager.default.createDirectory(
            at: seed.appendingPathComponent("arch/x86/boot"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: seed.appendingPathComponent(".ukl-patches"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(
            atPath: seed.appendingPathComponent("arch/x86/boot/bzImage").path, contents: nil)
        let version = try Fixtures.run("dpkg-query", ["-W", "-f=${Version}", "linux-source-6.1"]).stdout
        try version.write(to: seed.appendingPathComponent(".ukl-source-version"), atomically: true, encoding: .utf8)
        try "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n".write(
            to: seed.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)

        let result = try Fixtures.run(
            Fixtures.tool, ["kernel", "build", "--quiet"],
            environment: ["UKL_OPT_DATA": data.path, "UKL_CACHE": cache.path])
        #expect(result.status == 1)
        #expect(
            result.stderr.hasPrefix("ukl-opt: error: \(patch.path): does not apply to linux-source-6.1 \(version): "),
            "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        // Nothing half-made is left under the new key: only the seed.
        let kernels = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("kernel").path)
        #expect(kernels.filter { !$0.hasPrefix(".") } == ["seed"], "\(kernels)")
    }
}
