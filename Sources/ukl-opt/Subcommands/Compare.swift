import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build, boot and measure an application at several levels and compare them.",
            discussion: """
                Each level's image is built against the same cached kernel build (an image whose \
                inputs have not changed is reused from ~/.cache/ukl-opt/images) and booted under \
                QEMU TCG with -icount shift=0,sleep=off, where the guest's TSC counts retired \
                instructions: tick figures are exact and repeat from run to run. The guest reports \
                its measurements as "name value" lines among its other output: apps/syscall-bench \
                prints icount ticks per op; --app redis starts a sidecar that runs redis-benchmark \
                beside the server and prints requests per guest second (NAME.rps), latencies in \
                guest microseconds (NAME.p50_us, NAME.p99_us) and the server's CPU time per \
                request in guest ns (NAME.server_ticks).

                The table gives each op's ticks and their ratio to linux, then the image size, the \
                syscall sites rewritten, the app-to-kernel calls LTO inlined, the build time and \
                the emulator wall time (host time in QEMU, not guest time).

                With --pgo each UKL level is built a second time with a profile (see `ukl-opt pgo`) \
                and shown beside the plain build ("nss+pgo"), with each figure's ratio to the plain \
                one. The profiles are the bundled ones (profiles/APP.LEVEL.profdata) or, with \
                --train or where none is bundled, trained now on each level's instrumented image; \
                then the instrumented image's own figures are shown too (its overhead).

                Exit status: 0 when every level ran and its application exited 0; 3 when a guest \
                crashed, hung or its application failed (the table still prints); 1 bad input; \
                2 internal error or a failed program it ran.
                """
        )

        @Option(help: ArgumentHelp("Comma-separated levels, in the order to show them.", valueName: "levels"))
        var levels: String = Level.allCases.map(\.rawValue).joined(separator: ",")

        @Option(
            help: ArgumentHelp(
                "A bundled app (apps/NAME: syscall-bench, redis, ...) or APP.bc.", valueName: "NAME|APP.bc"))
        var app: String = "syscall-bench"

        @Option(
            help: ArgumentHelp(
                "Also write the comparison as JSON to FILE (- for stdout, instead of the table).", valueName: "FILE"))
        var json: String?

        @Option(
            help: ArgumentHelp(
                "Draw ops per level as grouped bars (ratio to linux) into FILE.svg or FILE.png.", valueName: "FILE"))
        var plot: String?

        @Option(help: "Seconds of emulator time before a guest counts as hung.")
        var timeout: Double = 300

        @Flag(
            help: ArgumentHelp(
                "Also build each UKL level with a profile and show it beside the plain one (profiles/APP.LEVEL.profdata, or trained now)."
            ))
        var pgo = false

        @Flag(help: "With --pgo: train the profiles now (on instrumented images) even where bundled ones exist.")
        var train = false

        @Flag(help: "With --pgo: use a profile even when some of its functions no longer match.")
        var allowStale = false

        @Flag(help: "No progress on stderr.")
        var quiet = false

        /// The levels --levels names, in order.
        func chosenLevels() throws -> [Level] {
            let chosen = try levels.split(separator: ",").map { name -> Level in
                guard let level = Level(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw UKLError.input(
                        file: "--levels",
                        reason:
                            "unknown level '\(name)' (have: \(Level.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return level
            }
            guard !chosen.isEmpty else { throw UKLError.input(file: "--levels", reason: "names no level") }
            return chosen
        }

        func validate() throws {
            try reportingErrors {
                _ = try chosenLevels()
                // Checked before the long run, not after it.
                if let plot { try Comparison.checkPlotPath(plot) }
            }
        }

        func run() throws {
            try reportingErrors {
                let quiet = quiet
                let chosen = try chosenLevels()
                let comparison = try Comparison.run(
                    levels: chosen, app: app, timeout: timeout, pgo: pgo, train: train, allowStale: allowStale,
                    progress: { step in
                        if !quiet { FileHandle.standardError.write(Data("compare: \(step)\n".utf8)) }
                    })
                if json != "-" { FileHandle.standardOutput.write(Data(comparison.text.utf8)) }
                if let json { try writeOutput(try encodeJSON(comparison), to: json) }
                if let plot {
                    try comparison.writePlot(to: plot)
                    if !quiet { FileHandle.standardError.write(Data("compare: wrote \(plot)\n".utf8)) }
                }
                for entry in comparison.failures {
                    FileHandle.standardError.write(
                        Data(
                            "ukl-opt: error: \(entry.label): \(entry.failure ?? "the application exited with status \(entry.status.map(String.init) ?? "?")")\n"
                                .utf8))
                }
                if !comparison.failures.isEmpty { throw ExitCode(3) }
            }
        }
    }
}
