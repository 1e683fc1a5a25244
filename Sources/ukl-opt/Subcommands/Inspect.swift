import ArgumentParser
import UKLOpt

extension UKLOptCommand {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every syscall site of a bitcode file, by function and number.",
            discussion: """
                A site is inline asm that executes `syscall`, or a call to a libc-style wrapper \
                (`syscall(long, ...)`) defined outside the module. The number is shown when it is a \
                constant, `dynamic` otherwise. Inline asm that is not a syscall is not a site.
                """
        )

        @Argument(help: "LLVM 19 bitcode (.bc) or text IR (.ll).")
        var input: String

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            try reportingErrors {
                let module = try Module.load(input)
                let report = SiteReport(file: input, sites: try Rewriter.load().sites(in: module))
                if json {
                    try writeOutput(try encodeJSON(report), to: "-")
                } else {
                    print(report.text, terminator: "")
                }
            }
        }
    }
}
