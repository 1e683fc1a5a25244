import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct CC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cc",
            abstract: "A C compiler and linker driver for applications: use it as CC.",
            discussion: """
                Takes the options of a C compiler. With -c (or -S), clang-19 compiles with musl's \
                headers and the kernel's ABI options (-mcmodel=kernel -fno-pic -mno-red-zone) and \
                writes LLVM bitcode. Without them, the bitcode objects and archives named are \
                linked with the ukl-opt runtime and the parts of musl they need into one \
                application bitcode file (-o, default a.out), optimized as a whole program; \
                `build`, `run` and `compare` take it at every level. -lc, -lm, -lpthread, -lrt, -ldl \
                are musl; other -lNAME are found as libNAME.a in -L directories. Linker options \
                (-Wl,...) are ignored. Options that contradict the kernel ABI (-fPIC, -mred-zone, \
                -mcmodel=large, -m32, -shared, -fsanitize=...) are refused with one line naming them.

                musl is Debian's source package, built to bitcode once and cached (scripts/musl-build.sh); \
                -print-sysroot builds it if need be and prints its directory (include/, lib/libc.a).

                  make CC="ukl-opt cc"
                  ukl-opt cc -O2 -c app.c -o app.o && ukl-opt cc app.o -o app.bc
                """
        )

        @Argument(parsing: .captureForPassthrough, help: "Compiler options and files, as for cc.")
        var arguments: [String] = []

        func run() throws {
            var status: Int32 = 0
            try reportingErrors {
                status = try CompilerDriver(arguments: arguments).run(progress: { line in
                    FileHandle.standardError.write(Data("cc: \(line)\n".utf8))
                })
            }
            if status != 0 { throw ExitCode(status) }
        }
    }
}
