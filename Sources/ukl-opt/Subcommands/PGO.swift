import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct PGO: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pgo",
            abstract: "Profile-guided optimization over the combined application + kernel module.",
            discussion: """
                The whole image is profiled, the kernel with the application: IR-level \
                instrumentation (LLVM's pgo-instr-gen, as clang -fprofile-generate places it) of \
                the combined module, except early boot code and the kernel's noinstr code. The \
                kernel has no profiling runtime: ukl-opt lowers the counters into two arrays and \
                reads them from the guest's memory when it powers off. The profile is an indexed \
                .profdata that llvm-profdata-19 reads.

                  ukl-opt pgo instrument --level nss --app syscall-bench -o train/
                  ukl-opt pgo collect train/ -o bench.profdata
                  ukl-opt pgo use --level nss --app syscall-bench --profile bench.profdata -o image/

                or `ukl-opt pgo train` for the first two in one step. A profile is for one \
                application and kernel: one whose functions no longer match (changed source, \
                another application or kernel) is refused with the counts, unless --allow-stale. \
                A profile trained at another UKL level applies (the tiers change calls, not \
                control flow), though it counts that level's run.
                """,
            subcommands: [Instrument.self, Collect.self, Train.self, Use.self, Show.self]
        )
    }
}

/// How a training run boots: `collect` and `train` take the same options.
struct TrainingRun: ParsableArguments {
    @Argument(parsing: .postTerminator, help: "Arguments for the application.")
    var arguments: [String] = []

    @Option(help: "Seconds of emulator time before the guest counts as hung.")
    var timeout: Double = 300

    @Flag(help: "No progress on stderr.")
    var quiet = false
}

/// Progress lines on stderr, prefixed with the command's name, unless quiet.
func progressPrinter(_ name: String, quiet: Bool) -> (String) -> Void {
    { step in if !quiet { FileHandle.standardError.write(Data("\(name): \(step)\n".utf8)) } }
}

/// Builds the image `pgo instrument` or `pgo use` asks for and prints one
/// line about what PGO did in it.
func buildImage(
    _ source: ImageOptions, pgo: PGOMode, output: String, quiet: Bool, command: String,
    summary: (PGOReport) -> String
) throws {
    try reportingErrors {
        let image = try ImageBuilder.build(
            level: source.level, app: source.app, sidecars: source.sidecar, pgo: pgo, output: output,
            progress: progressPrinter(command, quiet: quiet))
        if !quiet, let report = image.pgo {
            FileHandle.standardError.write(Data("\(command): \(output): \(summary(report))\n".utf8))
        }
    }
}

/// One line about a profile, as `pgo collect` and `pgo train` print it.
func describe(_ summary: Profile.Summary, path: String) -> String {
    "\(path): \(summary.functions) functions run, \(summary.counters) counters, "
        + "\(summary.indirectCalls) indirect calls counted; hottest \(summary.hottest) "
        + "(entered \(summary.maxEntryCount) times)"
}

extension UKLOptCommand.PGO {
    struct Instrument: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build an instrumented (training) image.")

        @OptionGroup var source: ImageOptions

        @Option(name: .short, help: "The image directory to write.")
        var output: String

        @Flag(help: "No progress on stderr.")
        var quiet = false

        func run() throws {
            try buildImage(source, pgo: .instrument, output: output, quiet: quiet, command: "pgo instrument") {
                "\($0.functions) functions, \($0.counters ?? 0) counters"
            }
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Boot an instrumented image, run the application to its end, and write its profile.")

        @Argument(help: "An image from 'ukl-opt pgo instrument'.")
        var image: String

        @Option(name: .short, help: "The profile to write (indexed .profdata).")
        var output: String

        @OptionGroup var training: TrainingRun

        func run() throws {
            try reportingErrors {
                let collection = try ProfileCollector.collect(
                    image: image, arguments: training.arguments, timeout: training.timeout, to: output)
                FileHandle.standardOutput.write(Data(collection.run.output.utf8))
                if !training.quiet {
                    FileHandle.standardError.write(
                        Data("pgo collect: \(describe(collection.summary, path: output))\n".utf8))
                }
            }
        }
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Instrument and collect in one step: build (or reuse) the training image and write its profile.")

        @OptionGroup var source: ImageOptions

        @Option(name: .short, help: "The profile to write (indexed .profdata).")
        var output: String

        @OptionGroup var training: TrainingRun

        func run() throws {
            try reportingErrors {
                let progress = progressPrinter("pgo train", quiet: training.quiet)
                let (directory, _, _) = try ImageBuilder.cachedImage(
                    level: source.level, app: source.app, sidecars: source.sidecar, pgo: .instrument,
                    progress: progress)
                progress("booting the instrumented image")
                let collection = try ProfileCollector.collect(
                    image: directory, arguments: training.arguments, timeout: training.timeout, to: output)
                progress(describe(collection.summary, path: output))
            }
        }
    }

    struct Use: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build an image optimized with a profile.")

        @OptionGroup var source: ImageOptions

        @Option(help: "The profile (from 'ukl-opt pgo collect' or 'train').")
        var profile: String

        @Flag(help: "Use a profile even when some of its functions no longer match.")
        var allowStale = false

        @Option(name: .short, help: "The image directory to write.")
        var output: String

        @Flag(help: "No progress on stderr.")
        var quiet = false

        func run() throws {
            try buildImage(
                source, pgo: .use(profile: profile, allowStale: allowStale), output: output, quiet: quiet,
                command: "pgo use"
            ) {
                "\($0.matched ?? 0) of \($0.functions) profiled functions matched, "
                    + "\($0.promoted?.count ?? 0) indirect calls promoted"
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarize a profile (llvm-profdata-19 show gives the details).")

        @Argument(help: "A profile.")
        var profile: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            try reportingErrors {
                let summary = try Profile.summary(profile)
                if json {
                    try writeOutput(try encodeJSON(summary), to: "-")
                } else {
                    print(describe(summary, path: profile))
                }
            }
        }
    }
}
