import ArgumentParser
import Foundation
import UKLOpt

extension Guest.PortForward: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension UKLOptCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build an application's image at a level, boot it under QEMU and report what it printed.",
            discussion: """
                Prints the application's output and exits with its exit status (128 + N when \
                signal N killed it). The guest runs under QEMU TCG with -icount \
                shift=0,sleep=off (its TSC counts instructions). A guest that oopses, panics or \
                does not power off within --timeout is reported with the console tail, exit \
                status 3.

                With --json the boot also counts, exactly, the privileged and mode-switching \
                instructions the guest executes (syscall, sysret, swapgs, iret, CR3 and MSR writes, \
                fences, ...), in total and per op the application marks (a QEMU plugin; see the README).

                Sidecars are ordinary static programs the image's init starts beside the \
                application, as /sidecars/NAME with UKL_APP_PID in their environment: a load \
                generator, a health check. Arguments after `--` go to the application.
                """
        )

        @OptionGroup var source: ImageOptions

        @Argument(parsing: .postTerminator, help: "Arguments for the application.")
        var arguments: [String] = []

        @Option(help: "Seconds of emulator time before the guest counts as hung.")
        var timeout: Double = 300

        @Option(
            help: ArgumentHelp(
                "Forward a TCP port from 127.0.0.1 on the host to the guest (PORT, or HOST:GUEST); repeatable.",
                valueName: "PORT"))
        var forward: [Guest.PortForward] = []

        @Option(help: "Build the image with this profile (see 'ukl-opt pgo').")
        var profile: String?

        @Flag(help: "With --profile: use it even when some of its functions no longer match.")
        var allowStale = false

        @Flag(help: "Print JSON instead of the application's output.")
        var json = false

        @Flag(help: "No progress on stderr.")
        var quiet = false

        func run() throws {
            try reportingErrors {
                let quiet = quiet
                let (directory, image, _) = try ImageBuilder.cachedImage(
                    level: source.level, app: source.app, sidecars: source.sidecar,
                    pgo: profile.map { .use(profile: $0, allowStale: allowStale) },
                    progress: { step in
                        if !quiet { FileHandle.standardError.write(Data("run: \(step)\n".utf8)) }
                    })
                if !quiet { FileHandle.standardError.write(Data("run: booting under QEMU\n".utf8)) }
                // The JSON has the transition counts too (Transitions).
                let result = try Guest.boot(
                    directory, arguments: arguments, timeout: timeout, forwards: forward, countTransitions: json)
                if json {
                    struct Report: Encodable {
                        let level: String, app: String, status: Int?, signal: Int?, output: String
                        let ops: [String: Int]?
                        let transitions: [String: [String: Int]]?, transitionTotals: [String: Int]?
                        let failure: String?, emulatorSeconds: Double, imageBytes: Int

                        enum CodingKeys: String, CodingKey {
                            case level, app, status, signal, output, ops, failure, transitions
                            case transitionTotals = "transition_totals"
                            case emulatorSeconds = "emulator_seconds"
                            case imageBytes = "image_bytes"
                        }
                    }
                    try writeOutput(
                        try encodeJSON(
                            Report(
                                level: source.level.rawValue, app: image.app, status: result.status,
                                signal: result.signal,
                                output: result.output,
                                ops: result.ops,
                                transitions: result.transitions?.byOperation(output: result.output),
                                transitionTotals: result.transitions?.total,
                                failure: result.failure, emulatorSeconds: result.emulatorSeconds,
                                imageBytes: image.imageBytes)), to: "-")
                } else {
                    FileHandle.standardOutput.write(Data(result.output.utf8))
                }
                if let failure = result.failure {
                    FileHandle.standardError.write(Data("ukl-opt: error: \(failure)\n".utf8))
                    throw ExitCode(3)
                }
                if let signal = result.signal {
                    FileHandle.standardError.write(
                        Data("ukl-opt: the application was killed by signal \(signal)\n".utf8))
                    throw ExitCode(Int32(128 + signal))
                }
                if !quiet {
                    FileHandle.standardError.write(
                        Data(
                            "run: exit status \(result.status ?? -1), emulator wall time \(result.emulatorSeconds) s\n"
                                .utf8))
                }
                throw ExitCode(Int32(result.status ?? 0))
            }
        }
    }
}
