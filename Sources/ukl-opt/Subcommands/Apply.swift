import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite every syscall site of a bitcode file for a UKL tier.",
            discussion: """
                The kernel symbols each tier calls come from kernel-shortcuts/contract.json. \
                The result is verified before it is written; nothing is written on failure.
                """
        )

        @Option(help: "The tier: base, bypass, nss or shortcut.")
        var level: Level

        @Argument(help: "LLVM 19 bitcode (.bc) or text IR (.ll).")
        var input: String

        @Option(name: .short, help: "Output file (`-` for standard output).")
        var output: String

        @Flag(name: .customShort("S"), help: "Write text IR instead of bitcode.")
        var text = false

        @Option(help: "Write what was rewritten, as JSON, to this file.")
        var report: String?

        @Flag(name: .shortAndLong, help: "Print a table of the rewritten sites on stderr.")
        var verbose = false

        func validate() throws {
            try reportingErrors {
                if level == .linux {
                    throw UKLError.input(
                        file: "--level linux", reason: "rewrites nothing; choose base, bypass, nss or shortcut")
                }
            }
        }

        func run() throws {
            try reportingErrors {
                let module = try Module.load(input)
                let result = try Rewriter.load().rewrite(module, level: level)
                try module.write(to: output, text: text)
                if let report { try writeOutput(try encodeJSON(result), to: report) }
                if verbose { FileHandle.standardError.write(Data(result.text.utf8)) }
            }
        }
    }
}
