import Foundation
import Testing

@testable import UKLOpt

/// `ukl-opt cc`'s command-line handling, in process; and, with musl built,
/// what its link produces.
@Suite struct CompilerDriverTests {
    @Test func modes() throws {
        #expect(try CompilerDriver(arguments: ["-O2", "-c", "x.c", "-o", "x.o"]).mode == .compile)
        #expect(try CompilerDriver(arguments: ["-E", "x.c"]).mode == .preprocess)
        #expect(try CompilerDriver(arguments: ["--version"]).mode == .query)
        let link = try CompilerDriver(arguments: [
            "-O2", "x.o", "y.c", "-L", "lib", "-Llib2", "-lfoo", "-l", "m",
            "-Wl,--gc-sections", "-o", "app", "-pthread", "z.a",
        ])
        #expect(link.mode == .link)
        #expect(link.objects == ["x.o", "z.a"])
        #expect(link.sources == ["y.c"])
        #expect(link.libraries == ["foo", "m"])
        #expect(link.searchPaths == ["lib", "lib2"])
        #expect(link.output == "app")
        #expect(link.compileOptions == ["-O2", "-pthread"])
    }

    @Test(arguments: [
        ("-pie", "the kernel is not position independent"),
        ("-mred-zone", "in ring 0 interrupts push onto the application's stack"),
        ("-mcmodel=large", "the application runs in the kernel's top 2 GiB"),
        ("-m32", "the kernel is x86-64"),
        ("-shared", "not loaded as a shared object"),
        ("-fsanitize=address", "sanitizer runtimes"),
    ])
    func optionsAgainstTheKernelABIAreNamed(option: String, why: String) throws {
        do {
            _ = try CompilerDriver(arguments: ["-c", option, "x.c"])
            Issue.record("\(option) accepted")
        } catch let UKLError.input(file, reason) {
            #expect(file == option)
            #expect(reason.contains(why), "\(reason)")
        }
        let result = try Fixtures.ukl("cc", "-c", option, "x.c")
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "ukl-opt: error: \(option): \(try #require(AppABI.forbiddenOption(option))); ukl-opt cc cannot build with it\n"
        )
    }

    @Test func theKernelCodeModelIsFine() throws {
        #expect(try CompilerDriver(arguments: ["-mcmodel=kernel", "-c", "x.c"]).mode == .compile)
    }

    /// A library's Makefile asking for PIC objects (hiredis does, for the
    /// objects of its static archive too) builds: the option is left out.
    @Test func positionIndependentObjectsAreBuiltWithoutPIC() throws {
        let driver = try CompilerDriver(arguments: ["-fPIC", "-c", "x.c", "-fpie", "-o", "x.o"])
        #expect(driver.arguments == ["-c", "x.c", "-o", "x.o"])
    }

    @Test func assemblyAndMissingInputsAreInputErrors() throws {
        #expect(
            throws: UKLError.input(
                file: "start.s",
                reason:
                    "assembly cannot become bitcode, so apply could not rewrite its syscalls; write it as C with inline asm"
            )
        ) {
            try CompilerDriver(arguments: ["start.s", "-o", "app"])
        }
        #expect(throws: UKLError.input(file: "ukl-opt cc", reason: "no input files")) {
            try CompilerDriver(arguments: ["-o", "app"])
        }
    }

    /// A libc program linked by `ukl-opt cc`: libc's syscall wrappers folded
    /// into constant-number sites, each site tagged with where it came from,
    /// and no syscall instruction hidden from apply anywhere in its code.
    @Test(.integration) func linkedProgramsKnowWhereTheirSitesCameFrom() throws {
        let dir = try Fixtures.scratch()
        let app = dir.appendingPathComponent("app.bc").path
        let project = Fixtures.directory.appendingPathComponent("libc-project")
        let sources = ["main.c", "net.c", "sorting.c", "text.c"].map { project.appendingPathComponent($0).path }
        let linked = try Fixtures.ukl(["cc", "-O2"] + sources + ["-o", app])
        #expect(linked.status == 0, "\(linked.stderr)")
        let module = try Module.load(app)
        let sites = try Rewriter.load().sites(in: module)
        let origins = Dictionary(grouping: sites, by: \.origin).mapValues(\.count)
        #expect(origins["libc", default: 0] > 20, "\(origins)")
        #expect(origins["app"] == nil, "\(origins)")  // it has no asm of its own
        #expect(origins["libc-asm", default: 0] >= 2, "\(origins)")  // __restore_rt, __set_thread_area
        #expect(sites.contains { $0.name == "rt_sigreturn" || $0.function == "__restore_rt" })
        // Only syscall(number), whose number is not a constant, stays dynamic:
        // libc's other wrappers fold into constant-number sites.
        #expect(
            sites.filter { $0.number == nil && $0.origin != "libc-asm" }.count == 1,
            "\(sites.filter { $0.number == nil })")
        // Nothing else enters the kernel: every syscall instruction in the code is a site.
        let object = dir.appendingPathComponent("app.o").path
        try TargetMachine(triple: module.triple).emit(module, to: object)
        let found = try CodeScan.userEntries(inObject: try Data(contentsOf: URL(fileURLWithPath: object)), name: object)
        #expect(found.count >= sites.count)
        #expect(Set(found.map(\.function)).isSubset(of: Set(sites.map(\.function))), "\(found)")
    }

    /// The link shows LLVM's warnings, as a linker does: here about an
    /// object built for another target triple than the rest.
    @Test(.integration) func theLinkShowsLLVMsWarnings() throws {
        let dir = try Fixtures.scratch()
        let main = dir.appendingPathComponent("main.c").path
        try "int helper(void);\nint main(void) { return helper(); }\n".write(
            toFile: main, atomically: true, encoding: .utf8)
        let helper = try Fixtures.bitcode(
            "helper.c", source: "int helper(void) { return 0; }\n",
            flags: Fixtures.appFlags.filter { $0 != "-fshort-wchar" } + ["--target=x86_64-unknown-linux-gnu"])
        let result = try Fixtures.ukl("cc", main, helper, "-o", dir.appendingPathComponent("app.bc").path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains("cc: warning: Linking two modules of different target triples"), "\(result.stderr)")
    }

    @Test func aProgramWithoutMainIsAnInputError() throws {
        let dir = try Fixtures.scratch()
        let source = dir.appendingPathComponent("nomain.c").path
        try "int helper(void) { return 1; }\n".write(toFile: source, atomically: true, encoding: .utf8)
        let result = try Fixtures.ukl("cc", source, "-o", dir.appendingPathComponent("app.bc").path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("no 'main' function in the linked program"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("app.bc").path))
    }

    @Test func anUndefinedFunctionIsNamed() throws {
        let dir = try Fixtures.scratch()
        let source = dir.appendingPathComponent("undefined.c").path
        try "int missing_helper(int);\nint main(void) { return missing_helper(1); }\n"
            .write(toFile: source, atomically: true, encoding: .utf8)
        let result = try Fixtures.ukl("cc", source, "-o", dir.appendingPathComponent("app.bc").path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("undefined reference to 'missing_helper'"), "\(result.stderr)")
    }

    /// `cc -c x.c y.c` writes x.o and y.o in the working directory, as any C
    /// compiler does (hiredis's Makefile relies on it), and they are bitcode.
    @Test func compilingWithoutOutputNamesObjectsAfterTheirSources() throws {
        let dir = try Fixtures.scratch()
        for name in ["first", "second"] {
            try "int \(name)(void) { return 1; }\n".write(
                toFile: dir.appendingPathComponent("\(name).c").path, atomically: true, encoding: .utf8)
        }
        let result = try Fixtures.run(Fixtures.tool, ["cc", "-fPIC", "-c", "first.c", "second.c"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["first", "second"] {
            let object = try Data(contentsOf: dir.appendingPathComponent("\(name).o"))
            #expect(IRFormat(object) == .bitcode, "\(name).o")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("first.bc").path))
    }

    /// pthread_cancel refers to the labels musl's cancellable syscall
    /// defines in its asm (__cp_begin, __cp_end, __cp_cancel): the link
    /// counts them as defined, as the assembler will (Redis links it).
    @Test func aProgramUsingPthreadCancelLinks() throws {
        let dir = try Fixtures.scratch()
        let source = dir.appendingPathComponent("cancel.c").path
        try """
        #include <pthread.h>
        #include <unistd.h>
        static void *sleeper(void *arg) { for (;;) pause(); return arg; }
        int main(void) {
            pthread_t thread;
            pthread_create(&thread, 0, sleeper, 0);
            pthread_cancel(thread);
            return pthread_join(thread, 0);
        }
        """.write(toFile: source, atomically: true, encoding: .utf8)
        let app = dir.appendingPathComponent("app.bc").path
        let result = try Fixtures.ukl("cc", source, "-o", app)
        #expect(result.status == 0, "\(result.stderr)")
        let sites = try Rewriter.load().sites(in: try Module.load(app))
        #expect(sites.contains { $0.function == "__syscall_cp_asm" && $0.origin == "libc-asm" })
    }
}
