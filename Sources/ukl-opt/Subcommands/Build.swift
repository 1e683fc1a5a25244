import ArgumentParser
import Foundation
import UKLOpt

extension UKLOptCommand {
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a bootable image of an application at a level.",
            discussion: """
                IMAGE is a directory: bzImage, initramfs.cpio and image.json. The image's init \
                starts the application as /app and every sidecar beside it. At `linux` the \
                application is an ordinary static program on the UKL kernel; at the UKL levels \
                its syscall sites are rewritten (apply), it is linked into the kernel (lto), and \
                the kernel starts it in ring 0. APP is a bundled app under apps/, a C file, or a \
                bitcode file linked by `ukl-opt cc`. A sidecar is a static program or a C file \
                (compiled with musl), started as /sidecars/NAME.
                """
        )

        @OptionGroup var source: ImageOptions

        @Option(name: .short, help: "The image directory to write.")
        var output: String

        @Flag(help: "No progress on stderr.")
        var quiet = false

        func run() throws {
            try reportingErrors {
                let quiet = quiet
                let image = try ImageBuilder.build(
                    level: source.level, app: source.app, sidecars: source.sidecar, output: output,
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
