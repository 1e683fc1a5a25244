import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct Kernel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The bundled UKL kernel (Debian's Linux 6.1 with kernel-shortcuts/patches).",
            subcommands: [Build.self]
        )

        struct Build: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Build the kernel (cached by what went into it) and print its build directory.",
                discussion: """
                    Unpacks /usr/src/linux-source-6.1.tar.xz, applies kernel-shortcuts/patches/*.patch, \
                    merges kernel-shortcuts/config/ukl-tiny.config over tinyconfig and builds with clang-19 \
                    full LTO under ~/.cache/ukl-opt/kernel/KEY (UKL_CACHE to move it). About 6 minutes \
                    the first time; make rebuilds only what changed after that.
                    """
            )

            @Flag(help: "No progress on stderr.")
            var quiet = false

            func run() throws {
                try reportingErrors {
                    let quiet = quiet
                    let directory = try KernelBuild.ensure(progress: { line in
                        if !quiet { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
                    })
                    print(directory)
                }
            }
        }
    }
}
