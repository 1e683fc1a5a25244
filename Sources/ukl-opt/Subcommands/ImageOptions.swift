import ArgumentParser
import UKLOpt

/// What an image is built from: `build` and `run` take the same options.
struct ImageOptions: ParsableArguments {
    @Option(help: "linux, base, bypass, nss or shortcut.")
    var level: Level

    @Option(help: ArgumentHelp("A bundled app (apps/NAME), a C file or APP.bc.", valueName: "NAME|APP.c|APP.bc"))
    var app: String

    @Option(
        help: ArgumentHelp(
            "A static program (or a C file, compiled with musl) to start beside the application; repeatable.",
            valueName: "PROGRAM"))
    var sidecar: [String] = []
}
