import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a bootable image of an application at a level.",
            discussion: """
                IMAGE is a directory: bzImage, initramfs.cpio and image.json. At `linux` the \
                application is an ordinary static /init on the UKL kernel; at the UKL levels its \
                syscall sites are rewritten (apply), it is linked into the kernel (lto), and the \
                kernel starts it in ring 0. APP is a bundled app under apps/ or a bitcode file \
                compiled with clang-19 and the kernel's ABI flags.
                """
        )

        @Option(help: "linux, base, bypass, nss or shortcut.")
        var level: Level

        @Option(help: ArgumentHelp("A bundled app (apps/NAME) or APP.bc.", valueName: "NAME|APP.bc"))
        var app: String

        @Option(name: .short, help: "The image directory to write.")
        var output: String

        @Flag(help: "No progress on stderr.")
        var quiet = false

        func run() throws {
            try reportingErrors {
                let quiet = quiet
                let image = try ImageBuilder.build(
                    level: level, app: app, output: output,
                    progress: { step in
                        if !quiet { FileHandle.standardError.write(Data("build: \(step)\n".utf8)) }
                    })
                if !quiet {
                    FileHandle.standardError.write(
                        Data(
                            "build: \(output): \(image.imageBytes) bytes, \(image.sitesRewritten) sites rewritten, \(image.buildSeconds) s\n"
                                .utf8))
                }
            }
        }
    }
}
