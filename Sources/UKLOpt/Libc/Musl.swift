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
        let script = try DataDirectory.file("scripts/musl-build.sh").path
        let output = try Shell.run(script, [], progress: progress)
        guard let directory = output.split(separator: "\n").last.map(String.init), !directory.isEmpty else {
            throw UKLError.tool("musl-build.sh printed no directory")
        }
        let root = URL(fileURLWithPath: directory)
        let list = (try? String(contentsOf: root.appendingPathComponent("asm-equivalents.txt"), encoding: .utf8)) ?? ""
        return Musl(root: root, asmEquivalents: Set(list.split(separator: "\n").map(String.init)))
    }
}
