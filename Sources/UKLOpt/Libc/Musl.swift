import Foundation

/// Debian's musl, unmodified, compiled to bitcode with the kernel's code model
/// by scripts/musl-build.sh and cached by what went into it: the C library
/// `ukl-opt cc` links into every application.
public struct Musl: Sendable {
    /// The install directory (include/, lib/libc.a).
    public let root: URL
    /// source_filename of the modules built from libc/x86_64 (our C
    /// equivalents of musl's assembly): their sites count as "libc-asm".
    public let asmEquivalents: Set<String>

    public var include: String { root.appendingPathComponent("include").path }
    public var archive: String { root.appendingPathComponent("lib/libc.a").path }
    public var version: String {
        ((try? String(contentsOf: root.appendingPathComponent("VERSION"), encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The libraries a C program names with -l that musl provides in libc.a.
    public static let libraries: Set<String> = ["c", "m", "pthread", "rt", "dl", "util", "xnet", "crypt", "resolv"]

    /// Builds (or finds) musl.
    public static func ensure(progress: @escaping (String) -> Void = { _ in }) throws -> Musl {
        // Built with the ABI options applications get: the same library
        // links into a static program and into the kernel.
        let root = try BuildScript.run("scripts/musl-build.sh", AppABI.clangOptions, progress: progress)
        let list = (try? String(contentsOf: root.appendingPathComponent("asm-equivalents.txt"), encoding: .utf8)) ?? ""
        return Musl(root: root, asmEquivalents: Set(list.split(separator: "\n").map(String.init)))
    }
}
