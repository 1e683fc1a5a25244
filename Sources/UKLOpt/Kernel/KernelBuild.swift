import Foundation

/// The bundled UKL kernel: Debian's linux-source-6.1 with kernel-shortcuts/patches,
/// configured with kernel-shortcuts/config/ukl-tiny.config and built with
/// clang-19 full LTO by scripts/kernel-build.sh, cached under ~/.cache/ukl-opt
/// by what went into it (make rebuilds only what changed).
public enum KernelBuild {
    /// Builds (or finds) the kernel and returns its build directory.
    public static func ensure(progress: @escaping (String) -> Void = { _ in }) throws -> String {
        try BuildScript.run("scripts/kernel-build.sh", progress: progress).path
    }
}
