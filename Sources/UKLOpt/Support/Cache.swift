import Foundation

/// The build cache outside the repository: `${UKL_CACHE:-~/.cache/ukl-opt}`,
/// shared with scripts/kernel-build.sh (which keeps kernels under `kernel/`).
enum Cache {
    static var root: URL {
        if let custom = ProcessInfo.processInfo.environment["UKL_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/ukl-opt")
    }

    /// A key over everything that goes into a cached result: the given
    /// strings, then each file's bytes, in order (sha256, 16 hex digits).
    static func key(strings: [String], files: [String]) throws -> String {
        let sums = files.isEmpty ? [] : try Shell.run("sha256sum", files).split(separator: "\n").map { $0.prefix(64) }
        let all = (strings + sums.map(String.init)).joined(separator: "\n")
        return String(try Shell.run("sha256sum", [], input: Data(all.utf8)).prefix(16))
    }

    /// What identifies this build of ukl-opt: a rebuilt tool may rewrite or
    /// link differently, so it invalidates cached images.
    static var toolIdentity: String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: executable)
        let size = attributes?[.size] as? Int ?? 0
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(executable) \(size) \(modified)"
    }
}
