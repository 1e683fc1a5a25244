import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct LTO: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lto",
            abstract: "Whole-program LTO over application and kernel bitcode, producing vmlinux.o.",
            discussion: """
                Links the bitcode members of KBUILD/vmlinux.a, the members of the kernel's lib.a \
                archives that are needed, and the applications; runs the pipeline; emits code with \
                the kernel code model; then runs the kernel's own 'ld -r' and objtool command for \
                vmlinux.o (from KBUILD/.vmlinux.o.cmd) with the tree's ELF objects. The rest of the \
                kernel build accepts the result.

                Applications must be compiled with clang-19 and \
                -mcmodel=kernel -mno-red-zone -fno-pic -fshort-wchar, and contain no syscall \
                instruction (run 'ukl-opt apply' first). Their 'main' becomes 'ukl_app_main'; their \
                other symbols become internal, prefixed 'ukl_app.'.
                """
        )

        @Option(help: ArgumentHelp("A kernel tree built with CONFIG_LTO_CLANG_FULL.", valueName: "KBUILD"))
        var kernel: String

        @Argument(help: "Application bitcode (none: relink the kernel alone).")
        var apps: [String] = []

        @Option(name: .short, help: "Output object (the new vmlinux.o).")
        var output: String

        @Option(help: ArgumentHelp("Pipeline file under passes/ (without .pipeline; default: lto).", valueName: "NAME"))
        var passes: String?

        @Option(help: "A pass pipeline to use instead of --passes, as for opt -passes.")
        var pipeline: String?

        @Flag(help: "Print the pipeline and exit.")
        var printPipeline = false

        @Option(help: "Write the LTO report as JSON to this file.")
        var report: String?

        @Flag(help: "No progress on stderr.")
        var quiet = false

        func validate() throws {
            try reportingErrors {
                if output == "-" {
                    throw UKLError.input(file: "-o -", reason: "not supported: ld writes vmlinux.o to a file")
                }
                if let passes, pipeline != nil {
                    throw UKLError.input(
                        file: "--passes \(passes)", reason: "conflicts with --pipeline: give one or the other")
                }
            }
        }

        func run() throws {
            try reportingErrors {
                let pipeline = try self.pipeline ?? UKLOpt.LTO.pipeline(named: passes ?? "lto")
                if printPipeline {
                    print(pipeline)
                    return
                }
                let quiet = self.quiet
                let result = try UKLOpt.LTO.run(
                    .init(
                        kernel: kernel, apps: apps, output: output, pipeline: pipeline,
                        progress: { step in
                            if !quiet { FileHandle.standardError.write(Data("lto: \(step)\n".utf8)) }
                        }))
                if let report { try writeOutput(try encodeJSON(result), to: report) }
                if !quiet {
                    let time = result.seconds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)s" }
                    FileHandle.standardError.write(
                        Data(
                            """
                            lto: \(result.kernelModules) kernel + \(result.libraryModules) library bitcode modules, \
                            \(result.objectFiles) ELF objects, \(result.appModules) app module(s)
                            lto: app-to-kernel calls: \(result.appToKernelCalls) before, \(result.appToKernelCallsAfter) after; \
                            \(result.inlined) inlined\(result.inlinedCallees.isEmpty ? "" : " (" + result.inlinedCallees.joined(separator: ", ") + ")")
                            lto: \(time.joined(separator: ", "))

                            """.utf8))
                }
            }
        }
    }
}
