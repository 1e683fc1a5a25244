import Foundation

/// The bundled UKL kernel: Debian's linux-source-6.1 with kernel-shortcuts/patches,
/// configured with kernel-shortcuts/config/ukl-tiny.config and built with
/// clang-19 full LTO by scripts/kernel-build.sh, cached under ~/.cache/ukl-opt
/// by what went into it (make rebuilds only what changed).
public enum KernelBuild {
    /// Builds (or finds) the kernel and returns its build directory.
    public static func ensure(progress: @escaping (String) -> Void = { _ in }) throws -> String {
        let script = try DataDirectory.file("scripts/kernel-build.sh").path
        let output = try Shell.run(script, [], progress: progress)
        guard let directory = output.split(separator: "\n").last.map(String.init), !directory.isEmpty else {
            throw UKLError.tool("kernel-build.sh printed no build directory")
        }
        return directory
    }
}
